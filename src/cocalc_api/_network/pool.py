"""The leaf of the network layer: pool limits, socket options, how a pool is made on the
SDK's backend, and the settings every SDK-made HTTP client starts from. Imports no other module
of the SDK's but the certificate context, so the backends and the clients both build on it.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import httpx2

from cocalc_api._network.tls import ssl_context_for

# httpx2.AsyncClient's own defaults (each call's timeouts are set per request anyway).
DEFAULT_LIMITS = httpx2.Limits(max_connections=100, max_keepalive_connections=20)
# httpcore2's SOCKET_OPTION (private there): what `socket.setsockopt` takes.
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
Pool = TypeVar("Pool")
# Timeouts are set per request by the transport; this one is only a backstop for a request
# made on the client directly.
BACKSTOP_TIMEOUT = httpx2.Timeout(30.0)


def pool_on(
    make_pool: Callable[..., Pool],
    ssl_context: ssl.SSLContext,
    limits: httpx2.Limits,
    backend: object,
) -> Pool:
    """The pool httpx2's transport makes for these limits, on the SDK's network backend.

    httpx2 takes no network backend, so the SDK's transports get their pool made again with one
    (httpcore2's public arguments) in place of `_pool`; tests/test_http_clients.py fails if
    httpx2 stops keeping it there.
    """
    return make_pool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend,
    )


def with_defaults(settings: dict[str, Any]) -> dict[str, Any]:
    settings.setdefault("timeout", BACKSTOP_TIMEOUT)
    settings.setdefault("follow_redirects", False)
    # Resolved here so that httpx2 gets a context (no certificates loaded again), and so that
    # a `cert` is loaded into a context of this client's own, never into the shared one.
    settings["verify"] = ssl_context_for(
        settings.get("verify", True),
        settings.pop("cert", None),
        trust_env=settings.get("trust_env", True),
        http2=settings.get("http2", False),
    )
    return settings
