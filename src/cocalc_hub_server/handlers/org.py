"""``org.*``: the 13 organization methods (src/packages/server/conat/api/org.ts)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from .. import messages
from ..access import is_admin
from ..accounts import create_account
from ..control import initial_state
from ..errors import HubError, pg_error
from ..jsvalues import iso, js_string, now_iso, now_ms
from ..secrets_ import random_key
from ..store import Tx
from .base import HubContext, HubMethod, options
from .projects import DEFAULT_COMPUTE_IMAGE

# db-schema/organizations.ts: name VARCHAR(39)
MAX_NAME_LENGTH = 39
# auth-token.ts (createAuthTokenNoCheck): a day unless told otherwise.
TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000
_ORG_FIELDS = ("title", "description", "link", "email_address")
NOT_ALLOWED = "user must be an admin of the organization or site-admin"


def _is_org_admin(tx: Tx, account_id: Any, name: Any) -> bool:
    if not account_id:
        return False
    admins = tx.value("SELECT admin_account_ids FROM organizations WHERE name = ?", (name,))
    return admins is not None and str(account_id) in _ids(admins)


def _ids(text: str | None) -> list[str]:
    value = json.loads(text) if text else None
    return value if isinstance(value, list) else []


def _assert_allowed(tx: Tx, account_id: Any, name: Any) -> None:
    if not account_id or not (_is_org_admin(tx, account_id, name) or is_admin(tx, account_id)):
        raise HubError(NOT_ALLOWED)


def _account(tx: Tx, user: Any) -> dict[str, Any]:
    """getAccount: ``{name: org, account_id, email_address}`` by account_id or e-mail."""
    row = tx.row(
        "accounts",
        "SELECT org AS name, account_id, email_address FROM accounts "
        "WHERE account_id = ? OR email_address = ? LIMIT 1",
        (js_string(user), js_string(user)),
    )
    return row or {}


async def get_all(ctx: HubContext, *args: Any) -> list[dict[str, Any]]:
    opts = options(args)
    with ctx.store.transaction() as tx:
        if not is_admin(tx, opts.get("account_id")):
            raise HubError("must be a site admin")
        return tx.rows("organizations", "SELECT name, title, admin_account_ids FROM organizations")


async def create(ctx: HubContext, *args: Any) -> str:
    opts = options(args)
    name = opts.get("name")
    with ctx.store.transaction() as tx:
        if not is_admin(tx, opts.get("account_id")):
            raise HubError("only admins may create organizations")
        used = tx.value("SELECT COUNT(*) FROM accounts WHERE name = ?", (name,)) or tx.value(
            "SELECT COUNT(*) FROM organizations WHERE name = ?", (name,)
        )
        if used:
            raise HubError(
                f"name {js_string(name)} is already used by some account or organization"
            )
        if isinstance(name, str) and len(name) > MAX_NAME_LENGTH:
            raise pg_error(f"value too long for type character varying({MAX_NAME_LENGTH})")
        if tx.value("SELECT 1 FROM organizations WHERE LOWER(name) = LOWER(?)", (name,)):
            # The unique index on LOWER(name).
            raise pg_error("duplicate key value violates unique constraint on LOWER(name)")
        organization_id = str(uuid.uuid4())
        tx.insert("organizations", {"organization_id": organization_id, "name": name})
    return organization_id


async def get(ctx: HubContext, *args: Any) -> dict[str, Any]:
    opts = options(args)
    name = opts.get("name")
    with ctx.store.transaction() as tx:
        _assert_allowed(tx, opts.get("account_id"), name)
        row = tx.row(
            "organizations",
            "SELECT name, title, description, link, email_address, admin_account_ids "
            "FROM organizations WHERE name = ?",
            (name,),
        )
    if row is None:
        raise HubError(f"no org named '{js_string(name)}'")
    return row


async def set_(ctx: HubContext, *args: Any) -> None:
    opts = options(args)
    with ctx.store.transaction() as tx:
        _assert_allowed(tx, opts.get("account_id"), opts.get("name"))
        changes = {f: opts[f] for f in _ORG_FIELDS if opts.get(f) is not None}
        if not changes:
            # "UPDATE organizations SET  WHERE name=$1"
            raise pg_error('syntax error at or near "WHERE"')
        tx.update("organizations", changes, "name = ?", (opts.get("name"),))


async def add_admin(ctx: HubContext, *args: Any) -> None:
    opts = options(args)
    name, user, account_id = opts.get("name"), opts.get("user"), opts.get("account_id")
    with ctx.store.transaction() as tx:
        found = _account(tx, user)
        admin_id = found.get("account_id")
        if not admin_id:
            raise HubError(f"no such account '{js_string(user)}'")
        if found.get("name") is not None and found["name"] != name:
            raise HubError(f"User '{js_string(user)}' is already member of another organization")
        if not is_admin(tx, account_id):
            raise HubError("only site admins can make a user an organization admin right now")
        if tx.value("SELECT 1 FROM organizations WHERE name = ?", (name,)):
            admins = tx.value("SELECT admin_account_ids FROM organizations WHERE name = ?", (name,))
            # array_agg(DISTINCT x): no duplicates, sorted.
            merged = sorted({*_ids(admins), admin_id})
            tx.update("organizations", {"admin_account_ids": merged}, "name = ?", (name,))
        _add_user(tx, account_id, name, admin_id)


def _add_user(tx: Tx, account_id: Any, name: Any, user: Any) -> None:
    if not is_admin(tx, account_id):
        raise HubError("only site admins can add/move a user to an org right now")
    user_id = _account(tx, user).get("account_id")
    if not user_id:
        raise HubError(f"cannot find user '{js_string(user)}'")
    tx.update("accounts", {"org": name}, "account_id = ?", (user_id,))


async def add_user(ctx: HubContext, *args: Any) -> None:
    opts = options(args)
    with ctx.store.transaction() as tx:
        _add_user(tx, opts.get("account_id"), opts.get("name"), opts.get("user"))


async def create_user(ctx: HubContext, *args: Any) -> str:
    opts = options(args)
    account_id, name = opts.get("account_id"), opts.get("name")
    password = opts.get("password")
    if password is None:
        password = random_key(16)
    new_account_id = str(uuid.uuid4())
    with ctx.store.transaction() as tx:
        _assert_allowed(tx, account_id, name)
        create_account(
            tx,
            account_id=new_account_id,
            email_address=opts.get("email"),
            first_name=opts.get("firstName"),
            last_name=opts.get("lastName"),
            password=password,
            owner_id=account_id,
        )
        tx.update("accounts", {"org": name}, "account_id = ?", (new_account_id,))
        _first_project(ctx, tx, new_account_id)
    return new_account_id


def _first_project(ctx: HubContext, tx: Tx, account_id: str) -> None:
    """account-creation-actions.ts: a new account with no projects gets "My First Project"
    (not started: createUser passes dontStartProject)."""
    project_id = str(uuid.uuid4())
    now = now_iso()
    ctx.config.project_home(project_id).mkdir(parents=True, exist_ok=True)
    tx.insert(
        "projects",
        {
            "project_id": project_id,
            "title": "My First Project",
            "description": "",
            "users": {account_id: {"group": "owner"}},
            "compute_image": DEFAULT_COMPUTE_IMAGE,
            "created": now,
            "last_edited": now,
            "state": initial_state(),
        },
    )


async def remove_user(ctx: HubContext, *args: Any) -> None:
    opts = options(args)
    name, user = opts.get("name"), opts.get("user")
    with ctx.store.transaction() as tx:
        _assert_allowed(tx, opts.get("account_id"), name)
        user_id = _account(tx, user).get("account_id")
        if not user_id:
            raise HubError(f"cannot find user '{js_string(user)}'")
        if _is_org_admin(tx, user_id, name):
            raise HubError(
                "admin cannot be removed from org; first remove them from being an admin"
            )
        tx.update("accounts", {"org": None}, "account_id = ?", (user_id,))


async def remove_admin(ctx: HubContext, *args: Any) -> None:
    opts = options(args)
    name, user = opts.get("name"), opts.get("user")
    with ctx.store.transaction() as tx:
        _assert_allowed(tx, opts.get("account_id"), name)
        admin_id = _account(tx, user).get("account_id")
        if not admin_id:
            raise HubError(f"cannot find user '{js_string(user)}'")
        admins = tx.value("SELECT admin_account_ids FROM organizations WHERE name = ?", (name,))
        if admins is not None:
            kept = [a for a in _ids(admins) if a != admin_id]
            tx.update("organizations", {"admin_account_ids": kept}, "name = ?", (name,))


async def create_token(ctx: HubContext, *args: Any) -> dict[str, str]:
    opts = options(args)
    account_id, user, expire = opts.get("account_id"), opts.get("user"), opts.get("expire")
    with ctx.store.transaction() as tx:
        found = _account(tx, user)
        if not found.get("name"):
            raise HubError("user is not in an org")
        if not account_id:
            raise HubError("must be signed in")
        if not found.get("account_id"):
            raise HubError("account not found")
        _assert_allowed(tx, account_id, found["name"])
        token = random_key(24)
        lifetime_end = expire if isinstance(expire, int | float) else now_ms() + TOKEN_LIFETIME_MS
        tx.insert(
            "auth_tokens",
            {
                "auth_token": token,
                "expire": iso(lifetime_end),
                "account_id": found["account_id"],
                "created_by": account_id,
                "created": now_iso(),
                "is_admin": is_admin(tx, account_id),
            },
        )
    # The local site has no sign-in page: this URL signs nobody in.
    return {"token": token, "url": f"{ctx.site_url}/auth/impersonate?auth_token={token}"}


async def expire_token(ctx: HubContext, *args: Any) -> None:
    with ctx.store.transaction() as tx:
        tx.execute("DELETE FROM auth_tokens WHERE auth_token = ?", (options(args).get("token"),))


async def get_users(ctx: HubContext, *args: Any) -> list[dict[str, Any]]:
    opts = options(args)
    with ctx.store.transaction() as tx:
        _assert_allowed(tx, opts.get("account_id"), opts.get("name"))
        return tx.rows(
            "accounts",
            "SELECT first_name, last_name, account_id, email_address, last_active "
            "FROM accounts WHERE org = ?",
            (opts.get("name"),),
        )


async def message(ctx: HubContext, *args: Any) -> None:
    opts = options(args)
    account_id, name = opts.get("account_id"), opts.get("name")
    with ctx.store.transaction() as tx:
        _assert_allowed(tx, account_id, name)
        members = tx.rows("accounts", "SELECT account_id FROM accounts WHERE org = ?", (name,))
        messages.send(
            tx,
            from_id=str(account_id),
            to_ids=[m["account_id"] for m in members],
            subject=opts.get("subject"),
            body=opts.get("body"),
        )


METHODS: dict[str, HubMethod] = {
    "org.getAll": HubMethod(get_all),
    "org.create": HubMethod(create),
    "org.get": HubMethod(get),
    "org.set": HubMethod(set_),
    "org.addAdmin": HubMethod(add_admin),
    "org.addUser": HubMethod(add_user),
    "org.createUser": HubMethod(create_user),
    "org.createToken": HubMethod(create_token),
    "org.expireToken": HubMethod(expire_token),
    "org.getUsers": HubMethod(get_users),
    "org.removeUser": HubMethod(remove_user),
    "org.removeAdmin": HubMethod(remove_admin),
    "org.message": HubMethod(message),
}
