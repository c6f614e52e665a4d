"""Who may do what: site admins, project collaborators, org admins (with the real texts)."""

from __future__ import annotations

from typing import Any

from .errors import HubError
from .jsvalues import is_valid_uuid
from .store import Tx

COLLABORATOR_GROUPS = ("owner", "collaborator")


def project_users(tx: Tx, project_id: Any) -> dict[str, Any] | None:
    """The project's ``users`` map; None if there is no such project."""
    row = tx.row("projects", "SELECT users FROM projects WHERE project_id = ?", (project_id,))
    if row is None:
        return None
    users = row["users"]
    return users if isinstance(users, dict) else {}


def user_group(tx: Tx, project_id: Any, account_id: Any) -> str | None:
    """``users#>'{account_id,group}'``: the account's group on the project, if any."""
    entry = (project_users(tx, project_id) or {}).get(account_id)
    group = entry.get("group") if isinstance(entry, dict) else None
    return group if isinstance(group, str) else None


def is_collaborator(tx: Tx, account_id: Any, project_id: Any) -> bool:
    # src/packages/server/projects/is-collaborator.ts
    if not is_valid_uuid(account_id) or not is_valid_uuid(project_id):
        raise HubError("invalid account_id or project_id -- all must be valid uuid's")
    if account_id == project_id:
        return True
    return user_group(tx, project_id, account_id) in COLLABORATOR_GROUPS


def is_admin(tx: Tx, account_id: Any) -> bool:
    # src/packages/server/accounts/is-admin.ts
    if not account_id:
        raise HubError("invalid account")
    row = tx.row("accounts", "SELECT groups FROM accounts WHERE account_id = ?", (account_id,))
    groups = row["groups"] if row is not None else None
    return isinstance(groups, list) and "admin" in groups


def is_valid_account(tx: Tx, account_id: Any) -> bool:
    # src/packages/server/accounts/is-valid-account.ts
    if not isinstance(account_id, str):
        return False
    found = tx.value("SELECT COUNT(*) FROM accounts WHERE account_id = ?", (account_id,))
    return bool(found)
