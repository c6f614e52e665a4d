"""The default AsyncProject pool's connections, on asyncio's own transports.

httpcore2 runs its connections through anyio, which on asyncio costs a cancel scope per read
and per write, and each time the pool looks for a free connection it asks the kernel, through
anyio's `extra()` and a `poll()`, whether each idle socket has been closed by the server. Here
a connection is an asyncio transport and protocol: bytes arrive into a buffer as the loop reads
them, so "has the server closed this idle connection" is a flag, and a timeout is a timer on
the one future a read or a blocked write waits for. With 50 calls in flight this cuts the
client's CPU per call by about 40% (BENCHMARKS.md). uvloop's transports serve the same way
(its `create_connection` cannot race a name's addresses, so aiohappyeyeballs, asyncio's own
algorithm as aiohttp uses it, connects the socket). Under trio, or another asyncio loop, the
connections are httpcore2's own `AnyIOBackend`. The pool itself, HTTP/1.1 and TLS are still
httpcore2's, h11's and the ssl module's.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Iterator
from typing import Any, cast

import httpcore2
import httpx2

from cocalc_api._network.pool import DEFAULT_LIMITS, SocketOption, pool_on
from cocalc_api._network.tls import default_ssl_context

# Reading stops while this much is received and not yet read (a slow reader of a large answer).
READ_HIGH_WATER = 256 * 1024
# anyio's delay between the connection attempts to a name's several addresses (RFC 8305).
HAPPY_EYEBALLS_DELAY_S = 0.25
# What httpcore2 asks of a stream -> what asyncio's transports call it.
_EXTRA_INFO_NAMES = {
    "ssl_object": "ssl_object",
    "client_addr": "sockname",
    "server_addr": "peername",
    "socket": "socket",
}


def pooled_transport(
    ssl_context: ssl.SSLContext | None = None, *, limits: httpx2.Limits = DEFAULT_LIMITS
) -> httpx2.AsyncHTTPTransport:
    """httpx2's HTTP/1.1 transport as `httpx2.AsyncClient()` makes it (by default with the
    shared certificate context), its connections on asyncio."""
    if ssl_context is None:
        ssl_context = default_ssl_context()
    transport = httpx2.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    transport._pool = pool_on(httpcore2.AsyncConnectionPool, ssl_context, limits, AsyncioBackend())
    return transport


class AsyncioBackend(httpcore2.AsyncNetworkBackend):
    """Opens connections as asyncio transports; under another event loop, anyio's."""

    def __init__(self) -> None:
        self._other = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        loop = _transports_loop()
        if loop is None:
            return await self._other.connect_tcp(host, port, timeout, local_address, socket_options)
        # An address has nothing to race; a name may have several (IPv6, IPv4).
        delay = None if _is_address(host) else HAPPY_EYEBALLS_DELAY_S
        local_addr = None if local_address is None else (local_address, 0)
        with _connect_errors():
            async with asyncio.timeout(timeout):
                if isinstance(loop, asyncio.BaseEventLoop):
                    transport, protocol = await loop.create_connection(
                        _Protocol, host, port, local_addr=local_addr, happy_eyeballs_delay=delay
                    )
                else:  # uvloop's create_connection tries the addresses one after another
                    sock = await _race_addresses(loop, host, port, local_addr, delay)
                    transport, protocol = await loop.create_connection(_Protocol, sock=sock)
        return _stream(transport, protocol, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        loop = _transports_loop()
        if loop is None:
            return await self._other.connect_unix_socket(path, timeout, socket_options)
        with _connect_errors():
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_unix_connection(_Protocol, path)
        return _stream(transport, protocol, socket_options)

    async def sleep(self, seconds: float) -> None:
        if _transports_loop() is None:
            await self._other.sleep(seconds)
        else:
            await asyncio.sleep(seconds)


class AsyncioStream(httpcore2.AsyncNetworkStream):
    """One connection: reads from the protocol's buffer, writes to the transport."""

    __slots__ = ("_protocol", "_transport")

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer and not protocol.ended:
            await protocol.wait_for_data(timeout)
        buffer = protocol.buffer
        if buffer:
            if len(buffer) <= max_bytes:
                data = bytes(buffer)
                buffer.clear()
            else:
                data = bytes(buffer[:max_bytes])
                del buffer[:max_bytes]
            if protocol.reading_paused and len(buffer) <= READ_HIGH_WATER:
                protocol.reading_paused = False
                self._transport.resume_reading()
            return data
        if protocol.error is not None:  # a reset, not the server's orderly close
            raise httpcore2.ReadError(str(protocol.error))
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if protocol.ended or self._transport.is_closing():
            raise httpcore2.WriteError("the connection is closed")
        self._transport.write(buffer)
        if protocol.writing_paused:  # the kernel's buffer is full: wait for it to drain
            await protocol.wait_for_drain(timeout)

    async def aclose(self) -> None:
        self._transport.abort()
        await asyncio.sleep(0)  # the loop closes the socket in its next round; let it

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            with _connect_errors():
                async with asyncio.timeout(timeout):
                    transport = await loop.start_tls(
                        self._transport,
                        self._protocol,
                        ssl_context,
                        server_hostname=server_hostname,
                    )
        except BaseException:
            self._transport.abort()
            raise
        if transport is None:  # the connection was closed during the handshake
            raise httpcore2.ConnectError("the server closed the connection during TLS setup")
        self._protocol.transport = transport  # pausing and resuming now go through TLS
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # asked of idle connections: data or a close has come
            protocol = self._protocol
            return protocol.ended or bool(protocol.buffer)
        name = _EXTRA_INFO_NAMES.get(info)
        return None if name is None else self._transport.get_extra_info(name)


class _Protocol(asyncio.Protocol):
    """Keeps what arrives until it is read, and the one future a read or a write awaits."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.ended = False
        self.error: BaseException | None = None
        self.reading_paused = False
        self.writing_paused = False
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's own or uvloop's; uvloop's do not derive from asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_HIGH_WATER and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # HTTP/1.1 never writes after the server's end: close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self.writing_paused = False
        self._wake()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._wake()

    async def wait_for_data(self, timeout: float | None) -> None:
        await self._wait(timeout, httpcore2.ReadTimeout)

    async def wait_for_drain(self, timeout: float | None) -> None:
        await self._wait(timeout, httpcore2.WriteTimeout)
        if self.ended:
            raise httpcore2.WriteError("the connection was closed while writing")

    async def _wait(self, timeout: float | None, expired: type[Exception]) -> None:
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        timer = None if timeout is None else loop.call_later(timeout, _expire, waiter, expired)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _stream(
    transport: asyncio.Transport,
    protocol: _Protocol,
    socket_options: Iterable[SocketOption] | None,
) -> AsyncioStream:
    """The stream of a connection just opened, its socket options set (after the connect, as
    httpcore2's own backends set them)."""
    sock = transport.get_extra_info("socket")
    for option in socket_options or ():
        sock.setsockopt(*option)
    return AsyncioStream(transport, protocol)


def _expire(waiter: asyncio.Future[None], expired: type[Exception]) -> None:
    if not waiter.done():
        waiter.set_exception(expired("timed out"))


def _transports_loop() -> asyncio.AbstractEventLoop | None:
    """The running loop if its transports are known here: asyncio's own, or uvloop's.

    None under trio, or under another asyncio loop (whose transports may behave otherwise):
    their connections are anyio's.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no asyncio loop runs in this thread: trio
        return None
    if isinstance(loop, asyncio.BaseEventLoop) or type(loop).__module__ == "uvloop":
        return loop
    return None


async def _race_addresses(
    loop: asyncio.AbstractEventLoop,
    host: str,
    port: int,
    local_addr: tuple[str, int] | None,
    delay: float | None,
) -> socket.socket:
    """A connected socket to one of `host`'s addresses, raced as asyncio's own loop does."""
    import aiohappyeyeballs  # only on loops whose create_connection cannot race

    addresses = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    local = (
        None if local_addr is None else await loop.getaddrinfo(*local_addr, type=socket.SOCK_STREAM)
    )
    return await aiohappyeyeballs.start_connection(
        addresses, local_addr_infos=local, happy_eyeballs_delay=delay, loop=loop
    )


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@contextlib.contextmanager
def _connect_errors() -> Iterator[None]:
    """Timeouts and OSError while connecting become httpcore2's, as its anyio backend maps them."""
    try:
        yield
    except TimeoutError as error:
        raise httpcore2.ConnectTimeout(str(error) or "timed out") from error
    except OSError as error:  # ssl.SSLError included
        raise httpcore2.ConnectError(str(error)) from error
