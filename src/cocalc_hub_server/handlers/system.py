"""``system.*``: ping, test, getNames, userSearch (src/packages/server/conat/api/system.ts)."""

from __future__ import annotations

import re
from typing import Any

from ..access import is_admin
from ..errors import HubError, WireError, pg_error
from ..jsvalues import epoch_ms, is_valid_email, is_valid_uuid, js_string, js_trim, now_ms
from ..store import Tx
from .apikeys import manage_api_keys
from .base import HubContext, HubMethod, no_auth, options, require_account

# src/packages/util/db-schema/accounts.ts
USER_SEARCH_LIMIT = 250
ADMIN_SEARCH_LIMIT = 2500
# system.ts: "hard cap at 50... (for non-admin)"
NON_ADMIN_LIMIT = 50
DEFAULT_SEARCH_LIMIT = 20
_SEARCH_FIELDS = (
    "account_id, first_name, last_name, name, email_address, last_active, created, banned, "
    "email_address_verified"
)


async def ping(ctx: HubContext, *args: Any) -> dict[str, int]:
    return {"now": now_ms()}


async def test(ctx: HubContext, *args: Any) -> dict[str, Any]:
    return {"account_id": options(args).get("account_id") or "", "server_time": now_ms()}


async def get_names(ctx: HubContext, *args: Any) -> dict[str, Any]:
    # src/packages/server/accounts/get-name.ts (getNames)
    account_ids = args[0] if args else None
    if account_ids is None:
        raise WireError("TypeError: account_ids is not iterable")
    if not isinstance(account_ids, list):
        raise pg_error(f'malformed array literal: "{js_string(account_ids)}"')
    for account_id in account_ids:
        if not is_valid_uuid(account_id):
            raise pg_error(f'invalid input syntax for type uuid: "{js_string(account_id)}"')
    names: dict[str, Any] = {}
    with ctx.store.transaction() as tx:
        marks = ",".join("?" for _ in account_ids)
        rows = tx.rows(
            "accounts",
            "SELECT account_id, first_name, last_name, profile FROM accounts "
            f"WHERE account_id IN ({marks}) AND (deleted IS NULL OR deleted = 0)",
            [a.lower() for a in account_ids],
        )
    for row in rows:
        first = js_trim(row["first_name"] or "")
        last = js_trim(row["last_name"] or "")
        if not first and not last:
            first, last = "No", "Name"
        names[row["account_id"]] = {
            "first_name": first,
            "last_name": last,
            "profile": row["profile"],
        }
    for account_id in account_ids:
        if account_id not in names:
            names[account_id] = {"first_name": "Deleted", "last_name": "User"}
    return names


async def user_search(ctx: HubContext, *args: Any) -> list[dict[str, Any]]:
    opts = options(args)
    account_id = opts.get("account_id")
    if not account_id:
        raise HubError("You must be signed in to search for users.")
    limit = opts.get("limit")
    admin = bool(opts.get("admin"))
    with ctx.store.transaction() as tx:
        if admin:
            if not is_admin(tx, account_id):
                raise HubError("Must be an admin to do admin search.")
        elif isinstance(limit, int | float) and limit > NON_ADMIN_LIMIT:
            limit = NON_ADMIN_LIMIT
        return search(tx, opts.get("query"), limit, admin, bool(opts.get("only_email")))


def search(tx: Tx, query: Any, limit: Any, admin: bool, only_email: bool) -> list[dict[str, Any]]:
    """src/packages/server/accounts/search.ts: by account_id, by e-mail address, else by
    words in the names (and ``@username``)."""
    limit = DEFAULT_SEARCH_LIMIT if limit is None else int(limit)
    limit = min(limit, ADMIN_SEARCH_LIMIT if admin else USER_SEARCH_LIMIT)
    if is_valid_uuid(query):
        user = tx.row(
            "accounts",
            f"SELECT {_SEARCH_FIELDS} FROM accounts WHERE account_id = ?",
            (query.lower(),),
        )
        found = [_shown(user, admin, False)] if user is not None else []
        if not found and admin:
            found = [_shown(u, admin, False) for u in _collaborators(tx, query)]
        return found
    if is_valid_email(query):
        user = tx.row(
            "accounts",
            f"SELECT {_SEARCH_FIELDS} FROM accounts WHERE email_address = ?",
            (query.lower(),),
        )
        return [_shown(user, admin, True)] if user is not None else []
    string_queries, email_queries = parse_user_search(query)
    if admin:
        string_queries += [[e] for e in email_queries]
        email_queries = []
    results = []
    by_email = _by_emails(tx, email_queries, limit)
    results += [_shown(u, admin, True) for u in by_email]
    if not only_email:
        by_name = _by_words(tx, string_queries, admin, limit - len(by_email))
        results += [_shown(u, admin, False) for u in by_name]
    results.sort(key=lambda u: -max(u.get("last_active") or 0, u.get("created") or 0))
    return results


def parse_user_search(query: Any) -> tuple[list[list[str]], list[str]]:
    # src/packages/util/misc.ts (parse_user_search)
    words: list[list[str]] = []
    emails: list[str] = []
    if not isinstance(query, str):
        return words, emails
    for part in re.split(r"[\n,;]", query):
        item = js_trim(part).lower()
        if not item:
            continue
        if "@" not in item or item.startswith("@"):
            words.append([w for w in re.split(r"\s+", item)])
            continue
        for candidate in item.split():
            if candidate.startswith("<"):
                match = re.search(r"<(.*)>", candidate)
                candidate = match.group(1) if match else candidate
            if is_valid_email(candidate):
                emails.append(candidate)
    return words, emails


def _shown(user: dict[str, Any], admin: bool, is_email_search: bool) -> dict[str, Any]:
    shown = dict(user)
    address, verified = shown.get("email_address"), shown.get("email_address_verified")
    if address and verified:
        shown["email_address_verified"] = isinstance(verified, dict) and (
            verified.get(address) is not None
        )
    if not admin:
        if not is_email_search:
            shown.pop("email_address", None)
        shown.pop("banned", None)
    shown["last_active"] = epoch_ms(shown.get("last_active"))
    shown["created"] = epoch_ms(shown.get("created"))
    return shown


def _collaborators(tx: Tx, project_id: str) -> list[dict[str, Any]]:
    return tx.rows(
        "accounts",
        f"SELECT {_SEARCH_FIELDS} FROM accounts WHERE account_id IN "
        "(SELECT key FROM projects, json_each(projects.users) WHERE project_id = ?)",
        (project_id,),
    )


def _by_emails(tx: Tx, emails: list[str], limit: int) -> list[dict[str, Any]]:
    if not emails or limit <= 0:
        return []
    marks = ",".join("?" for _ in emails)
    return tx.rows(
        "accounts",
        f"SELECT {_SEARCH_FIELDS} FROM accounts WHERE email_address IN ({marks}) "
        "AND deleted IS NULL",
        emails,
    )


def _by_words(
    tx: Tx, string_queries: list[list[str]], admin: bool, limit: int
) -> list[dict[str, Any]]:
    if limit <= 0 or not string_queries:
        return []
    params: list[Any] = []
    alternatives = []
    for terms in string_queries:
        each = []
        for term in terms:
            match = (
                "(lower(first_name) LIKE ? OR lower(last_name) LIKE ? OR '@' || lower(name) LIKE ?"
                + (" OR lower(email_address) LIKE ?" if admin else "")
                + ")"
            )
            each.append(match)
            params += [f"%{term}%"] * (4 if admin else 3)
        alternatives.append("(" + " AND ".join(each) + ")")
    sql = (
        f"SELECT {_SEARCH_FIELDS} FROM accounts WHERE (deleted IS NULL OR deleted = 0) "
        f"AND ({' OR '.join(alternatives)})"
    )
    if not admin:
        sql += " AND (unlisted IS NULL OR unlisted = 0)"
    sql += " ORDER BY COALESCE(last_active, created) IS NULL, COALESCE(last_active, created) DESC"
    sql += " LIMIT ?"
    return tx.rows("accounts", sql, [*params, limit])


METHODS: dict[str, HubMethod] = {
    "system.ping": HubMethod(ping, no_auth),
    "system.test": HubMethod(test),
    "system.getNames": HubMethod(get_names, require_account),
    "system.userSearch": HubMethod(user_search),
    "system.manageApiKeys": HubMethod(manage_api_keys),
}
