"""``projects.addCollaborator`` / ``removeCollaborator`` (src/packages/server/projects/
collaborators.ts, collab.ts, ownership-checks.ts)."""

from __future__ import annotations

from typing import Any

from ..access import COLLABORATOR_GROUPS, is_collaborator, project_users, user_group
from ..errors import HubError, WireError
from ..jsvalues import is_valid_uuid, js_string
from ..store import Tx
from .base import HubContext, options, required_options


def _ownership_error(message: str) -> WireError:
    # OwnershipError sets its name, so String(err) starts with it.
    return WireError(f"OwnershipError: {message}")


def ensure_can_manage_collaborators(tx: Tx, project_id: Any, account_id: Any) -> None:
    _check_uuids(project_id, account_id)
    row = tx.row(
        "projects",
        "SELECT users, manage_users_owner_only FROM projects WHERE project_id = ?",
        (project_id,),
    )
    if row is None:
        raise _ownership_error("Project not found")
    if row["manage_users_owner_only"] and user_group(tx, project_id, account_id) != "owner":
        raise _ownership_error("Only owners can manage collaborators when this setting is enabled")


def _check_uuids(project_id: Any, account_id: Any) -> None:
    if not is_valid_uuid(project_id):
        raise HubError(f"Invalid project_id: {js_string(project_id)}")
    if not is_valid_uuid(account_id):
        raise HubError(f"Invalid account_id: {js_string(account_id)}")


def _opts_slot(first: dict[str, Any]) -> tuple[Any, ...]:
    """``opts`` as the one argument of a function that reads ``opts.project_id``."""
    return (first["opts"],) if "opts" in first else ()


async def add_collaborator(ctx: HubContext, *args: Any) -> dict[str, Any]:
    first = options(args)
    account_id = first.get("account_id")
    opts = required_options(_opts_slot(first), "project_id")
    if opts.get("token_id"):
        raise HubError("project invite tokens are not supported by the local hub")
    projects = opts.get("project_id")
    accounts = opts.get("account_id")
    projects = projects if isinstance(projects, list) else [projects]
    accounts = accounts if isinstance(accounts, list) else [accounts]
    with ctx.store.transaction() as tx:
        for project_id in projects:
            if project_id:
                ensure_can_manage_collaborators(tx, project_id, account_id)
        _add(tx, str(account_id), accounts, projects)
    return {"project_id": projects}


def _add(tx: Tx, account_id: str, accounts: list[Any], projects: list[Any]) -> None:
    # collab.ts (add_collaborators_to_projects)
    for project_id in dict.fromkeys(projects):
        if user_group(tx, project_id, account_id) not in COLLABORATOR_GROUPS:
            if len(accounts) == 1 and accounts[0] == account_id:
                _check_course_access(tx, account_id, project_id)
            else:
                raise HubError(
                    f"user {account_id} does not have write access to project {js_string(project_id)}"
                )
    _check_types(account_id, accounts, projects)
    for project_id, target in zip(projects, accounts, strict=True):
        users = project_users(tx, project_id)
        if users is None:
            continue  # UPDATE ... WHERE project_id: no such row, nothing changes
        if user_group(tx, project_id, target) in COLLABORATOR_GROUPS:
            continue
        entry = users.get(target)
        users[target] = {**(entry if isinstance(entry, dict) else {}), "group": "collaborator"}
        tx.update("projects", {"users": users}, "project_id = ?", (project_id,))


def _check_course_access(tx: Tx, account_id: str, project_id: Any) -> None:
    course = tx.row("projects", "SELECT course FROM projects WHERE project_id = ?", (project_id,))
    if course is None:
        raise HubError(f'no project with id "{js_string(project_id)}"')
    course_id = (course["course"] or {}).get("project_id")
    if not is_valid_uuid(course_id):
        raise HubError(f'cannot add self to "{js_string(project_id)}" -- must be an admin')
    if user_group(tx, course_id, account_id) not in COLLABORATOR_GROUPS:
        raise HubError(
            f'cannot add self to "{js_string(project_id)}" -- must be owner or collaborator '
            "on course project"
        )


def _check_types(account_id: str, accounts: list[Any], projects: list[Any]) -> None:
    if not is_valid_uuid(account_id):
        raise HubError(f'account_id (="{account_id}") must be a valid uuid string (type=string)')
    if len(accounts) != len(projects):
        raise HubError(
            f"accounts (of length {len(accounts)}) and projects (of length {len(projects)}) "
            "must be arrays of the same length"
        )
    for target in accounts:
        if not is_valid_uuid(target):
            raise HubError(
                f"all account id's must be valid uuid's, but \"{js_string(target)}\" is not"
            )
    for project_id in projects:
        if project_id != "" and not is_valid_uuid(project_id):
            raise HubError(
                f"all project id's must be valid uuid's (or empty), but "
                f'"{js_string(project_id)}" is not'
            )


async def remove_collaborator(ctx: HubContext, *args: Any) -> None:
    first = options(args)
    account_id = first.get("account_id")
    opts = required_options(_opts_slot(first), "project_id")
    project_id, target = opts.get("project_id"), opts.get("account_id")
    with ctx.store.transaction() as tx:
        if not is_collaborator(tx, account_id, project_id):
            raise HubError("user must be a collaborator")
        # ownership-checks.ts (ensureCanRemoveUser)
        _check_uuids(project_id, target)
        users = project_users(tx, project_id)
        if users is None:
            raise HubError(f"Project not found: {project_id}")
        if user_group(tx, project_id, target) == "owner":
            raise _ownership_error("Cannot remove an owner. Demote to collaborator first.")
        if account_id != target:
            ensure_can_manage_collaborators(tx, project_id, account_id)
        # remove_collaborator_from_project: never an owner
        if target in users:
            del users[target]
            tx.update("projects", {"users": users}, "project_id = ?", (project_id,))
