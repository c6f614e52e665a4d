"""Running one ``/api/conat/hub`` call: the envelope's time limit, the method lookup, the
caller put into the arguments, and the error texts of the real bridge and dispatcher
(src/packages/server/api/hub-bridge.ts, src/packages/server/conat/api/index.ts)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cocalc_project_server.envelope import Envelope

from .access import is_admin
from .context import HubContext
from .errors import HubError, WireError, wire_message
from .handlers import HUB_METHODS, HubMethod

log = logging.getLogger(__name__)


def _subject(account_id: str) -> str:
    return f"hub.account.{account_id}.api"


def hub_unreachable_message(account_id: str, name: str) -> str:
    """The bridge's text when no hub API service answers (src/packages/conat/core/client.ts,
    wrapped by src/packages/server/api/hub-bridge.ts; trailing space included)."""
    subject = _subject(account_id)
    return (
        f"request -- no subscribers matching '{subject}' - callHub: subject='{subject}', "
        f"name='{name}', code='503' "
    )


class HubDispatcher:
    def __init__(self, ctx: HubContext, methods: dict[str, HubMethod] = HUB_METHODS) -> None:
        self._ctx = ctx
        self._methods = methods
        # Calls past their envelope timeout keep running, as the real hub's do.
        self._overdue: set[asyncio.Task[Any]] = set()

    async def call(self, account_id: str, envelope: Envelope) -> Any:
        """The method's result (None for a void one); :class:`WireError` on any failure."""
        subject, name = _subject(account_id), envelope.name
        if envelope.timeout_ms <= 0:
            raise WireError(
                f"timeout must be positive - callHub: subject='{subject}', name='{name}', "
                "code='undefined' "
            )
        task = asyncio.ensure_future(self._run(account_id, envelope))
        try:
            done, _ = await asyncio.wait({task}, timeout=envelope.timeout_ms / 1000)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not done:
            self._overdue.add(task)
            task.add_done_callback(self._forget)
            raise WireError(f"timeout - callHub: subject='{subject}', name='{name}', code='408' ")
        return task.result()

    async def _run(self, account_id: str, envelope: Envelope) -> Any:
        name = envelope.name
        if name == "system.terminate":
            # index.ts answers this one itself: only an admin may stop a hub service.
            with self._ctx.store.transaction() as tx:
                if not is_admin(tx, account_id):
                    raise WireError("only admin can terminate")
        method = self._methods.get(name)
        if method is None:
            raise WireError(wire_message(HubError(f"unknown function '{name}'")))
        try:
            args = method.auth(list(envelope.args), account_id)
            return await method.call(self._ctx, *args)
        except WireError:
            raise
        except Exception as exc:
            if not isinstance(exc, HubError):
                log.exception("unexpected error in %s", name)
            raise WireError(wire_message(exc)) from None

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._overdue.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.info("overdue hub call ended with: %s", task.exception())

    async def close(self) -> None:
        for task in list(self._overdue):
            task.cancel()
        await asyncio.gather(*self._overdue, return_exceptions=True)
