"""``db.userQuery`` (src/packages/server/conat/api/db.ts -> database/user-query)."""

from __future__ import annotations

from typing import Any

from ..userquery import user_query as run_user_query
from .base import HubContext, HubMethod, options


async def user_query(ctx: HubContext, *args: Any) -> Any:
    opts = options(args)
    with ctx.store.transaction() as tx:
        return run_user_query(
            tx, str(opts.get("account_id")), opts.get("query"), opts.get("options")
        )


METHODS: dict[str, HubMethod] = {"db.userQuery": HubMethod(user_query)}
