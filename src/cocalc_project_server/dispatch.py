"""Running one decoded call: method lookup, the envelope time limit, error texts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .api import Method
from .envelope import Envelope, timeout_message, unreachable_message
from .errors import ProjectError, WireError, wire_message

log = logging.getLogger(__name__)


class Dispatcher:
    """Calls methods by wire name under the envelope's time limit."""

    def __init__(self, methods: dict[str, Method], project_id: str) -> None:
        self._methods = methods
        self._project_id = project_id
        # Calls that outlived their envelope timeout keep running, as in the real service.
        self._overdue: set[asyncio.Task[Any]] = set()

    async def call(self, envelope: Envelope) -> Any:
        """The method's result; raise :class:`WireError` with the wire text on any failure."""
        if envelope.compute_server_id != 0:
            # Only the home base (compute server 0) exists here.
            raise WireError(
                unreachable_message(self._project_id, envelope.name, envelope.compute_server_id)
            )
        method = self._methods.get(envelope.name)
        if method is None:
            raise WireError(wire_message(ProjectError(f"unknown function '{envelope.name}'")))
        task = asyncio.ensure_future(method(*envelope.args))
        try:
            done, _ = await asyncio.wait({task}, timeout=envelope.timeout_ms / 1000)
        except asyncio.CancelledError:
            task.cancel()  # the request itself is gone (server shutdown)
            raise
        if not done:
            self._overdue.add(task)
            task.add_done_callback(self._forget)
            raise WireError(timeout_message(self._project_id, envelope.name))
        try:
            return task.result()
        except WireError:
            raise
        except Exception as exc:
            if not isinstance(exc, ProjectError):
                log.exception("unexpected error in %s", envelope.name)
            raise WireError(wire_message(exc)) from None

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._overdue.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.info("overdue call ended with: %s", task.exception())

    async def close(self) -> None:
        """Cancel calls that are still running past their envelope timeout."""
        for task in list(self._overdue):
            task.cancel()
        if self._overdue:
            await asyncio.gather(*self._overdue, return_exceptions=True)
