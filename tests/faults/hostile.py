"""A hostile HTTP server on a real loopback socket, for fault-injection tests.

It reads each request itself (request line, headers, a Content-Length body: raw bytes, no HTTP
library), records it, and answers with the next behaviour of the test's script: a good
response, a broken one, a stall, a reset. One request per connection.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_HEAD_BYTES = 1 << 20


@dataclass(frozen=True)
class Received:
    """One request, as it arrived."""

    at: float  # time.monotonic() once the whole request had arrived
    verb: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    payload: Any  # the JSON body, or None when it is not JSON

    @property
    def name(self) -> str | None:
        """The method's wire name, e.g. "system.ping"."""
        if isinstance(self.payload, dict) and isinstance(self.payload.get("name"), str):
            name: str = self.payload["name"]
            return name
        return None


class Exchange:
    """What a behaviour gets: the client's socket, its request, and the server's closing flag."""

    def __init__(self, sock: socket.socket, request: Received, closing: threading.Event) -> None:
        self.sock = sock
        self.request = request
        self._closing = closing

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def wait(self, seconds: float) -> bool:
        """Sleep, but wake at once when the server closes; True if it did."""
        return self._closing.wait(seconds)

    def reset(self) -> None:
        """Close with SO_LINGER 0, so the peer gets a RST instead of a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


Behaviour = Callable[[Exchange], None]


# -- behaviours -------------------------------------------------------------------------------


def head(
    status: int,
    *,
    content_length: int | None,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """A status line and headers, up to and including the blank line."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Whatever"
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}", "Connection: close"]
    if content_length is not None:
        lines.append(f"Content-Length: {content_length}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    status: int = 200,
    body: bytes | str = b"",
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Behaviour:
    """A complete response (Content-Length, Connection: close)."""
    data = body.encode() if isinstance(body, str) else body
    message = head(status, content_length=len(data), content_type=content_type, headers=headers)
    message += data

    def behave(exchange: Exchange) -> None:
        exchange.send(message)

    return behave


def respond_json(
    value: Any, status: int = 200, *, headers: Mapping[str, str] | None = None
) -> Behaviour:
    return respond(status, json.dumps(value), headers=headers)


def raw(data: bytes) -> Behaviour:
    """Whatever bytes, then a normal close."""

    def behave(exchange: Exchange) -> None:
        exchange.send(data)

    return behave


def close_without_response() -> Behaviour:
    def behave(exchange: Exchange) -> None:
        pass

    return behave


def reset_without_response() -> Behaviour:
    """A RST in answer to the request: nothing else."""

    def behave(exchange: Exchange) -> None:
        exchange.reset()

    return behave


def reset_mid_body(body: bytes) -> Behaviour:
    """Headers announcing all of `body`, half of it, then a RST."""

    def behave(exchange: Exchange) -> None:
        exchange.send(head(200, content_length=len(body)) + body[: len(body) // 2])
        exchange.wait(0.05)  # let the half body reach the client before the reset
        exchange.reset()

    return behave


def stall_after_headers(content_length: int = 64, seconds: float = 60.0) -> Behaviour:
    """Headers (with Content-Length), then nothing until `seconds` pass or the server closes."""

    def behave(exchange: Exchange) -> None:
        exchange.send(head(200, content_length=content_length))
        exchange.wait(seconds)

    return behave


def trickle(body: bytes, interval: float) -> Behaviour:
    """Headers, then the body one byte every `interval` seconds: each read is quick, all is slow."""

    def behave(exchange: Exchange) -> None:
        exchange.send(head(200, content_length=len(body)))
        for index in range(len(body)):
            if exchange.wait(interval):
                return
            exchange.send(body[index : index + 1])

    return behave


def trickle_headers(interval: float, count: int) -> Behaviour:
    """A status line, then `count` header lines one every `interval` seconds, then an answer."""

    def behave(exchange: Exchange) -> None:
        exchange.send(b"HTTP/1.1 200 OK\r\n")
        for index in range(count):
            if exchange.wait(interval):
                return
            exchange.send(f"X-Slow-{index}: .\r\n".encode())
        body = b'{"now":13}'
        exchange.send(head(200, content_length=len(body)).split(b"\r\n", 1)[1] + body)

    return behave


# -- the server -------------------------------------------------------------------------------


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False


class HostileServer:
    """Serves a script of behaviours on 127.0.0.1:<free port>; counts requests by method name.

    Request i gets behaviour i of the script; the last behaviour repeats.
    """

    def __init__(self) -> None:
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._script: list[Behaviour] = [respond_json({"now": 1})]
        self._served = 0
        self._open: set[socket.socket] = set()
        self.received: list[Received] = []
        self.connections = 0
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._handle(self.request)

        self._server = _TCPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )
        self._thread.start()

    def play(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._script = list(behaviours)
            self._served = 0

    def count(self, name: str | None = None) -> int:
        """Requests received for the wire name `name` (all requests when None)."""
        with self._lock:
            return sum(1 for r in self.received if name is None or r.name == name)

    def counts(self) -> Counter[str | None]:
        with self._lock:
            return Counter(r.name for r in self.received)

    def times(self, name: str | None = None) -> list[float]:
        with self._lock:
            return [r.at for r in self.received if name is None or r.name == name]

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._thread.join(5)

    def _handle(self, sock: socket.socket) -> None:
        with self._lock:
            self.connections += 1
            self._open.add(sock)
        try:
            sock.settimeout(15)
            request = _read_request(sock)
            if request is None:
                return
            with self._lock:
                self.received.append(request)
                behaviour = self._script[min(self._served, len(self._script) - 1)]
                self._served += 1
            behaviour(Exchange(sock, request, self._closing))
        except (OSError, ValueError):
            pass  # the client gave up, or sent nonsense: either way this exchange is over
        finally:
            with self._lock:
                self._open.discard(sock)


def _read_request(sock: socket.socket) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > MAX_HEAD_BYTES:
            raise ValueError("request head too large")
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
    verb, path, _version = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    return Received(time.monotonic(), verb, path, headers, body, payload)


def refused_port() -> socket.socket:
    """A socket bound to a free loopback port but not listening: connecting there is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock
