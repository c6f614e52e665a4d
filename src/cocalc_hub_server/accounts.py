"""Making accounts: the site admin of ``--api-key``, and org users (create-account.ts)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from .errors import pg_error
from .jsvalues import now_iso
from .secrets_ import API_KEY_PREFIX, password_hash
from .store import Tx

ADMIN_FIRST_NAME = "Site"
ADMIN_LAST_NAME = "Admin"


@dataclass(frozen=True)
class SiteAdmin:
    account_id: str
    api_key: str
    # ``PROJECT_ID:PATH`` of the admin's demo course (``--demo-course``), if made.
    demo_course: str | None = None


def create_account(
    tx: Tx,
    *,
    account_id: str,
    first_name: str | None,
    last_name: str | None,
    email_address: str | None = None,
    password: str | None = None,
    owner_id: str | None = None,
    groups: list[str] | None = None,
    api_key: str | None = None,
) -> None:
    """INSERT INTO accounts as src/packages/server/accounts/create-account.ts does."""
    if email_address and tx.value(
        "SELECT 1 FROM accounts WHERE email_address = ?", (email_address,)
    ):
        raise pg_error(
            'duplicate key value violates unique constraint "accounts_email_address_key"'
        )
    tx.insert(
        "accounts",
        {
            "account_id": account_id,
            # "can't insert '' more than once"
            "email_address": email_address or None,
            "password_hash": password_hash(password) if password else None,
            "first_name": first_name,
            "last_name": last_name,
            "created": now_iso(),
            "owner_id": owner_id,
            "groups": groups,
            "api_key": api_key,
            "creation_actions_done": True,
        },
    )


def ensure_site_admin(tx: Tx, api_key: str | None) -> SiteAdmin:
    """The site admin whose legacy account key is ``api_key``, made if there is none.

    Without a key, the first admin that has one keeps it across restarts; on a new site a
    random ``sk-`` key is made.
    """
    if api_key is None:
        row = tx.row(
            "accounts",
            "SELECT account_id, api_key FROM accounts WHERE api_key IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM json_each(accounts.groups) WHERE value = 'admin') "
            "ORDER BY created LIMIT 1",
        )
        if row is not None:
            return SiteAdmin(row["account_id"], row["api_key"])
        api_key = f"{API_KEY_PREFIX}{secrets.token_urlsafe(24)}"
    else:
        found = tx.value("SELECT account_id FROM accounts WHERE api_key = ?", (api_key,))
        if found is not None:
            return SiteAdmin(str(found), api_key)
    account_id = str(uuid.uuid4())
    create_account(
        tx,
        account_id=account_id,
        first_name=ADMIN_FIRST_NAME,
        last_name=ADMIN_LAST_NAME,
        groups=["admin"],
        api_key=api_key,
    )
    return SiteAdmin(account_id, api_key)
