"""The default AsyncProject's connections (cocalc_api/_network/asyncio_backend.py), on real sockets.

Each test talks to a real loopback server (an asyncio one in the test's own loop, or the
threaded hostile server of the fault suite) and checks what httpcore2 expects of a network
stream: bytes in order and none lost, an orderly close read as b"", a reset as ReadError, a
silent peer as ReadTimeout, a full send buffer as WriteTimeout, an idle connection the server
closed reported as readable so that the pool does not reuse it. Each async test runs on
asyncio's own loop and on uvloop's (tests/conftest.py). Under trio the connections and the
call's deadline are anyio's.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import httpcore2
import httpx2
import pytest
import sniffio
import trio
import trustme
import uvloop

import cocalc_api
from cocalc_api._network.asyncio_backend import (
    AsyncioBackend,
    AsyncioStream,
)
from tests.faults.hostile import (
    Behaviour,
    HostileServer,
    respond_json,
    stall_after_headers,
    trickle_headers,
)
from tests.sockets import tls_contexts, unanswering

PROJECT_ID = "00000000-0000-4000-8000-000000000000"
# uvloop's timers run on libuv's millisecond clock, read once per loop round: a 300 ms limit
# can end a millisecond or so before 300 ms of time.monotonic() have passed (seen: 299.8 ms).
TIMER_SLACK = 0.005
T = TypeVar("T")
PING_BODY = b'{"now":1764115200000}'
PING_ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
    % (len(PING_BODY), PING_BODY)
)


class _KeepAlive(asyncio.Protocol):
    """HTTP/1.1 with keep-alive: answers every request on a connection with PING_ANSWER."""

    def __init__(self, server: KeepAliveServer) -> None:
        self.server = server
        self.received = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.server.open.add(self.transport)
        self.server.connections += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.open.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        self.received += data
        while b"\r\n\r\n" in self.received:
            head, _, rest = self.received.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            if len(rest) < length:
                return
            self.received = rest[length:]
            self.server.requests += 1
            self.server.request_lines.append(head.split(b"\r\n", 1)[0])
            self.transport.write(PING_ANSWER)


class KeepAliveServer:
    def __init__(self) -> None:
        self.open: set[asyncio.Transport] = set()
        self.connections = 0
        self.requests = 0
        self.request_lines: list[bytes] = []

    def close_idle(self) -> None:
        """Close every connection, as a server does with those idle past its keep-alive."""
        for transport in list(self.open):
            transport.close()


@contextlib.asynccontextmanager
async def keep_alive_server() -> AsyncIterator[tuple[KeepAliveServer, str]]:
    state = KeepAliveServer()
    server = await asyncio.get_running_loop().create_server(
        lambda: _KeepAlive(state), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield state, f"http://127.0.0.1:{port}"
    finally:
        server.close()
        state.close_idle()


class _Peer(asyncio.Protocol):
    """The server side of one connection, for the tests to drive by hand."""

    def __init__(self, arrived: asyncio.Queue[_Peer]) -> None:
        self.arrived = arrived
        self.received = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.arrived.put_nowait(self)

    def data_received(self, data: bytes) -> None:
        self.received += data

    def reset(self) -> None:
        """Close with an RST instead of a FIN (SO_LINGER 0)."""
        sock = self.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


@contextlib.asynccontextmanager
async def connected(
    tls: tuple[ssl.SSLContext, ssl.SSLContext] | None = None,
) -> AsyncIterator[tuple[httpcore2.AsyncNetworkStream, _Peer]]:
    """A stream from AsyncioBackend to a loopback server, and the server's end of it; with
    `tls` (the server's context, the client's), the stream is past its TLS handshake."""
    arrived: asyncio.Queue[_Peer] = asyncio.Queue()
    server = await asyncio.get_running_loop().create_server(
        lambda: _Peer(arrived), "127.0.0.1", 0, ssl=None if tls is None else tls[0]
    )
    port = server.sockets[0].getsockname()[1]
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
    assert isinstance(stream, AsyncioStream)
    if tls is not None:
        stream = await stream.start_tls(tls[1], server_hostname="localhost", timeout=5)
    peer = await asyncio.wait_for(arrived.get(), 5)
    try:
        yield stream, peer
    finally:
        await stream.aclose()
        peer.transport.abort()
        server.close()


async def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.01)


# -- through AsyncProject --------------------------------------------------------------------


async def test_a_call_tells_sniffio_its_loop_for_the_exchange_only() -> None:
    # "asyncio" is sniffio's documented name for asyncio (uvloop's loop included).
    seen: list[str | None] = []

    async def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(sniffio.current_async_library_cvar.get())
        return httpx2.Response(200, json={"now": 5})

    async with (
        httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as http,
        cocalc_api.AsyncProject(
            api_key="sk-test", host="http://127.0.0.1:1", project_id=PROJECT_ID, http_client=http
        ) as project,
    ):
        before = sniffio.current_async_library_cvar.get()
        assert await project.system.ping() == {"now": 5}
        assert sniffio.current_async_library_cvar.get() == before  # undone after the call
    assert seen == ["asyncio"]


def count_connections(monkeypatch: pytest.MonkeyPatch) -> list[httpcore2.AsyncNetworkStream]:
    """The streams AsyncioBackend opens from now on, in order."""
    opened: list[httpcore2.AsyncNetworkStream] = []
    connect = AsyncioBackend.connect_tcp

    async def counted(self: AsyncioBackend, *args: object, **kwargs: object) -> object:
        stream = await connect(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(stream)
        return stream

    monkeypatch.setattr(AsyncioBackend, "connect_tcp", counted)
    return opened


async def test_async_project_makes_its_connections_on_asyncio_transports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened = count_connections(monkeypatch)
    async with (
        keep_alive_server() as (server, url),
        cocalc_api.AsyncProject(api_key="sk-test", host=url, project_id=PROJECT_ID) as project,
    ):
        assert await project.system.ping() == {"now": 1764115200000}
        assert await project.system.ping() == {"now": 1764115200000}
    assert len(opened) == 1 and isinstance(opened[0], AsyncioStream)
    assert (server.connections, server.requests) == (1, 2)  # the second call reused it


async def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    async with (
        keep_alive_server() as (server, url),
        cocalc_api.AsyncProject(
            api_key="sk-test", host=url, project_id=PROJECT_ID, max_retries=0
        ) as project,
    ):
        await project.system.ping()
        server.close_idle()
        await eventually(lambda: not server.open)
        await asyncio.sleep(0.05)  # the client's loop reads the server's FIN
        # Without retries: a request written to the closed connection would fail this call.
        assert await project.system.ping() == {"now": 1764115200000}
    assert (server.connections, server.requests) == (2, 2)


# -- the stream ------------------------------------------------------------------------------


async def test_reads_give_what_arrived_in_order_no_more_than_asked() -> None:
    async with connected() as (stream, peer):
        peer.transport.write(b"0123456789")
        assert await stream.read(4, timeout=5) == b"0123"
        assert await stream.read(100, timeout=5) == b"456789"
        await stream.write(b"request", timeout=5)
        await eventually(lambda: peer.received == b"request")


async def test_an_idle_connection_is_readable_only_once_the_server_closed_it() -> None:
    async with connected() as (stream, peer):
        await asyncio.sleep(0.05)
        assert stream.get_extra_info("is_readable") is False
        peer.transport.write(b"last words")  # bytes nobody asked for: the pool drops it too
        await eventually(lambda: stream.get_extra_info("is_readable") is True)
        peer.transport.close()
        assert await stream.read(100, timeout=5) == b"last words"
        assert await stream.read(100, timeout=5) == b""  # an orderly close
        assert stream.get_extra_info("is_readable") is True
        # The SDK puts this text in its APIConnectionError ("connection to ... failed: ...").
        with pytest.raises(httpcore2.WriteError, match="^the connection is closed$"):
            await stream.write(b"too late", timeout=5)


async def test_a_reset_connection_is_a_read_error() -> None:
    async with connected() as (stream, peer):
        peer.reset()
        with pytest.raises(httpcore2.ReadError, match="reset by peer"):
            await stream.read(100, timeout=5)


async def test_a_silent_server_is_a_read_timeout_and_the_stream_still_reads() -> None:
    async with connected() as (stream, peer):
        started = time.monotonic()
        with pytest.raises(httpcore2.ReadTimeout, match="^timed out$"):
            await stream.read(100, timeout=0.2)
        assert time.monotonic() - started >= 0.2
        peer.transport.write(b"late")
        assert await stream.read(100, timeout=5) == b"late"
        peer.transport.write(b"later")  # arriving while no read waits: the connection stays whole
        await asyncio.sleep(0.05)
        assert await stream.read(100, timeout=5) == b"later"
        assert stream.get_extra_info("is_readable") is False


async def test_a_cancelled_read_leaves_the_stream_readable() -> None:
    async with connected() as (stream, peer):
        reading = asyncio.ensure_future(stream.read(100))
        await asyncio.sleep(0.05)
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
        peer.transport.write(b"after")
        assert await stream.read(100, timeout=5) == b"after"


async def test_a_peer_that_stops_reading_is_a_write_timeout() -> None:
    async with connected() as (stream, peer):
        peer.transport.pause_reading()
        chunk = b"x" * (1 << 20)
        started = time.monotonic()
        with pytest.raises(httpcore2.WriteTimeout):
            for _ in range(64):  # more than the kernel's buffers on both ends hold
                await stream.write(chunk, timeout=0.3)
        assert time.monotonic() - started < 5


async def test_a_peer_that_reads_late_gets_everything_written_meanwhile() -> None:
    async with connected() as (stream, peer):
        peer.transport.pause_reading()
        chunk = bytes(range(256)) * 4096  # 1 MiB
        writing = asyncio.ensure_future(_write_all(stream, chunk, 32))
        await asyncio.sleep(0.3)
        assert not writing.done()  # waiting for the peer to read
        peer.transport.resume_reading()
        await asyncio.wait_for(writing, 10)
        await eventually(lambda: len(peer.received) == 32 * len(chunk))
        assert peer.received == chunk * 32


async def test_a_peer_gone_while_the_write_waits_is_a_write_error() -> None:
    async with connected() as (stream, peer):
        peer.transport.pause_reading()
        writing = asyncio.ensure_future(_write_all(stream, b"x" * (1 << 20), 64))
        await asyncio.sleep(0.3)
        peer.reset()
        with pytest.raises(httpcore2.WriteError, match="^the connection was closed while writing$"):
            await asyncio.wait_for(writing, 5)


async def _write_all(stream: httpcore2.AsyncNetworkStream, chunk: bytes, count: int) -> None:
    for _ in range(count):
        await stream.write(chunk, timeout=10)


async def test_a_large_answer_read_slowly_arrives_whole_and_reading_pauses_meanwhile() -> None:
    payload = bytes(range(256)) * (16 * 1024)  # 4 MiB
    async with connected() as (stream, peer):
        assert isinstance(stream, AsyncioStream)
        peer.transport.write(payload)
        peer.transport.write_eof()
        # Not read yet: the stream stops taking bytes from the socket past its limit.
        await eventually(lambda: not stream._transport.is_reading())
        assert len(stream._protocol.buffer) < 1 << 20  # well under the 4 MiB sent
        received = bytearray()
        while chunk := await stream.read(65536, timeout=5):
            received += chunk
        assert received == payload


async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, not listening: connecting is refused
        port = unused.getsockname()[1]
        with pytest.raises(httpcore2.ConnectError):
            await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)


async def test_a_connection_not_accepted_in_time_is_a_connect_timeout(full_backlog: int) -> None:
    started = time.monotonic()
    with pytest.raises(httpcore2.ConnectTimeout):
        await AsyncioBackend().connect_tcp("127.0.0.1", full_backlog, timeout=0.3)
    assert 0.3 - TIMER_SLACK <= time.monotonic() - started < 5


async def test_a_name_whose_first_address_never_answers_connects_through_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # RFC 8305: the next address is tried once the first has not answered for a while; 250 ms
    # is its recommended delay, and anyio's (httpcore2's default connections). One after the
    # other, the call would wait out its whole connect timeout on the first.
    loop = asyncio.get_running_loop()
    arrived: asyncio.Queue[_Peer] = asyncio.Queue()
    # One port on two addresses: unanswering on 127.0.0.1, listening on 127.0.0.2. A port free
    # on one may be taken on the other (the run's other sockets), so try until one is free on both.
    first = contextlib.ExitStack()
    for _ in range(20):
        port = first.enter_context(unanswering("127.0.0.1", 0))
        try:
            server = await loop.create_server(lambda: _Peer(arrived), "127.0.0.2", port)
            break
        except OSError:
            first.close()
    else:
        pytest.fail("no port free on both 127.0.0.1 and 127.0.0.2")

    resolve_for_real = loop.getaddrinfo

    async def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "project.example":  # uvloop's sock_connect resolves the addresses again
            return await resolve_for_real(host, port, *args, **kwargs)
        stream, tcp = socket.SOCK_STREAM, socket.IPPROTO_TCP
        return [
            (socket.AF_INET, stream, tcp, "", ("127.0.0.1", port)),
            (socket.AF_INET, stream, tcp, "", ("127.0.0.2", port)),
        ]

    monkeypatch.setattr(loop, "getaddrinfo", resolve)  # the name's addresses, in this order
    with first:
        started = time.monotonic()
        stream = await AsyncioBackend().connect_tcp("project.example", port, timeout=3)
        elapsed = time.monotonic() - started
    try:
        assert stream.get_extra_info("server_addr") == ("127.0.0.2", port)
        assert 0.25 - TIMER_SLACK <= elapsed < 1
    finally:
        await stream.aclose()
        server.close()


async def test_socket_options_are_set_on_the_connection() -> None:
    arrived: asyncio.Queue[_Peer] = asyncio.Queue()
    server = await asyncio.get_running_loop().create_server(lambda: _Peer(arrived), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, socket_options=[option])
    try:
        sock = stream.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert stream.get_extra_info("server_addr") == ("127.0.0.1", port)
        assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
        assert stream.get_extra_info("ssl_object") is None
    finally:
        await stream.aclose()
        server.close()


async def test_connections_go_to_the_host_asked_from_the_local_address_asked() -> None:
    # 127.0.0.2 is loopback too, but neither the default host nor the default source address.
    arrived: asyncio.Queue[_Peer] = asyncio.Queue()
    server = await asyncio.get_running_loop().create_server(lambda: _Peer(arrived), "127.0.0.2", 0)
    port = server.sockets[0].getsockname()[1]
    backend = AsyncioBackend()
    streams = [
        await backend.connect_tcp("127.0.0.2", port, timeout=5, local_address="127.0.0.2")
        for _ in range(2)  # two at once: each gets a port of its own
    ]
    try:
        for stream in streams:
            assert stream.get_extra_info("server_addr") == ("127.0.0.2", port)
            assert stream.get_extra_info("client_addr")[0] == "127.0.0.2"
    finally:
        for stream in streams:
            await stream.aclose()
        server.close()


async def test_the_backend_sleeps() -> None:
    started = time.monotonic()
    await AsyncioBackend().sleep(0.05)
    assert time.monotonic() - started >= 0.05 - TIMER_SLACK


async def test_a_unix_socket_connection_carries_bytes_both_ways() -> None:
    arrived: asyncio.Queue[_Peer] = asyncio.Queue()
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        path = str(Path(folder) / "s")
        server = await asyncio.get_running_loop().create_unix_server(lambda: _Peer(arrived), path)
        option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        stream = await AsyncioBackend().connect_unix_socket(
            path, timeout=5, socket_options=[option]
        )
        assert isinstance(stream, AsyncioStream)
        try:
            sock = stream.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            peer = await asyncio.wait_for(arrived.get(), 5)
            await stream.write(b"ping", timeout=5)
            peer.transport.write(b"pong")
            assert await stream.read(10, timeout=5) == b"pong"
            await eventually(lambda: peer.received == b"ping")
        finally:
            await stream.aclose()
            server.close()


# -- TLS -------------------------------------------------------------------------------------


async def test_tls_carries_a_large_answer_read_slowly(authority: trustme.CA) -> None:
    payload = bytes(range(256)) * (16 * 1024)  # 4 MiB: reading pauses and resumes through TLS
    async with connected(tls_contexts(authority)) as (stream, peer):
        assert stream.get_extra_info("ssl_object") is not None
        await stream.write(b"hello", timeout=5)
        await eventually(lambda: peer.received == b"hello")
        peer.transport.write(payload)
        await asyncio.sleep(0.3)
        assert isinstance(stream, AsyncioStream)  # not read yet: reading paused through TLS
        assert len(stream._protocol.buffer) < 1 << 20  # well under the 4 MiB sent
        received = bytearray()
        while len(received) < len(payload):
            received += await stream.read(65536, timeout=5)
        assert received == payload


@pytest.mark.parametrize(
    ("issued_to", "trusted", "refusal"),
    [
        ("localhost", False, "CERTIFICATE_VERIFY_FAILED"),
        # Trusted, but issued to another host: the name must be checked, not only the chain.
        ("elsewhere.example", True, "Hostname mismatch"),
    ],
    ids=["untrusted", "another-name"],
)
async def test_a_certificate_that_does_not_vouch_for_the_host_is_a_connect_error(
    authority: trustme.CA, issued_to: str, trusted: bool, refusal: str
) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(issued_to).configure_cert(server_context)
    client_context = ssl.create_default_context()
    if trusted:
        authority.configure_trust(client_context)
    server = await asyncio.get_running_loop().create_server(
        asyncio.Protocol, "127.0.0.1", 0, ssl=server_context
    )
    port = server.sockets[0].getsockname()[1]
    try:
        plain = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        with pytest.raises(httpcore2.ConnectError, match=refusal):
            await plain.start_tls(client_context, "localhost", timeout=5)
    finally:
        server.close()


async def test_a_server_that_never_answers_the_handshake_is_a_connect_timeout() -> None:
    async with connected() as (plain, _peer):  # a plain server: it never speaks TLS
        started = time.monotonic()
        with pytest.raises(httpcore2.ConnectTimeout):
            await plain.start_tls(ssl.create_default_context(), "localhost", timeout=0.3)
        assert 0.3 - TIMER_SLACK <= time.monotonic() - started < 5


async def test_an_https_request_through_httpcore2s_pool(authority: trustme.CA) -> None:
    server_context, client_context = tls_contexts(authority)
    server = await asyncio.get_running_loop().create_server(
        lambda: _KeepAlive(KeepAliveServer()), "127.0.0.1", 0, ssl=server_context
    )
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpcore2.AsyncConnectionPool(
            ssl_context=client_context, network_backend=AsyncioBackend()
        ) as pool:
            response = await pool.request("POST", f"https://localhost:{port}/api", content=b"{}")
        assert response.status == 200 and response.content == PING_BODY
    finally:
        server.close()


# -- under trio and uvloop --------------------------------------------------------------------

Main = Callable[[], Coroutine[Any, Any, T]]


def _run_on_trio(main: Main[T]) -> T:
    return trio.run(main)


def _run_on_uvloop(main: Main[T]) -> T:
    # uvloop is the loop uvicorn (and so many FastAPI services) runs when it is installed.
    return uvloop.run(main())


@pytest.fixture(params=[_run_on_trio, _run_on_uvloop], ids=["trio", "uvloop"])
def run_elsewhere(request: pytest.FixtureRequest) -> Callable[[Main[Any]], Any]:
    runner: Callable[[Main[Any]], Any] = request.param
    return runner


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


def test_on_another_event_loop_calls_are_answered(
    hostile: HostileServer, run_elsewhere: Callable[[Main[object]], object]
) -> None:
    hostile.play(respond_json({"now": 5}))

    async def main() -> object:
        async with cocalc_api.AsyncProject(
            api_key="sk-test", host=hostile.url, project_id=PROJECT_ID
        ) as project:
            return await project.system.ping()

    assert run_elsewhere(main) == {"now": 5}


@pytest.mark.parametrize(
    "behaviour",
    [
        stall_after_headers(seconds=30),
        # A header line every 0.3 s never trips a read timeout; only the call's limit ends it.
        trickle_headers(interval=0.3, count=40),
    ],
    ids=["stalled", "trickled"],
)
def test_on_another_event_loop_a_slow_answer_ends_at_the_calls_deadline(
    hostile: HostileServer, behaviour: Behaviour, run_elsewhere: Callable[[Main[float]], float]
) -> None:
    hostile.play(behaviour)

    async def main() -> float:
        async with cocalc_api.AsyncProject(
            api_key="sk-test", host=hostile.url, project_id=PROJECT_ID, timeout=1, max_retries=0
        ) as project:
            started = time.monotonic()
            with pytest.raises(cocalc_api.APITimeoutError):
                await project.system.ping()
            return time.monotonic() - started

    assert 1 <= run_elsewhere(main) < 6


def test_under_trio_connections_are_anyios_made_as_asked(full_backlog: int) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.2", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    async def main() -> None:
        backend = AsyncioBackend()
        stream = await backend.connect_tcp(
            "127.0.0.2", port, timeout=5, local_address="127.0.0.2", socket_options=[option]
        )
        try:
            assert not isinstance(stream, AsyncioStream)
            assert stream.get_extra_info("server_addr") == ("127.0.0.2", port)
            assert stream.get_extra_info("client_addr")[0] == "127.0.0.2"
            sock = stream.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        finally:
            await stream.aclose()
        with pytest.raises(httpcore2.ConnectTimeout):
            await backend.connect_tcp("127.0.0.1", full_backlog, timeout=0.3)
        started = time.monotonic()
        await backend.sleep(0.05)
        assert time.monotonic() - started >= 0.05 - TIMER_SLACK

    with listener:
        trio.run(main)


def test_under_trio_unix_socket_connections_are_anyios() -> None:
    option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    with (
        tempfile.TemporaryDirectory(dir="/tmp") as folder,
        socket.socket(socket.AF_UNIX) as listener,
    ):
        path = str(Path(folder) / "s")
        listener.bind(path)
        listener.listen(8)

        async def main() -> None:
            stream = await AsyncioBackend().connect_unix_socket(
                path, timeout=5, socket_options=[option]
            )
            try:
                assert not isinstance(stream, AsyncioStream)
                sock = stream.get_extra_info("socket")
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            finally:
                await stream.aclose()

        trio.run(main)
