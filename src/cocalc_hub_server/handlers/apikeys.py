"""``system.manageApiKeys``: account keys and project-scoped keys
(src/packages/server/api/manage.ts)."""

from __future__ import annotations

from typing import Any

from ..access import is_collaborator, is_valid_account
from ..errors import HubError, pg_error
from ..jsvalues import js_string, now_iso, timestamp
from ..secrets_ import new_secret, password_hash, truncated
from ..store import Tx
from .base import HubContext, options

# manage.ts: "Global per user limit to avoid abuse/bugs."
MAX_API_KEYS = 100000
_SHOWN = "id, account_id, expire, created, name, trunc, last_active"


async def manage_api_keys(ctx: HubContext, *args: Any) -> list[dict[str, Any]] | None:
    opts = options(args)
    account_id = opts.get("account_id")
    project_id = opts.get("project_id")
    with ctx.store.transaction() as tx:
        if not is_valid_account(tx, account_id):
            raise HubError("account_id is not a valid account")
        if project_id is not None and not is_collaborator(tx, account_id, project_id):
            raise HubError("user must be collaborator on project to manage project_id api keys")
        return _act(tx, opts.get("action"), str(account_id), project_id, opts)


def _act(
    tx: Tx, action: Any, account_id: str, project_id: str | None, opts: dict[str, Any]
) -> list[dict[str, Any]] | None:
    key_id, name = opts.get("id"), opts.get("name")
    try:
        expire = timestamp(opts.get("expire"))
    except ValueError:
        raise pg_error(
            f'invalid input syntax for type timestamp with time zone: "{js_string(opts.get("expire"))}"'
        ) from None
    if action == "get":
        if not key_id:
            return _keys(tx, account_id, project_id)
        return [_key(tx, key_id, account_id, project_id)]
    if action == "delete":
        owner = "project_id" if project_id else "account_id"
        tx.execute(
            f"DELETE FROM api_keys WHERE {owner} = ? AND id = ?",
            (project_id or account_id, key_id),
        )
        return None
    if action == "create":
        return [_create(tx, account_id, project_id, name, expire)]
    if action == "edit":
        key = _key(tx, key_id, account_id, project_id)
        if key is None:
            raise HubError(f"no api key with id {key_id}")
        changes: dict[str, Any] = {}
        if name is not None and key["name"] != name:
            changes["name"] = name
        if "expire" in opts and key["expire"] != expire:
            changes["expire"] = expire
        owner = "project_id" if project_id else "account_id"
        tx.update(
            "api_keys", changes, f"id = ? AND {owner} = ?", (key_id, project_id or account_id)
        )
        return None
    return None


def _keys(tx: Tx, account_id: str, project_id: str | None) -> list[dict[str, Any]]:
    if project_id:
        return tx.rows(
            "api_keys",
            f"SELECT {_SHOWN} FROM api_keys WHERE project_id = ? ORDER BY created DESC",
            (project_id,),
        )
    return tx.rows(
        "api_keys",
        f"SELECT {_SHOWN} FROM api_keys WHERE account_id = ? AND project_id IS NULL "
        "ORDER BY created DESC",
        (account_id,),
    )


def _key(tx: Tx, key_id: Any, account_id: str, project_id: str | None) -> Any:
    owner = "project_id" if project_id else "account_id"
    return tx.row(
        "api_keys",
        f"SELECT {_SHOWN} FROM api_keys WHERE id = ? AND {owner} = ?",
        (key_id, project_id or account_id),
    )


def _create(
    tx: Tx, account_id: str, project_id: str | None, name: Any, expire: Any
) -> dict[str, Any]:
    count = tx.value("SELECT COUNT(*) FROM api_keys WHERE account_id = ?", (account_id,))
    if count >= MAX_API_KEYS:
        raise HubError(
            f"There is a limit of {MAX_API_KEYS} per account; please delete some api keys."
        )
    created = now_iso()
    key_id = tx.insert(
        "api_keys",
        {
            "account_id": account_id,
            "created": created,
            "project_id": project_id,
            "expire": expire,
            "name": name,
        },
    )
    secret = new_secret(key_id)
    trunc = truncated(secret)
    tx.update("api_keys", {"trunc": trunc, "hash": password_hash(secret)}, "id = ?", (key_id,))
    return {
        "id": key_id,
        "account_id": account_id,
        "expire": expire,
        "created": created,
        "name": name,
        "last_active": None,
        "trunc": trunc,
        "secret": secret,
    }
