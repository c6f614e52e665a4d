"""`DefaultHttpxClient` and `DefaultAsyncHttpxClient`: the HTTP clients the SDK makes itself.

Each is the httpx2 client it derives from, with the SDK's defaults: redirects not followed, a
backstop timeout (each call sets its own), the shared certificate context (tls.py), and the
SDK's connections: for the sync one, httpcore2's sockets with every wait cut to the call's
deadline (sync_backend.py); for the async one, asyncio's own transports (asyncio_backend.py).
Passed in as `http_client` with more settings (event hooks, headers, limits, a proxy), a call
keeps all of that. Proxies, given or from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY,
NO_PROXY), and HTTP/2 go through httpx2's own transports, as with any httpx2 client.
"""

from __future__ import annotations

import ssl
from typing import Any, cast

import httpx2

from cocalc_api._network.pool import DEFAULT_LIMITS, with_defaults
from cocalc_api._network.tls import Cert


class DefaultHttpxClient(httpx2.Client):
    """An `httpx2.Client` with the SDK's defaults, its sockets ending every wait by the call's
    deadline (a server trickling its headers cannot hold a call); takes everything
    `httpx2.Client` takes.

    >>> http = cocalc_api.DefaultHttpxClient(event_hooks={"request": [print]})
    >>> project = cocalc_api.Project(http_client=http)
    """

    def __init__(self, **settings: Any) -> None:
        super().__init__(**with_defaults(settings))

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
        from cocalc_api._network.sync_backend import pooled_transport

        # By now `verify` is the context with_defaults resolved (and `cert` is None).
        return pooled_transport(cast(ssl.SSLContext, verify), limits=limits)


class DefaultAsyncHttpxClient(httpx2.AsyncClient):
    """An `httpx2.AsyncClient` with the SDK's defaults, its connections on asyncio's own
    transports (less CPU per call); takes everything `httpx2.AsyncClient` takes.

    >>> http = cocalc_api.DefaultAsyncHttpxClient(limits=httpx2.Limits(max_connections=400))
    >>> project = cocalc_api.AsyncProject(http_client=http)
    """

    def __init__(self, **settings: Any) -> None:
        super().__init__(**with_defaults(settings))

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
        from cocalc_api._network.asyncio_backend import (
            pooled_transport,  # not on `import cocalc_api`
        )

        # By now `verify` is the context with_defaults resolved (and `cert` is None).
        return pooled_transport(cast(ssl.SSLContext, verify), limits=limits)
