"""`DefaultAioHttpClient`: an httpx.AsyncClient whose connections are aiohttp's.

httpx's own async pool (httpcore) scans every open connection for each request it queues or
sends, so its CPU cost per call grows with the number of connections in use (measured on
`ping`: 1.1 ms per call at 1 connection, 8.6 ms at 50). aiohttp's pool does not. The transport
comes from httpx-aiohttp (as openai-python's `DefaultAioHttpClient` does); `AiohttpTransport`
below corrects how it reports failures. aiohttp is imported when a client is made, never by
`import cocalc_api`.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, NoReturn

import httpx

if TYPE_CHECKING:
    import httpx_aiohttp

INSTALL_HINT = (
    "DefaultAioHttpClient needs aiohttp and httpx-aiohttp: pip install 'cocalc-sdk[aiohttp]'"
)
# httpx's own defaults (httpx.AsyncClient's `limits` and `timeout`; the transport sets each
# call's timeouts anyway, so this timeout is only a backstop for requests made directly).
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
DEFAULT_TIMEOUT = httpx.Timeout(30.0)


class DefaultAioHttpClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` over aiohttp's connection pool, for many concurrent calls.

    >>> async with cocalc_api.DefaultAioHttpClient() as http, cocalc_api.AsyncProject(
    ...     http_client=http
    ... ) as project:
    ...     await asyncio.gather(*(project.ping() for _ in range(100)))

    Takes httpx.AsyncClient's arguments (`limits`, `proxy`, `verify`, ...); redirects are not
    followed unless asked for. As with any `http_client`, close it yourself (`async with` or
    `await http.aclose()`): that closes its aiohttp session. Needs the `aiohttp` extra.
    """

    def __init__(self, **kwargs: Any) -> None:
        _require()
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        kwargs.setdefault("limits", DEFAULT_LIMITS)
        kwargs.setdefault("follow_redirects", False)
        super().__init__(**kwargs)

    # httpx.AsyncClient builds its transports with these two (httpx-aiohttp's own client
    # overrides them likewise); a `transport=` passed in is used as it is.
    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        return AiohttpTransport(
            verify=verify, cert=cert, trust_env=trust_env, http1=http1, http2=http2, limits=limits
        )

    def _init_proxy_transport(
        self,
        proxy: httpx.Proxy,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        **kwargs: Any,
    ) -> httpx.AsyncBaseTransport:
        return AiohttpTransport(
            verify=verify,
            cert=cert,
            trust_env=trust_env,
            http1=http1,
            http2=http2,
            limits=limits,
            proxy=proxy,
        )


class AiohttpTransport(httpx.AsyncBaseTransport):
    """`httpx_aiohttp.AiohttpTransport`, raising the httpx exceptions httpcore would raise.

    httpx-aiohttp 0.2.0 honours the per-request timeouts (read -> aiohttp's sock_read,
    connect -> sock_connect, pool -> connect), but its exception map picks wrong types:
    every `aiohttp.ClientConnectionError` without a more specific entry becomes
    `httpx.ConnectTimeout` (a server closing or resetting the connection, even mid-body,
    would look like a timeout), a refused connection also becomes `ConnectTimeout` (of two
    matching entries it keeps the first when neither target subclasses the other), and
    `aiohttp.ClientResponseError` (a malformed status line) or a bare `TimeoutError` is not
    mapped at all, so it escapes as a non-httpx exception. Here each failure is mapped again
    from the aiohttp exception itself, with `request` set.
    """

    def __init__(self, **kwargs: Any) -> None:
        from httpx_aiohttp import AiohttpTransport as Inner

        self.inner: httpx_aiohttp.AiohttpTransport = Inner(**kwargs)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self.inner.handle_async_request(request)
        except Exception as error:  # noqa: BLE001 -- re-raised, mapped
            _reraise(error, request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _MappedStream(response.stream, request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()  # closes the aiohttp session, if one was opened


class _MappedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception as error:  # noqa: BLE001 -- re-raised, mapped
            _reraise(error, self._request)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except Exception as error:  # noqa: BLE001 -- re-raised, mapped
            _reraise(error, self._request)


def _require() -> None:
    try:
        import httpx_aiohttp  # noqa: F401
    except ImportError as error:
        raise ImportError(INSTALL_HINT, name=error.name) from error


@functools.cache  # built on the first failure: it imports aiohttp
def _exception_map() -> tuple[tuple[type[BaseException], type[httpx.TransportError]], ...]:
    """aiohttp exception -> httpx exception; the first match wins, so subclasses come first."""
    import aiohttp

    return (
        (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),  # sock_connect or pool wait
        (aiohttp.SocketTimeoutError, httpx.ReadTimeout),  # sock_read
        (aiohttp.ServerTimeoutError, httpx.TimeoutException),
        (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
        (aiohttp.ClientHttpProxyError, httpx.ProxyError),
        (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS handshake
        # Closed before (or while) answering: httpcore says "Server disconnected".
        (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError, httpx.ReadError),  # body cut short or malformed
        (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # malformed status/headers
        (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
        (aiohttp.ClientConnectionError, httpx.NetworkError),  # resets, other socket errors
        (aiohttp.ClientError, httpx.TransportError),
        (TimeoutError, httpx.TimeoutException),  # a bare asyncio timeout inside aiohttp
    )


def _reraise(error: Exception, request: httpx.Request) -> NoReturn:
    """Raise the httpx exception for `error` (an aiohttp one, or httpx-aiohttp's mapping of
    one); anything else as it is."""
    cause: BaseException = error
    if isinstance(error, httpx.TransportError) and error.__cause__ is not None:
        cause = error.__cause__  # httpx-aiohttp raised `mapped(str(exc)) from exc`
    for source, target in _exception_map():
        if isinstance(cause, source):
            mapped = target(str(cause) or type(cause).__name__, request=request)
            raise mapped from cause
    raise error
