"""The default Project pool's connections: httpcore2's own sockets, each wait cut to the deadline.

httpx2's sync transport bounds each read and each write, not a whole exchange: a server that
sends an answer's head a few bytes at a time, each within the read timeout, would hold a call
long past its deadline. (The body is read by the transport, which checks the deadline between
chunks; an async call has one limit over the whole exchange.) Here every wait on the socket
ends by the deadline of the call this thread is making, which the transport sets for the
exchange (`DEADLINE`), so a trickled head ends at the call's deadline as an `APITimeoutError`
too. Without a call under way (a request made on the client directly) nothing is cut.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import httpcore2
import httpx2

from cocalc_api._network.pool import DEFAULT_LIMITS, SocketOption, pool_on
from cocalc_api._network.tls import default_ssl_context

# The monotonic time by which the exchange under way in this context must end.
DEADLINE: ContextVar[float | None] = ContextVar("cocalc_api_deadline", default=None)
# A large write is handed over in slices, each given what is left of the deadline.
WRITE_SLICE = 64 * 1024


def pooled_transport(
    ssl_context: ssl.SSLContext | None = None, *, limits: httpx2.Limits = DEFAULT_LIMITS
) -> httpx2.HTTPTransport:
    """httpx2's HTTP/1.1 transport as `httpx2.Client()` makes it (by default with the shared
    certificate context), its waits cut to the call's deadline."""
    if ssl_context is None:
        ssl_context = default_ssl_context()
    transport = httpx2.HTTPTransport(verify=ssl_context, limits=limits)
    transport._pool = pool_on(httpcore2.ConnectionPool, ssl_context, limits, DeadlineBackend())
    return transport


def _cut(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout`, or less: what is left before the deadline of the call under way."""
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise expired("the call's deadline has passed")
    return remaining if timeout is None or remaining < timeout else timeout


class DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore2's own sockets (`SyncBackend`), their waits cut to the call's deadline."""

    def __init__(self) -> None:
        self._sockets = httpcore2.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore2.NetworkStream:
        limit = _cut(timeout, httpcore2.ConnectTimeout)
        stream = self._sockets.connect_tcp(host, port, limit, local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore2.NetworkStream:
        limit = _cut(timeout, httpcore2.ConnectTimeout)
        return DeadlineStream(self._sockets.connect_unix_socket(path, limit, socket_options))

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


class DeadlineStream(httpcore2.NetworkStream):
    """One of httpcore2's streams; no read or write waits past the call's deadline."""

    __slots__ = ("_stream",)

    def __init__(self, stream: httpcore2.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _cut(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), WRITE_SLICE):
            part = buffer[start : start + WRITE_SLICE]  # the buffer itself when it is small
            self._stream.write(part, _cut(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        limit = _cut(timeout, httpcore2.ConnectTimeout)
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, limit))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)
