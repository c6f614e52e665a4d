"""`DefaultAioHttpClient`: an httpx2 client whose requests go through aiohttp's pool.

The transport is httpx-aiohttp's (by httpx's maintainer; openai-python's DefaultAioHttpClient
uses it): aiohttp's C parser and pool under httpx2's client. Its failures are mapped again here,
as httpcore2 raises them for the same event: httpx-aiohttp maps every `ClientConnectionError`
to `ConnectTimeout`, so a reset or a server hanging up mid-answer would read as a timeout
(openai/openai-python#3594 found the same in its copy), and lets others through unmapped (an
answer that is not HTTP). aiohttp's exception is not chained: its `request_info` holds the
request's headers, the API key among them.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator
from typing import Any, cast

import aiohttp
import httpx2
from httpx_aiohttp.httpx2 import AiohttpTransport

from cocalc_api._network.pool import DEFAULT_LIMITS, with_defaults
from cocalc_api._network.tls import Cert

# aiohttp's failure -> httpcore2's exception for the same event; the first that matches wins,
# so a subclass comes before its base. A proxy that cannot be reached is a ConnectError, as any
# host (aiohttp's ClientProxyConnectionError is a ClientConnectorError); a proxy that refuses
# the tunnel is a ProxyError.
_FAILURES: tuple[tuple[type[BaseException], type[httpx2.TransportError]], ...] = (
    (aiohttp.ClientHttpProxyError, httpx2.ProxyError),
    (aiohttp.ConnectionTimeoutError, httpx2.ConnectTimeout),
    (aiohttp.ClientConnectorError, httpx2.ConnectError),  # refused, DNS, TLS handshake
    (aiohttp.SocketTimeoutError, httpx2.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx2.ReadTimeout),
    # Closed before the whole answer came, or an answer that is not HTTP.
    (aiohttp.ServerDisconnectedError, httpx2.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx2.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx2.RemoteProtocolError),
    (aiohttp.NonHttpUrlClientError, httpx2.UnsupportedProtocol),
    (aiohttp.InvalidUrlClientError, httpx2.UnsupportedProtocol),
    # A reset or another socket error once connected: the request may have gone out.
    (aiohttp.ClientError, httpx2.ReadError),
)


def _mapped(error: Exception) -> Exception:
    """httpcore2's exception for `error`, httpx-aiohttp's mapping or aiohttp's own (httpx2's
    client sets the request on it)."""
    cause = error.__cause__ if isinstance(error, httpx2.TransportError) else error
    for failure, mapped in _FAILURES:
        if isinstance(cause, failure):
            message = str(cause) or type(cause).__name__
            if isinstance(cause, OSError) and cause.errno:
                # asyncio's text for a refused connect names no cause ("Connect call failed").
                message += f" ({os.strerror(cause.errno)})"
            return mapped(message)
    return error


class _Stream(httpx2.AsyncByteStream):
    """httpx-aiohttp's response body, its failures mapped again."""

    def __init__(self, inner: httpx2.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except (httpx2.TransportError, aiohttp.ClientError) as error:
            raise _mapped(error) from None

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Transport(AiohttpTransport):
    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = await super().handle_async_request(request)
        except (httpx2.TransportError, aiohttp.ClientError) as error:
            raise _mapped(error) from None
        response.stream = _Stream(cast(httpx2.AsyncByteStream, response.stream))
        return response


class DefaultAioHttpClient(httpx2.AsyncClient):
    """An `httpx2.AsyncClient` whose requests go through aiohttp's pool and C parser (the
    `aiohttp` extra), with the SDK's defaults; takes everything `httpx2.AsyncClient` takes.
    Less CPU per call than the default client, which shows with hundreds of calls in flight.
    HTTP/1.1 only.

    >>> async with cocalc_api.DefaultAioHttpClient() as http:
    ...     project = cocalc_api.AsyncProject(http_client=http)
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
        if transport is not None:
            return transport
        # By now `verify` is the context with_defaults resolved (and `cert` is None).
        return _Transport(verify=verify, http1=http1, http2=http2, limits=limits)

    def _init_proxy_transport(
        self,
        proxy: httpx2.Proxy,
        verify: ssl.SSLContext | str | bool = True,
        cert: Cert | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx2.Limits = DEFAULT_LIMITS,
    ) -> httpx2.AsyncBaseTransport:
        return _Transport(verify=verify, http1=http1, http2=http2, limits=limits, proxy=proxy)
