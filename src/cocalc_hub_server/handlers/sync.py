"""``sync.history`` (src/packages/server/conat/api/sync.ts). The local project server keeps
no edit history (no patch streams), so every file's history is empty."""

from __future__ import annotations

from typing import Any

from ..access import is_collaborator
from ..errors import HubError
from .base import HubContext, HubMethod, options


async def history(ctx: HubContext, *args: Any) -> dict[str, Any]:
    opts = options(args)
    account_id = opts.get("account_id")
    with ctx.store.transaction() as tx:
        if not account_id or not is_collaborator(tx, account_id, opts.get("project_id")):
            raise HubError("user must be collaborator on source project")
    return {"patches": [], "info": {}}


METHODS: dict[str, HubMethod] = {"sync.history": HubMethod(history)}
