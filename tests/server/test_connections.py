"""Connections that never finish a request, too many connections, and running out of files.

Each server here is a real subprocess with its own limits; the clients are raw sockets.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from cocalc_project_server.config import ENDPOINT
from cocalc_project_server.testing import ServerProcess, running_server

from .polling import wait_for

# Only to stop a hang: every wait below ends on an event long before this.
CEILING_S = 30.0
PING = {"name": "system.ping", "args": [{}]}
HEAD = f"POST {ENDPOINT} HTTP/1.1\r\nHost: localhost\r\n".encode()


@contextlib.contextmanager
def server_logging_to(log: Path, **options: Any) -> Iterator[ServerProcess]:
    """A server whose stderr goes to the file ``log``."""
    with (
        log.open("wb") as stderr,
        running_server(kernel_pool_size=0, stderr=stderr, **options) as s,
    ):
        yield s


def text_of(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")


def connect(server: ServerProcess, first_bytes: bytes = b"") -> socket.socket:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=CEILING_S)
    if first_bytes:
        sock.sendall(first_bytes)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """Wait (up to the ceiling) for the server to close ``sock``; False if it never does."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def ping(server: ServerProcess, timeout: float = CEILING_S) -> Any:
    response = httpx2.post(server.endpoint, json=PING, auth=(server.api_key, ""), timeout=timeout)
    assert response.status_code == 200
    return response.json()


def kept_alive_then_stalled(server: ServerProcess) -> socket.socket:
    """A connection that made one call, then sent only part of the next request's head."""
    sock = connect(server)
    body = b'{"name": "system.ping"}'
    sock.sendall(
        HEAD
        + f"Authorization: Bearer {server.api_key}\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    answer = b""
    while b"now" not in answer:
        answer += sock.recv(65536)
    assert b"connection: close" not in answer.lower()
    sock.sendall(HEAD)  # uvicorn's keep-alive timer stops at this first byte
    return sock


def test_unfinished_requests_are_closed_and_their_files_released(tmp_path: Path) -> None:
    log = tmp_path / "stderr"
    options = ["--header-timeout", "1", "--body-timeout", "1"]
    with server_logging_to(log, extra_args=options) as server:
        process = psutil.Process(server.pid)
        files_before = process.num_fds()
        body_head = HEAD + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        sockets = (
            [connect(server) for _ in range(20)]  # not one byte
            + [connect(server, HEAD) for _ in range(20)]  # a head that never ends
            + [connect(server, body_head) for _ in range(20)]  # a body that never ends
            + [kept_alive_then_stalled(server) for _ in range(5)]
        )
        try:
            assert all(closed_by_server(sock) for sock in sockets)
            wait_for(lambda: process.num_fds() <= files_before, "the files to be released")
        finally:
            for sock in sockets:
                sock.close()
        assert "now" in ping(server)
    # The app reading a body that stopped coming sees a disconnect, not an error.
    assert "Traceback" not in text_of(log)


def test_idle_connections_past_the_file_limit_do_not_block_calls(tmp_path: Path) -> None:
    # With 450 open files the default cap is 33 (see default_max_connections). 460 idle sockets
    # are past the limit: before the cap, accept() failed (EMFILE) and calls hung.
    log = tmp_path / "stderr"
    with server_logging_to(log, max_open_files=450) as server:
        sockets = []
        try:
            for _ in range(460):
                sockets.append(connect(server, HEAD))
                # A loop of connect() outruns the server's accepting; the kernel would then
                # drop a SYN and connect() would stall for its 1 s retransmission.
                time.sleep(0.0001)
            assert "now" in ping(server)
            assert psutil.Process(server.pid).num_fds() < 450
        finally:
            for sock in sockets:
                sock.close()
    text = text_of(log)
    assert "Too many open files" not in text
    assert "Traceback" not in text
    assert len(text) < 4096  # one rate-limited warning about the cap, not one per connection


def test_past_the_cap_the_longest_idle_connection_is_closed_first() -> None:
    with running_server(kernel_pool_size=0, extra_args=["--max-connections", "3"]) as server:
        oldest, *others = [connect(server, HEAD) for _ in range(3)]
        try:
            assert "now" in ping(server)  # a fourth connection: room made by closing one
            assert closed_by_server(oldest)
            for sock in others:
                sock.settimeout(0)
                with pytest.raises(BlockingIOError):
                    sock.recv(1)  # still open, nothing to read
        finally:
            for sock in [oldest, *others]:
                sock.close()


def test_busy_connections_are_never_closed_for_a_newcomer() -> None:
    with running_server(kernel_pool_size=0, extra_args=["--max-connections", "2"]) as server:
        root = Path(server.root)
        # Each command says it started, then waits for the test's go.
        command = "touch started.$$; while [ ! -e go ]; do sleep 0.05; done; echo done"
        body = {"name": "system.exec", "args": [{"command": command}], "timeout": 60_000}
        auth = (server.api_key, "")

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            calls = [
                pool.submit(httpx2.post, server.endpoint, json=body, auth=auth, timeout=CEILING_S)
                for _ in range(2)
            ]
            try:
                wait_for(lambda: len(list(root.glob("started.*"))) == 2, "both calls")
                newcomer = connect(server, HEAD)
                try:
                    assert closed_by_server(newcomer)
                finally:
                    newcomer.close()
            finally:
                (root / "go").touch()
            for call in calls:
                assert call.result().json()["stdout"] == "done\n"


def test_out_of_files_the_accept_error_is_logged_once(tmp_path: Path) -> None:
    # A cap above the file limit lets accept() fail with EMFILE; asyncio then logs a traceback
    # per failed accept, many per event (CPython gh-151615): 78 MB in 12 s on a 2-core machine.
    log = tmp_path / "stderr"
    options = ["--max-connections", "1000"]
    with server_logging_to(log, max_open_files=64, extra_args=options) as server:
        sockets = [connect(server, HEAD) for _ in range(100)]
        try:
            wait_for(lambda: "Too many open files" in text_of(log), "the accept error")
        finally:
            for sock in sockets:
                sock.close()
        # The server recovers once files are free (asyncio retries accepting after 1 s).
        assert "now" in ping(server)
    text = text_of(log)
    assert text.count("Too many open files") == 1
    assert len(text) < 16384
