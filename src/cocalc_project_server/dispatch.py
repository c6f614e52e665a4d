"""Running one decoded call: method lookup, argument checks, the envelope time limit, error texts.

Arguments are checked with the validators generated from the spec, the same ones the SDK uses
before it sends: a call the SDK would refuse is refused here with the same rule named.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cocalc_api_generated._runtime import MethodSpec, SchemaError
from cocalc_api_generated.specs import BY_WIRE

from .envelope import Envelope, nonpositive_timeout_message, timeout_message, unreachable_message
from .errors import ProjectError, WireError, wire_message
from .registry import Handler

log = logging.getLogger(__name__)


class Dispatcher:
    """Calls methods by wire name under the envelope's time limit."""

    def __init__(self, methods: dict[str, Handler], project_id: str) -> None:
        self._methods = methods
        self._project_id = project_id
        # Calls that outlived their envelope timeout keep running, as in the real service; calls
        # answered at shutdown are cancelled. Both are awaited by close().
        self._overdue: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """The server is going away: answer calls in flight, and any new ones, as unreachable."""
        self._stopping.set()

    async def call(self, envelope: Envelope) -> Any:
        """The method's result; raise :class:`WireError` with the wire text on any failure."""
        if envelope.timeout_ms <= 0:
            # The hub's request() refuses it before anything is sent to the project:
            # src/packages/conat/core/client.ts (request), server/api/project-bridge.ts.
            raise WireError(
                nonpositive_timeout_message(
                    self._project_id, envelope.name, envelope.compute_server_id
                )
            )
        if envelope.compute_server_id != 0 or self._stopping.is_set():
            # Only the home base (compute server 0) exists here; a stopping server has none.
            raise self._unreachable(envelope)
        if envelope.name == "ping":
            # Answered by the project's API loop itself, before any method lookup:
            # src/packages/project/conat/api/index.ts (handleApiRequest).
            return "pong"
        handler = self._methods.get(envelope.name)
        if handler is None:
            raise WireError(wire_message(ProjectError(f"unknown function '{envelope.name}'")))
        args = envelope.args
        if not handler.lenient:
            args = checked_args(envelope.name, args)
        task = asyncio.ensure_future(handler.call(*args))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            done, _ = await asyncio.wait(
                {task, stopping},
                timeout=envelope.timeout_ms / 1000,
                return_when=asyncio.FIRST_COMPLETED,
            )
        except asyncio.CancelledError:
            task.cancel()  # the request itself is gone
            raise
        finally:
            stopping.cancel()
        if task not in done and self._stopping.is_set():
            task.cancel()
            self._overdue.add(task)
            task.add_done_callback(self._forget)
            raise self._unreachable(envelope)
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

    def _unreachable(self, envelope: Envelope) -> WireError:
        return WireError(
            unreachable_message(self._project_id, envelope.name, envelope.compute_server_id)
        )

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._overdue.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.info("overdue call ended with: %s", task.exception())

    async def close(self) -> None:
        """Cancel calls that are still running past their envelope timeout or the shutdown."""
        for task in list(self._overdue):
            task.cancel()
        if self._overdue:
            await asyncio.gather(*self._overdue, return_exceptions=True)


def checked_args(name: str, args: list[Any]) -> list[Any]:
    """``args`` as the handler of ``name`` gets them, or a :class:`WireError` naming the rule.

    As in the real service, extra arguments are ignored and a missing options object is no
    options (JavaScript's destructuring defaults); then the spec's schema must hold.
    """
    specs = BY_WIRE[name]
    problems: list[str] = []
    for spec in specs:
        fitted = _fit(spec, args)
        try:
            spec.validate_args(fitted)
        except SchemaError as error:
            problems.append(str(error).replace("data[", "args[", 1))
            continue
        return fitted
    # Overloads often break the same rule: name it once.
    rules = " / ".join(dict.fromkeys(problems))
    raise WireError(wire_message(ProjectError(f"{name}: {rules}")))


def _fit(spec: MethodSpec[Any], args: list[Any]) -> list[Any]:
    fitted = list(args[: len(spec.slots)])
    while len(fitted) < len(spec.slots) and spec.slots[len(fitted)] == "options":
        fitted.append({})
    return fitted
