"""``messages.send`` / ``messages.get`` (src/packages/server/conat/api/messages.ts)."""

from __future__ import annotations

from typing import Any

from .. import messages
from ..errors import HubError, WireError
from ..jsvalues import is_valid_uuid
from .base import HubContext, HubMethod, options


async def send(ctx: HubContext, *args: Any) -> int | None:
    opts = options(args)
    account_id = opts.get("account_id")
    if not account_id:
        raise HubError("invalid account")
    to_ids = opts.get("to_ids")
    if not isinstance(to_ids, list):
        raise WireError("TypeError: Cannot read properties of undefined (reading 'filter')")
    with ctx.store.transaction() as tx:
        emails = [x for x in to_ids if isinstance(x, str) and "@" in x]
        if emails:
            # Recipients given by e-mail address become their accounts.
            marks = ",".join("?" for _ in emails)
            found = tx.rows(
                "accounts",
                f"SELECT account_id FROM accounts WHERE email_address IN ({marks})",
                emails,
            )
            to_ids = [x for x in to_ids if is_valid_uuid(x)] + [r["account_id"] for r in found]
        return messages.send(
            tx,
            from_id=str(account_id),
            to_ids=to_ids,
            subject=opts.get("subject"),
            body=opts.get("body"),
            reply_id=opts.get("reply_id"),
        )


async def get(ctx: HubContext, *args: Any) -> list[dict[str, Any]]:
    opts = options(args)
    limit = opts.get("limit")
    offset = opts.get("offset")
    kind = opts.get("type")
    with ctx.store.transaction() as tx:
        return messages.get(
            tx,
            str(opts.get("account_id")),
            limit=100 if limit is None else int(limit),
            offset=int(offset or 0),
            kind="received" if kind is None else kind,
        )


METHODS: dict[str, HubMethod] = {
    "messages.send": HubMethod(send),
    "messages.get": HubMethod(get),
}
