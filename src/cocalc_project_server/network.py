"""Sockets: the loopback check behind ``--allow-remote`` and binding before serving."""

from __future__ import annotations

import socket

from cocalc_api import safety

# Connections waiting to be accepted. uvicorn re-listens with its own `backlog`, so it gets this
# too; asyncio also retries a failing accept that many times per event (CPython gh-151615).
LISTEN_BACKLOG = 128


def is_loopback(host: str) -> bool:
    """True if every address ``host`` names is a loopback address."""
    return safety.is_loopback(host, resolve=True)


class ListenError(OSError):
    """The server socket could not be bound (address in use, unknown host, ...)."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free port)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ListenError(f"cannot listen on {host}:{port}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc}") from None
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
