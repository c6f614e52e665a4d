"""`DefaultHttpxClient` and `DefaultAsyncHttpxClient`: the HTTP clients the SDK makes itself.

Each is the httpx2 client it derives from, with the SDK's defaults: redirects not followed, a
backstop timeout (each call sets its own), the shared certificate context (_tls.py), and the
SDK's connections: for the sync one, httpcore2's sockets with every wait cut to the call's
deadline (_sync_network.py); for the async one, asyncio's own transports (_asyncio_network.py).
Passed in as `http_client` with more settings (event hooks, headers, limits, a proxy), a call
keeps all of that. Proxies, given or from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY,
NO_PROXY), and HTTP/2 go through httpx2's own transports, as with any httpx2 client.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any, TypeVar, cast

import httpx2

from cocalc_api._tls import Cert, ssl_context_for

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


def _with_defaults(settings: dict[str, Any]) -> dict[str, Any]:
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


class DefaultHttpxClient(httpx2.Client):
    """An `httpx2.Client` with the SDK's defaults, its sockets ending every wait by the call's
    deadline (a server trickling its headers cannot hold a call); takes everything
    `httpx2.Client` takes.

    >>> http = cocalc_api.DefaultHttpxClient(event_hooks={"request": [print]})
    >>> project = cocalc_api.Project(http_client=http)
    """

    def __init__(self, **settings: Any) -> None:
        super().__init__(**_with_defaults(settings))

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Cert | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx2.Limits = DEFAULT_LIMITS,
        transport: httpx2.BaseTransport | None = None,
    ) -> httpx2.BaseTransport:
        # As DefaultAsyncHttpxClient's: the transport of every URL no proxy or mount takes.
        if transport is not None or http2 or not http1:
            return super()._init_transport(verify, cert, trust_env, http1, http2, limits, transport)
        from cocalc_api._sync_network import pooled_transport

        # By now `verify` is the context _with_defaults resolved (and `cert` is None).
        return pooled_transport(cast(ssl.SSLContext, verify), limits=limits)


class DefaultAsyncHttpxClient(httpx2.AsyncClient):
    """An `httpx2.AsyncClient` with the SDK's defaults, its connections on asyncio's own
    transports (less CPU per call); takes everything `httpx2.AsyncClient` takes.

    >>> http = cocalc_api.DefaultAsyncHttpxClient(limits=httpx2.Limits(max_connections=400))
    >>> project = cocalc_api.AsyncProject(http_client=http)
    """

    def __init__(self, **settings: Any) -> None:
        super().__init__(**_with_defaults(settings))

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Cert | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx2.Limits = DEFAULT_LIMITS,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> httpx2.AsyncBaseTransport:
        # httpx2 asks for the transport of every URL that no proxy or mount takes (overriding
        # this, rather than passing `transport=`, keeps the environment's proxies working).
        # tests/test_asyncio_network.py and test_sync_network.py fail if httpx2 stops asking.
        if transport is not None or http2 or not http1:
            return super()._init_transport(verify, cert, trust_env, http1, http2, limits, transport)
        from cocalc_api._asyncio_network import pooled_transport  # not on `import cocalc_api`

        # By now `verify` is the context _with_defaults resolved (and `cert` is None).
        return pooled_transport(cast(ssl.SSLContext, verify), limits=limits)
