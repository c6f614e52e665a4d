"""Who a key belongs to: an account, or one project (src/packages/server/api/manage.ts,
getAccountWithApiKey), with the routes' refusal texts."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from cocalc_project_server.auth import api_key_from_header

from .access import is_collaborator
from .jsvalues import now_iso
from .secrets_ import API_KEY_PREFIX, MAX_SERIAL, decode62, verify_password
from .store import Store, Tx

__all__ = ["HUB_REFUSED", "PROJECT_REFUSED", "Caller", "KeyResolver", "api_key_from_header"]

# src/packages/next/pages/api/conat/hub.ts
HUB_REFUSED = "must be signed in and MUST provide an api key (cookies are not allowed)"
# src/packages/next/pages/api/conat/project.ts
PROJECT_REFUSED = "must sign in as project or account"
# Verified (secret, hash) pairs: a key is hashed once, not on every call (as the real
# site caches passwordHash, src/packages/backend/auth/password-hash.ts).
_VERIFIED_CACHE_SIZE = 1000


@dataclass(frozen=True)
class Caller:
    """The owner of a key: an account, or (a project-scoped key) a project."""

    account_id: str | None = None
    project_id: str | None = None


class KeyResolver:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._verified: OrderedDict[tuple[str, str], None] = OrderedDict()

    def caller(self, secret: str) -> Caller | None:
        """The key's owner, or None for a wrong, banned, expired or orphaned key."""
        with self._store.transaction() as tx:
            return self._caller(tx, secret)

    def _caller(self, tx: Tx, secret: str) -> Caller | None:
        if not secret:
            return None
        if secret.startswith((API_KEY_PREFIX, "sk_")):
            row = tx.row(
                "accounts", "SELECT account_id, banned FROM accounts WHERE api_key = ?", (secret,)
            )
            if row is not None:
                return None if row["banned"] else Caller(account_id=row["account_id"])
        if not secret.startswith(API_KEY_PREFIX) or len(secret) < 9:
            return None
        key_id = decode62(secret[-6:])
        if key_id is None or key_id > MAX_SERIAL:
            return None
        key = tx.row(
            "api_keys",
            "SELECT account_id, project_id, hash, expire FROM api_keys WHERE id = ?",
            (key_id,),
        )
        if key is None or self._banned(tx, key["account_id"]):
            return None
        if not self._verify(secret, key["hash"]):
            return None
        project_id = key["project_id"]
        if project_id and not is_collaborator(tx, key["account_id"], project_id):
            # A project key stops working (and is deleted) once its maker leaves the project.
            tx.execute("DELETE FROM api_keys WHERE id = ?", (key_id,))
            return None
        if key["expire"] is not None and key["expire"] <= now_iso():
            tx.execute("DELETE FROM api_keys WHERE id = ?", (key_id,))
            return None
        tx.update("api_keys", {"last_active": now_iso()}, "id = ?", (key_id,))
        if project_id:
            return Caller(project_id=project_id)
        return Caller(account_id=key["account_id"]) if key["account_id"] else None

    @staticmethod
    def _banned(tx: Tx, account_id: str | None) -> bool:
        return bool(tx.value("SELECT banned FROM accounts WHERE account_id = ?", (account_id,)))

    def _verify(self, secret: str, stored: str | None) -> bool:
        if stored is None:
            return False
        pair = (secret, stored)
        if pair in self._verified:
            self._verified.move_to_end(pair)
            return True
        if not verify_password(secret, stored):
            return False
        self._verified[pair] = None
        if len(self._verified) > _VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return True
