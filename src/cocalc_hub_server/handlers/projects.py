"""``projects.*`` but the collaborator methods (src/packages/server/conat/api/projects.ts,
src/packages/server/projects/{create,delete}.ts)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from ..access import is_admin, is_collaborator
from ..config import HubConfig
from ..control import initial_state
from ..copying import copy_path, resolve_inside
from ..errors import HubError, pg_error
from ..jsvalues import is_valid_uuid, js_string, js_trim, now_iso
from ..store import Tx
from .base import HubContext, HubMethod, auth_first_require_account, options
from .collaborators import add_collaborator, remove_collaborator

# src/packages/util/db-schema/defaults.ts
DEFAULT_COMPUTE_IMAGE = "ubuntu2404"


async def create_project(ctx: HubContext, *args: Any) -> str:
    opts = options(args)
    account_id = opts.get("account_id")
    if account_id is not None and not is_valid_uuid(account_id):
        raise HubError("if account_id given, it must be a valid uuid v4")
    licenses = _licenses(opts)
    with ctx.store.transaction() as tx:
        if opts.get("project_id"):
            if not account_id or not is_admin(tx, account_id):
                raise HubError("only admins can specify the project_id")
            project_id = str(opts["project_id"])
            if not is_valid_uuid(project_id):
                raise pg_error(f'invalid input syntax for type uuid: "{js_string(project_id)}"')
            if tx.value("SELECT 1 FROM projects WHERE project_id = ?", (project_id,)):
                raise pg_error('duplicate key value violates unique constraint "projects_pkey"')
        else:
            project_id = str(uuid.uuid4())
        customize = opts.get("customize")
        disable_internet = isinstance(customize, dict) and customize.get("disableInternet")
        insert_project(
            tx,
            ctx.config,
            project_id,
            title=opts.get("title"),
            description=opts.get("description"),
            users={account_id: {"group": "owner"}} if account_id else None,
            site_license={lic: {} for lic in licenses} if licenses else None,
            compute_image=opts.get("image"),
            ephemeral=opts.get("ephemeral"),
            settings={"disableInternet": True} if disable_internet else None,
        )
    if opts.get("start"):
        ctx.control.start_in_background(project_id)
    return project_id


def insert_project(
    tx: Tx,
    config: HubConfig,
    project_id: str,
    *,
    title: Any = None,
    description: Any = None,
    users: dict[str, Any] | None = None,
    compute_image: Any = None,
    **columns: Any,
) -> None:
    """The row create.ts inserts (``title ?? "No Title"``, ``description ?? ""``, the default
    image), and the project's folder, made first: a project id that is answered always has
    its folder. ``columns`` are further columns (``course``, ``site_license``, ...)."""
    config.project_home(project_id).mkdir(parents=True, exist_ok=True)
    now = now_iso()
    tx.insert(
        "projects",
        {
            "project_id": project_id,
            "title": _or(title, "No Title"),
            "description": _or(description, ""),
            "users": users,
            "compute_image": _or(compute_image, DEFAULT_COMPUTE_IMAGE),
            "created": now,
            "last_edited": now,
            "state": initial_state(),
            **columns,
        },
    )


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _licenses(opts: dict[str, Any]) -> list[str]:
    found: list[str] = []
    if isinstance(opts.get("license"), str) and opts["license"]:
        found += [js_trim(s) for s in opts["license"].split(",")]
    customize = opts.get("customize")
    if isinstance(customize, dict) and customize.get("license"):
        found.append(customize["license"])
    return [lic for lic in found if is_valid_uuid(lic)]


async def copy_path_between_projects(ctx: HubContext, *args: Any) -> None:
    opts = options(args)
    account_id = opts.get("account_id")
    if not account_id:
        raise HubError("user must be signed in")
    source_id = opts.get("src_project_id")
    target_id = opts.get("target_project_id")
    path = opts.get("src_path")
    target_path = opts.get("target_path")
    if target_path is None:
        target_path = path
    with ctx.store.transaction() as tx:
        if not is_collaborator(tx, account_id, source_id):
            raise HubError("user must be collaborator on source project")
        if target_id and target_id != source_id and not is_collaborator(tx, account_id, target_id):
            raise HubError("user must be collaborator on target project")
    # src/packages/server/projects/control/util.ts (copyPath)
    if path is None:
        raise HubError("path must be specified")
    if target_id is None:
        target_id = source_id
    if not is_valid_uuid(target_id):
        raise HubError(f"target_project_id={js_string(target_id)} is invalid")
    source = resolve_inside(str(ctx.config.project_home(str(source_id))), str(path), "source")
    target = resolve_inside(
        str(ctx.config.project_home(str(target_id))), str(target_path), "target"
    )
    await asyncio.to_thread(
        copy_path,
        source,
        target,
        overwrite_newer=bool(opts.get("overwrite_newer")),
        delete_missing=bool(opts.get("delete_missing")),
    )


def _collaborator_only(ctx: HubContext, opts: dict[str, Any], refusal: str) -> str:
    with ctx.store.transaction() as tx:
        if not is_collaborator(tx, opts.get("account_id"), opts.get("project_id")):
            raise HubError(refusal)
    return str(opts["project_id"])


async def start(ctx: HubContext, *args: Any) -> None:
    project_id = _collaborator_only(
        ctx, options(args), "must be collaborator on project to start it"
    )
    await ctx.control.start(project_id)


async def stop(ctx: HubContext, *args: Any) -> None:
    project_id = _collaborator_only(
        ctx, options(args), "must be collaborator on project to stop it"
    )
    await ctx.control.stop(project_id)


async def touch(ctx: HubContext, *args: Any) -> None:
    opts = options(args)
    project_id = _collaborator_only(ctx, opts, "must be collaborator on project to touch it")
    # src/packages/server/projects/control/base.ts (touch): record activity, then start.
    ctx.control.touch(project_id, opts["account_id"])
    await ctx.control.start(project_id)


async def state(ctx: HubContext, *args: Any) -> dict[str, Any]:
    project_id = _collaborator_only(
        ctx, options(args), "must be collaborator on project to get state"
    )
    return ctx.control.state(project_id)


async def status(ctx: HubContext, *args: Any) -> dict[str, Any]:
    project_id = _collaborator_only(
        ctx, options(args), "must be collaborator on project to get status"
    )
    return ctx.control.status(project_id)


async def delete_project(ctx: HubContext, *args: Any) -> None:
    # src/packages/server/projects/delete.ts
    opts = options(args)
    project_id, account_id = opts.get("project_id"), opts.get("account_id")
    if not is_valid_uuid(project_id):
        raise HubError("project_id must be a valid UUID")
    if not account_id:
        raise HubError("must be signed in")
    if not is_valid_uuid(account_id):
        raise HubError("account_id must be a valid UUID")
    with ctx.store.transaction() as tx:
        if not (is_admin(tx, account_id) or is_collaborator(tx, account_id, project_id)):
            raise HubError("must be an owner to delete a project")
        tx.update("projects", {"site_license": None}, "project_id = ?", (project_id,))
    await ctx.control.stop(str(project_id))
    with ctx.store.transaction() as tx:
        tx.update("projects", {"deleted": True}, "project_id = ?", (project_id,))


_ACCOUNT = auth_first_require_account
METHODS: dict[str, HubMethod] = {
    "projects.createProject": HubMethod(create_project, _ACCOUNT),
    "projects.copyPathBetweenProjects": HubMethod(copy_path_between_projects, _ACCOUNT),
    "projects.addCollaborator": HubMethod(add_collaborator, _ACCOUNT),
    "projects.removeCollaborator": HubMethod(remove_collaborator, _ACCOUNT),
    "projects.start": HubMethod(start, _ACCOUNT),
    "projects.stop": HubMethod(stop, _ACCOUNT),
    "projects.deleteProject": HubMethod(delete_project, _ACCOUNT),
    "projects.touch": HubMethod(touch, _ACCOUNT),
    "projects.state": HubMethod(state, _ACCOUNT),
    "projects.status": HubMethod(status, _ACCOUNT),
}
