"""The internal messages table: sending and reading (src/packages/server/messages/
{send,get}.ts)."""

from __future__ import annotations

from typing import Any

from .access import is_valid_account
from .errors import HubError, pg_error
from .jsvalues import js_string, now_iso
from .store import Tx

# src/packages/util/db-schema/messages.ts
MAX_LIMIT = 500
NON_BITSET_FIELDS = ("id", "subject", "body", "from_id", "to_ids", "sent", "thread_id")
_FIELDS = ", ".join(f'"{f}"' for f in NON_BITSET_FIELDS)


def send(
    tx: Tx, *, from_id: str, to_ids: list[Any], subject: Any, body: Any, reply_id: Any = None
) -> int | None:
    if not to_ids:
        return None
    for account_id in to_ids:
        if not is_valid_account(tx, account_id):
            raise HubError(f"invalid account_id -- {js_string(account_id)}")
    if not is_valid_account(tx, from_id):
        raise HubError(f"invalid from_id account_id -- {from_id}")
    thread_id = None
    if reply_id:
        replied = tx.row("messages", "SELECT id, thread_id FROM messages WHERE id = ?", (reply_id,))
        if replied is not None:
            thread_id = replied["thread_id"] or reply_id
    for name, value in (("subject", subject), ("body", body)):
        if value is None:
            raise pg_error(
                f'null value in column "{name}" of relation "messages" violates not-null constraint'
            )
    return tx.insert(
        "messages",
        {
            "from_id": from_id,
            "to_ids": list(to_ids),
            "subject": subject,
            "body": body,
            "sent": now_iso(),
            "thread_id": thread_id,
        },
    )


def get(tx: Tx, account_id: str, *, limit: int, offset: int, kind: Any) -> list[dict[str, Any]]:
    if limit > MAX_LIMIT:
        raise HubError(f"limit must be at most {MAX_LIMIT}")
    if kind not in ("sent", "received", "new", "starred"):
        # get.ts builds no query for any other type: "undefined WHERE ...".
        raise pg_error('syntax error at or near "undefined"')
    rows = tx.rows(
        "messages",
        f"SELECT {_FIELDS}, {_BITS} FROM messages WHERE from_id = ? "
        "OR EXISTS (SELECT 1 FROM json_each(messages.to_ids) WHERE value = ?)",
        (account_id, account_id),
    )
    chosen: list[dict[str, Any]] = []
    for row in rows:
        bits = {name: row.pop(name) for name in _BIT_NAMES}
        if kind == "sent":
            if row["from_id"] != account_id or _bit(bits["expire"], 0):
                continue
            chosen.append({**row, **{n: _bit(bits[n], 0) for n in ("read", "saved", "deleted")}})
            continue
        if account_id not in row["to_ids"] or row["sent"] is None:
            continue
        position = row["to_ids"].index(account_id) + 1
        mine = {name: _bit(value, position) for name, value in bits.items()}
        if mine["expire"]:
            continue
        if kind == "received":
            chosen.append({**row, **{n: mine[n] for n in ("read", "saved", "deleted")}})
        elif kind == "new":
            if not (mine["read"] or mine["saved"] or mine["deleted"]):
                chosen.append(row)
        elif mine["starred"] and not mine["deleted"]:
            chosen.append(row)
    chosen.sort(key=lambda m: (m["sent"] or "", m["id"]), reverse=True)
    return chosen[offset : offset + limit]


_BIT_NAMES = ("read", "saved", "starred", "liked", "deleted", "expire")
_BITS = ", ".join(f'"{n}"' for n in _BIT_NAMES)


def _bit(bits: str | None, position: int) -> bool:
    return bits is not None and len(bits) > position and bits[position] == "1"
