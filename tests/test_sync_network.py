"""The default `Project` pool's sockets (cocalc_api/_network/sync_backend.py), on real loopback sockets.

The independent sources: the README's promise that a call ends by its deadline whatever the
server does (its timeout table), and httpcore2's `SyncBackend`, whose waits are each bounded
by the timeout given and nothing more, which is what these sockets are without a call.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpcore2
import httpx2
import pytest
import trustme

import cocalc_api
from cocalc_api._network.sync_backend import DEADLINE, DeadlineBackend, DeadlineStream
from tests.sockets import tls_contexts

PROJECT_ID = "00000000-0000-4000-8000-000000000000"


@contextlib.contextmanager
def connected() -> Iterator[tuple[httpcore2.NetworkStream, socket.socket]]:
    """A stream from DeadlineBackend to a loopback listener, and the listener's end of it."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        stream = DeadlineBackend().connect_tcp("127.0.0.1", port, timeout=5)
        peer, _ = listener.accept()
        with peer:
            try:
                yield stream, peer
            finally:
                stream.close()


@contextlib.contextmanager
def deadline_in(seconds: float) -> Iterator[None]:
    """What HttpCaller does for the exchange of a call whose deadline is `seconds` away."""
    token = DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        DEADLINE.reset(token)


@contextlib.contextmanager
def in_thread(work: Callable[[threading.Event], None]) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=work, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def trickle(peer: socket.socket) -> Callable[[threading.Event], None]:
    def send(stop: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while not stop.wait(0.05):
                peer.sendall(b"x")

    return send


def test_reads_of_a_trickle_end_at_the_deadline() -> None:
    with connected() as (stream, peer), in_thread(trickle(peer)):
        started = time.monotonic()
        with deadline_in(0.4), pytest.raises(httpcore2.ReadTimeout):
            while True:
                stream.read(1, timeout=2)  # each read is answered within 0.05 s
        assert 0.4 <= time.monotonic() - started < 1.5


def test_outside_a_call_a_read_waits_its_own_timeout_and_the_stream_still_reads() -> None:
    with connected() as (stream, peer):
        started = time.monotonic()
        with pytest.raises(httpcore2.ReadTimeout):
            stream.read(10, timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 2
        peer.sendall(b"late")
        assert stream.read(10, timeout=5) == b"late"


def test_a_read_past_the_deadline_fails_at_once_and_takes_nothing() -> None:
    with connected() as (stream, peer):
        peer.sendall(b"data")
        with deadline_in(-1), pytest.raises(httpcore2.ReadTimeout):
            stream.read(10, timeout=5)
        assert stream.read(10, timeout=5) == b"data"


def test_a_write_to_a_slow_reader_ends_at_the_deadline() -> None:
    def read_slowly(peer: socket.socket) -> Callable[[threading.Event], None]:
        def read(stop: threading.Event) -> None:
            with contextlib.suppress(OSError):
                while not stop.wait(0.01):
                    peer.recv(1 << 16)  # so each of the writer's waits ends within its timeout

        return read

    with connected() as (stream, peer), in_thread(read_slowly(peer)):
        started = time.monotonic()
        with deadline_in(0.5), pytest.raises(httpcore2.WriteTimeout):
            stream.write(b"x" * (64 << 20), timeout=2)
        assert 0.5 <= time.monotonic() - started < 2


def test_a_write_within_the_deadline_arrives_whole() -> None:
    payload = bytes(range(256)) * 1024  # 256 KiB: several slices
    received = bytearray()

    def read_all(peer: socket.socket) -> Callable[[threading.Event], None]:
        def read(stop: threading.Event) -> None:
            while len(received) < len(payload):
                received.extend(peer.recv(65536))

        return read

    with connected() as (stream, peer), in_thread(read_all(peer)), deadline_in(10):
        stream.write(payload, timeout=5)
    assert received == payload


def test_a_connection_not_accepted_by_the_deadline_is_a_connect_timeout(full_backlog: int) -> None:
    started = time.monotonic()
    with deadline_in(0.3), pytest.raises(httpcore2.ConnectTimeout):
        DeadlineBackend().connect_tcp("127.0.0.1", full_backlog, timeout=30)
    assert 0.3 <= time.monotonic() - started < 3


def test_outside_a_call_a_connect_waits_its_own_timeout(full_backlog: int) -> None:
    started = time.monotonic()
    with pytest.raises(httpcore2.ConnectTimeout):
        DeadlineBackend().connect_tcp("127.0.0.1", full_backlog, timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 3


def test_a_connect_past_the_deadline_fails_at_once() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        started = time.monotonic()
        with deadline_in(-1), pytest.raises(httpcore2.ConnectTimeout):
            DeadlineBackend().connect_tcp("127.0.0.1", listener.getsockname()[1], timeout=5)
        assert time.monotonic() - started < 1


def test_connections_go_to_the_host_asked_from_the_address_asked_with_the_options_asked() -> None:
    # Two loopback addresses other than 127.0.0.1, so that neither a default nor a swap passes.
    with socket.create_server(("127.0.0.2", 0)) as listener:
        option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        stream = DeadlineBackend().connect_tcp(
            "127.0.0.2",
            listener.getsockname()[1],
            timeout=5,
            local_address="127.0.0.3",
            socket_options=[option],
        )
        peer, (client_host, _) = listener.accept()
        with peer:
            try:
                assert client_host == "127.0.0.3"
                assert stream.get_extra_info("server_addr")[0] == "127.0.0.2"
                assert stream.get_extra_info("socket").getsockopt(*option[:2]) == 1
            finally:
                stream.close()


def test_outside_a_call_a_handshake_waits_its_own_timeout() -> None:
    with connected() as (plain, _peer):  # the peer never speaks TLS
        started = time.monotonic()
        with pytest.raises(httpcore2.ConnectTimeout):
            plain.start_tls(ssl.create_default_context(), "localhost", timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 3


def test_a_handshake_past_the_deadline_fails_at_once() -> None:
    with connected() as (plain, _peer), deadline_in(-1), pytest.raises(httpcore2.ConnectTimeout):
        plain.start_tls(ssl.create_default_context(), "localhost", timeout=5)


def test_a_handshake_not_answered_by_the_deadline_is_a_connect_timeout() -> None:
    with connected() as (plain, _peer):  # the peer never speaks TLS
        started = time.monotonic()
        with deadline_in(0.3), pytest.raises(httpcore2.ConnectTimeout):
            plain.start_tls(ssl.create_default_context(), "localhost", timeout=30)
        assert 0.3 <= time.monotonic() - started < 3


def test_reads_through_tls_end_at_the_deadline_too(authority: trustme.CA) -> None:
    server_context, client_context = tls_contexts(authority)

    def serve_trickle(peer: socket.socket) -> Callable[[threading.Event], None]:
        def serve(stop: threading.Event) -> None:
            with (
                contextlib.suppress(OSError),
                server_context.wrap_socket(peer, server_side=True) as tls,
            ):
                while not stop.wait(0.05):
                    tls.sendall(b"x")

        return serve

    with connected() as (plain, peer), in_thread(serve_trickle(peer)):
        stream = plain.start_tls(client_context, "localhost", timeout=5)
        assert stream.get_extra_info("ssl_object") is not None
        started = time.monotonic()
        with deadline_in(0.4), pytest.raises(httpcore2.ReadTimeout):
            while True:
                stream.read(1, timeout=2)
        assert 0.4 <= time.monotonic() - started < 1.5


def test_a_unix_socket_connection_carries_bytes_both_ways() -> None:
    with (
        tempfile.TemporaryDirectory(dir="/tmp") as folder,
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener,
    ):
        path = str(Path(folder) / "s")
        listener.bind(path)
        listener.listen(1)
        option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        stream = DeadlineBackend().connect_unix_socket(path, timeout=5, socket_options=[option])
        peer, _ = listener.accept()
        with peer:
            assert stream.get_extra_info("socket").getsockopt(*option[:2]) == 1
            stream.write(b"ping", timeout=5)
            assert peer.recv(10) == b"ping"
            peer.sendall(b"pong")
            assert stream.read(10, timeout=5) == b"pong"
            stream.close()
        with deadline_in(-1), pytest.raises(httpcore2.ConnectTimeout):
            DeadlineBackend().connect_unix_socket(path, timeout=5)


def test_a_unix_socket_with_a_full_queue_is_a_connect_error_not_a_wait() -> None:
    # With a timeout, Python connects without blocking, and a full queue of a Unix socket is
    # EAGAIN at once (a blocking connect, with no timeout, would wait for room forever).
    with (
        tempfile.TemporaryDirectory(dir="/tmp") as folder,
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener,
        contextlib.ExitStack() as fillers,
    ):
        path = str(Path(folder) / "s")
        listener.bind(path)
        listener.listen(0)
        while True:
            filler = fillers.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
            filler.setblocking(False)
            try:
                filler.connect(path)
            except BlockingIOError:
                break
        for deadline in (None, 30.0):
            started = time.monotonic()
            with (
                deadline_in(deadline) if deadline else contextlib.nullcontext(),
                pytest.raises(httpcore2.ConnectError),
            ):
                DeadlineBackend().connect_unix_socket(path, timeout=5)
            assert time.monotonic() - started < 1


def test_the_backend_sleeps() -> None:
    started = time.monotonic()
    DeadlineBackend().sleep(0.05)
    assert time.monotonic() - started >= 0.05


# -- through Project --------------------------------------------------------------------------


def test_a_call_sets_its_deadline_for_its_exchange_only() -> None:
    seen: list[float | None] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(DEADLINE.get())
        return httpx2.Response(200, json={"now": 5})

    with (
        httpx2.Client(transport=httpx2.MockTransport(answer)) as http,
        cocalc_api.Project(
            api_key="sk-test", host="http://127.0.0.1:1", project_id=PROJECT_ID, http_client=http
        ) as project,
    ):
        started = time.monotonic()
        assert project.with_options(timeout=4).system.ping() == {"now": 5}
        assert DEADLINE.get() is None
    # README, timeouts: a 4 s limit ends a ping by 6 s (the limit and a margin of 2 s).
    assert len(seen) == 1 and seen[0] is not None
    assert started + 6 - 0.5 < seen[0] <= time.monotonic() + 6


def test_project_calls_run_on_these_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[httpcore2.NetworkStream] = []
    connect = DeadlineBackend.connect_tcp

    def counted(self: DeadlineBackend, *args: object, **kwargs: object) -> object:
        stream = connect(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(stream)
        return stream

    monkeypatch.setattr(DeadlineBackend, "connect_tcp", counted)
    answer = (
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"now":12}'
    )

    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve(stop: threading.Event) -> None:
            peer, _ = listener.accept()
            with peer:
                request = b""
                while b"\r\n\r\n" not in request or not request.endswith(b"}"):
                    request += peer.recv(65536)
                peer.sendall(answer)

        port = listener.getsockname()[1]
        with (
            in_thread(serve),
            cocalc_api.Project(
                api_key="sk-test", host=f"http://127.0.0.1:{port}", project_id=PROJECT_ID
            ) as project,
        ):
            assert project.system.ping() == {"now": 12}
    assert len(opened) == 1 and isinstance(opened[0], DeadlineStream)
