"""User queries on ``projects``, ``projects_all`` and ``accounts``, as the real database
answers them (src/packages/database/postgres-user-queries.coffee, user-query/*.ts).

A query whose object has a null leaf is a get (null fields are filled in, other fields
filter); any other is a set. Failures are the database's bare ``FATAL: ...`` strings.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .access import COLLABORATOR_GROUPS, is_admin, user_group
from .errors import WireError
from .jsvalues import is_valid_uuid, iso, js_string, now_ms
from .query_tables import PROJECTS_CUTOFF_DAYS, QUERY_TABLES, QueryTable
from .schema import TABLES
from .store import Tx

MAX_LIMIT = 100000
_CMP_OPERATORS = ("==", "!=", ">=", "<=", ">", "<")
_SQL_OPERATORS = {"==": "=", "!=": "!=", ">=": ">=", "<=": "<=", ">": ">", "<": "<"}


def fatal(message: str) -> WireError:
    return WireError(f"FATAL: {message}")


def has_null_leaf(value: Any) -> bool:
    # src/packages/util/misc.ts (has_null_leaf)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(v is None or (isinstance(v, dict | list) and has_null_leaf(v)) for v in items)


def user_query(tx: Tx, account_id: str, query: Any, options: Any) -> Any:
    """The answer to ``db.userQuery``'s ``{query, options}`` for ``account_id``."""
    if options is None:
        options = []
    if not isinstance(options, list):
        raise fatal(f"options (={json.dumps(options)}) must be an array")
    for option in options:
        if isinstance(option, dict) and option.get("account_id") is not None:
            # "sudo": an admin queries as another account.
            if not is_admin(tx, account_id):
                raise WireError("user must be admin to sudo")
            rest = [o for o in options if not (isinstance(o, dict) and "account_id" in o)]
            return user_query(tx, option["account_id"], query, rest)
    if isinstance(query, list):
        return [user_query(tx, account_id, q, options) for q in query]
    tables = list(query) if isinstance(query, dict) else []
    if len(tables) > 1:
        raise fatal("must specify exactly one key in the query")
    table = tables[0] if tables else None
    body = query.get(table) if isinstance(query, dict) else None
    multi = isinstance(body, list)
    if isinstance(body, list):
        if len(body) > 1:
            raise fatal("array of length > 1 not yet implemented")
        body = body[0] if body else None
    is_set: bool | None = None
    plain_options = []
    for option in options:
        if isinstance(option, dict) and "set" in option:
            is_set = bool(option["set"])
        else:
            plain_options.append(option)
    if not isinstance(body, dict):
        raise fatal(f"invalid user_query of '{js_string(table)}' -- query must be an object")
    assert isinstance(table, str)
    body = copy.deepcopy(body)
    if is_set is None:
        is_set = not has_null_leaf(body)
    if is_set:
        set_query(tx, account_id, table, body)
        return {}  # {table: undefined} once JSON-encoded
    result = get_query(tx, account_id, table, body, plain_options, multi)
    return {} if result is None else {table: result}


def _table(table: str, kind: str) -> QueryTable:
    rules = QUERY_TABLES.get(table)
    if rules is None:
        served = ", ".join(QUERY_TABLES)
        raise fatal(
            f"{kind} queries on table '{table}' are not served by the local hub (only {served})"
        )
    return rules


# -- get ------------------------------------------------------------------------------------


def get_query(
    tx: Tx,
    account_id: str,
    table: str,
    query: dict[str, Any],
    options: list[Any],
    multi: bool,
) -> Any:
    rules = _table(table, "get")
    for name in query:
        if name not in rules.get_fields:
            raise fatal(f"user get query not allowed for {table}.{name}")
    where, params = _access_where(tx, account_id, rules, query)
    for name, value in query.items():
        if value is None:
            continue
        clause, values = _filter(rules, name, value)
        where.append(clause)
        params += values
    limit, order_by = _options(options, rules.options)
    stored = TABLES[rules.db_table]
    columns = [n for n in query if n in stored]
    select = ", ".join(f'"{c}"' for c in columns) or "1"
    sql = f"SELECT {select} FROM {rules.db_table} WHERE {' AND '.join(where) or '1'}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    rows = tx.rows(rules.db_table, sql + " LIMIT ?", [*params, limit])
    found = rows if multi else rows[:1]
    for row in found:
        _fill_defaults(rules, row, list(query))
        for name in [n for n, v in row.items() if v is None]:
            del row[name]
    if multi:
        return found
    return found[0] if found else None


def _access_where(
    tx: Tx, account_id: str, rules: QueryTable, query: dict[str, Any]
) -> tuple[list[str], list[Any]]:
    if rules.db_table == "accounts":
        return ["account_id = ?"], [account_id]
    where: list[str] = []
    params: list[Any] = []
    if rules.recent_only:
        where.append("last_edited >= ?")
        params.append(iso(now_ms() - PROJECTS_CUTOFF_DAYS * 24 * 3600 * 1000))
    project_id = query.get("project_id")
    if project_id:
        if user_group(tx, project_id, account_id) not in COLLABORATOR_GROUPS:
            raise fatal(
                "you do not have read access to this project -- "
                f"account_id={account_id}, project_id_=undefined"
            )
        where.append("project_id = ?")
        params.append(project_id)
    else:
        # users ? account_id
        where.append("EXISTS (SELECT 1 FROM json_each(projects.users) WHERE key = ?)")
        params.append(account_id)
    return where, params


def _filter(rules: QueryTable, name: str, value: Any) -> tuple[str, list[Any]]:
    """A condition of user-query-get (user-get-query.ts, userGetQueryFilter)."""
    stored = TABLES[rules.db_table].get(name)
    if stored is None:
        return "0", []  # a NULL column equals nothing
    operator = _comparison(value)
    if operator is None:
        return f'"{name}" = ?', [_comparable(rules, name, value)]
    return f'"{name}" {_SQL_OPERATORS[operator]} ?', [_comparable(rules, name, value[operator])]


def _comparison(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if key in _CMP_OPERATORS:
            return str(key)
    return None


def _comparable(rules: QueryTable, name: str, value: Any) -> Any:
    kind = TABLES[rules.db_table][name]
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if kind == "bool":
        return 1 if value else 0
    return value


def _options(options: list[Any], defaults: list[dict[str, Any]]) -> tuple[int, str]:
    given = {key for option in options if isinstance(option, dict) for key in option}
    merged = list(options)
    for option in defaults:
        first = next(iter(option))
        if first not in given:
            merged.append(option)
    limit: Any = None
    order_by = ""
    for option in merged:
        if not isinstance(option, dict):
            continue
        for key, value in option.items():
            if key == "limit":
                limit = _parse_int(value)
            elif key == "order_by":
                order_by = _order_by(value, order_by)
            elif key not in ("only_changes", "slice", "delete", "heartbeat"):
                raise WireError(f"unknown option '{key}'")
    if limit is None or limit > MAX_LIMIT:
        limit = MAX_LIMIT
    return limit, order_by


def _parse_int(value: Any) -> int | None:
    try:
        return int(str(value).strip().split(".")[0])
    except ValueError:
        return None


def _order_by(value: Any, current: str) -> str:
    text = str(value)
    descending = text.startswith("-")
    column = text[1:] if descending else text
    if not column.isidentifier():
        raise WireError(f"unknown option 'order_by={text}'")
    clause = f'"{column}"' + (" DESC" if descending else "")
    return f"{current}, {clause}" if current else clause


def _fill_defaults(rules: QueryTable, row: dict[str, Any], names: list[str]) -> None:
    # postgres-user-queries.coffee (_user_get_query_set_defaults)
    for name in names:
        default = rules.get_fields.get(name)
        if default is None:
            continue
        value = row.get(name)
        if value is None:
            row[name] = copy.deepcopy(default)
        elif isinstance(default, dict) and isinstance(value, dict):
            for key, fallback in default.items():
                if value.get(key) is None:
                    value[key] = fallback


# -- set ------------------------------------------------------------------------------------


def set_query(tx: Tx, account_id: str, table: str, query: dict[str, Any]) -> None:
    rules = _table(table, "set")
    fields = rules.set_fields
    if all(fields.get(name) in ("account_id", "project_write") for name in query):
        return  # nothing would change
    for name, rule in fields.items():
        if rule == "users":
            query[name] = _sanitize_users(query, account_id)
        elif rule == "account_id":
            query[name] = account_id
        elif rule == "project_write" and query.get(name) is None:
            raise fatal(f"must specify {table}.{name}")
    for name in query:
        if name != rules.primary_key and name not in fields:
            raise fatal(f"changing {table}.{name} not allowed")
    key = query[rules.primary_key]
    if rules.db_table == "projects":
        _require_write_access(tx, account_id, key)
        _check_project_change(tx, account_id, key, query)
    else:
        _check_account_change(tx, account_id, query)
    changes = {n: v for n, v in query.items() if v is not None and n != rules.primary_key}
    _merge(tx, rules, key, changes)


def _sanitize_users(query: dict[str, Any], account_id: str) -> Any:
    # src/packages/database/postgres/project/user-set-query-project-users.ts
    users = query.get("users")
    if users is None:
        return None

    def refuse(message: str) -> WireError:
        return fatal(f"error setting 'users' -- Error: {message}")

    if not isinstance(users, dict):
        raise refuse("users must be an object")
    sanitized: dict[str, Any] = {}
    for user_id, entry in users.items():
        if not is_valid_uuid(user_id):
            raise refuse(f"invalid account_id '{user_id}'")
        if not isinstance(entry, dict):
            raise refuse("user entry must be an object")
        for name in entry:
            if name == "group":
                raise refuse("changing collaborator group via user_set_query is not allowed")
            if name not in ("hide", "upgrades", "ssh_keys"):
                raise refuse(f"unknown field '{name}'")
        kept: dict[str, Any] = {}
        if "hide" in entry:
            if not isinstance(entry["hide"], bool):
                raise refuse("invalid type for field 'hide'")
            kept["hide"] = entry["hide"]
        for name in ("upgrades", "ssh_keys"):
            if name in entry:
                if user_id != account_id:
                    raise refuse(
                        f"users set queries may only change {name} for the requesting account"
                    )
                if not isinstance(entry[name], dict):
                    raise refuse(f"invalid type for field '{name}'")
                kept[name] = entry[name]
        sanitized[user_id] = kept
    return sanitized


def _require_write_access(tx: Tx, account_id: str, project_id: Any) -> None:
    # postgres-user-queries.coffee (_require_project_ids_in_groups)
    row = tx.row("projects", "SELECT users FROM projects WHERE project_id = ?", (project_id,))
    if row is None:
        raise fatal(f"unknown project_id '{js_string(project_id)[:100]}'")
    if user_group(tx, project_id, account_id) not in COLLABORATOR_GROUPS and not is_admin(
        tx, account_id
    ):
        raise fatal("user must be an admin")


def _check_project_change(tx: Tx, account_id: str, project_id: Any, query: dict[str, Any]) -> None:
    changes_management = query.get("manage_users_owner_only") is not None
    if changes_management and user_group(tx, project_id, account_id) != "owner":
        raise WireError("Error: Only project owners can change collaborator management settings")
    name = query.get("name")
    if name:
        old = tx.value("SELECT name FROM projects WHERE project_id = ?", (project_id,))
        if name != old:
            taken = tx.value(
                "SELECT COUNT(*) FROM projects WHERE project_id != ? AND LOWER(name) = ? AND "
                "json_extract(users, '$.\"' || ? || '\".group') = 'owner'",
                (project_id, str(name).lower(), account_id),
            )
            if taken:
                raise WireError(
                    "There is already a project with the same owner as this project and "
                    f"name='{name}'.   Names are not case sensitive."
                )
            if user_group(tx, project_id, account_id) != "owner":
                raise WireError(
                    "Only the owner of the project can currently change the project name."
                )


def _check_account_change(tx: Tx, account_id: str, query: dict[str, Any]) -> None:
    # db-schema/accounts.ts (check_hook)
    name = query.get("name")
    if name is not None:
        holder = tx.value(
            "SELECT account_id FROM accounts WHERE LOWER(name) = LOWER(?)", (name,)
        ) or tx.value("SELECT organization_id FROM organizations WHERE name = ?", (name,))
        if holder is not None and holder != account_id:
            raise WireError(f'name "{name}" is already taken by another organization or account')
    for name in ("first_name", "last_name"):
        if query.get(name) is not None:
            query[name] = str(query[name])[:254]
            if not query[name]:
                raise WireError(f"{name} must be nonempty")


def _merge(tx: Tx, rules: QueryTable, key: Any, changes: dict[str, Any]) -> None:
    """UPDATE with JSON fields merged in (a null inside deletes that key: jsonb_merge)."""
    stored = TABLES[rules.db_table]
    known = {n: v for n, v in changes.items() if n in stored}
    json_fields = [n for n in known if stored[n] == "json" and isinstance(known[n], dict)]
    if json_fields:
        row = tx.row(
            rules.db_table,
            f"SELECT {', '.join(json_fields)} FROM {rules.db_table} WHERE {rules.primary_key} = ?",
            (key,),
        )
        for name in json_fields:
            old = (row or {}).get(name)
            known[name] = _deep_merge(old if isinstance(old, dict) else {}, known[name])
    tx.update(rules.db_table, known, f"{rules.primary_key} = ?", (key,))


def _deep_merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict):
            inner = merged.get(key)
            merged[key] = _deep_merge(inner if isinstance(inner, dict) else {}, value)
        else:
            merged[key] = value
    return merged
