"""HTTP connections with the limits uvicorn lacks: deadlines for a request to arrive, and a cap.

uvicorn only times out the idle gap after a response (``timeout_keep_alive``); a client that
connects and never completes its request head, or trickles a byte at a time, holds a socket
forever (uvicorn issue #157: ``--timeout-request-start`` was planned, never built). Its
``limit_concurrency`` is no cap on sockets either: it answers 503 only once a request head is
complete, so idle sockets are still accepted until the process runs out of descriptors.

So each connection here runs a timer while the server waits for the client: the request head
must be complete ``header_timeout_s`` after the connection opens (or the previous response
ends), the body ``body_timeout_s`` after the head. While a call runs, or the client is silent
between requests (uvicorn's keep-alive timer covers that), no deadline applies.

Past ``max_connections`` open connections, the one that has waited longest for a request head is
closed to make room (what nginx does with idle keep-alive connections when it runs out); if every
connection is busy with a call, the new one is closed instead. Work in progress is never cut off
for a newcomer.

This subclasses uvicorn's h11 protocol and reads its ``conn`` (the h11 state machine),
``transport``, ``cycle`` and ``connections``, which have been stable for years; the HTTP parsing
and the ASGI cycle stay uvicorn's.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

# Orders connections by when they began waiting for a request head (clock ties cannot happen).
_wait_order = itertools.count()


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a request may take to arrive, and how many connections may be open."""

    header_timeout_s: float
    body_timeout_s: float
    max_connections: int


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus request deadlines and the connection cap (see module doc)."""

    limits: ClassVar[ConnectionLimits]

    _deadline: asyncio.TimerHandle | None = None
    # What the server waits for from the client: "head", "body", or None (nothing).
    _awaiting: str | None = None
    # When the connection began waiting for a request head, as a place in _wait_order.
    _awaiting_head_since = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow_state()
        if len(self.connections) > self.limits.max_connections and self._open_count() > (
            self.limits.max_connections
        ):
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        self._follow_state()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_state()

    def _open_count(self) -> int:
        # Closed connections stay in the set until their connection_lost runs.
        return sum(1 for c in self.connections if not c.transport.is_closing())

    def _waiting_for_head(self) -> bool:
        return self._awaiting == "head" and not self.transport.is_closing()

    def _follow_state(self) -> None:
        """(Re)arm the deadline when the connection starts waiting for a head or a body."""
        if self.transport.is_closing():
            self._cancel_deadline()
            return
        state = self.conn.their_state
        awaiting = "head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if awaiting == self._awaiting:
            return
        self._cancel_deadline()
        self._awaiting = awaiting
        if awaiting == "head":
            self._awaiting_head_since = next(_wait_order)
            delay = self.limits.header_timeout_s
        elif awaiting == "body":
            delay = self.limits.body_timeout_s
        else:
            return
        self._deadline = self.loop.call_later(delay, self._deadline_passed, awaiting, delay)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _deadline_passed(self, awaiting: str, delay: float) -> None:
        self._deadline = None
        log.info("closed a connection: request %s not complete after %g s", awaiting, delay)
        # An app still reading the body sees a disconnect (starlette's ClientDisconnect).
        self.transport.close()

    def _make_room(self) -> None:
        """Close the connection that has waited longest for a request head, else this one."""
        waiting = [
            c
            for c in self.connections
            if c is not self and isinstance(c, LimitedH11Protocol) and c._waiting_for_head()
        ]
        if waiting:
            oldest = min(waiting, key=lambda c: c._awaiting_head_since)
            log.warning(
                "connection limit (%d) reached: closing the connection idle the longest",
                self.limits.max_connections,
            )
            oldest.transport.close()
        else:
            log.warning(
                "connection limit (%d) reached and every connection is busy: refusing a new one",
                self.limits.max_connections,
            )
            self.transport.close()


def limited_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` enforcing ``limits``."""

    class Protocol(LimitedH11Protocol):
        pass

    Protocol.limits = limits
    return Protocol
