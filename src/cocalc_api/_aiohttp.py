"""`DefaultAioHttpClient`: an httpx2.AsyncClient whose connections are aiohttp's.

aiohttp's pool does not re-examine every open connection for each request as httpcore2's
does, which shows with hundreds of calls in flight (BENCHMARKS.md: at 200, 46-52x the
sequential rate against 34-48x, and about 1.0 ms of CPU per call against 1.0-1.5 ms). The transport below adapts one httpx2 request to one aiohttp request: the per-request
timeouts become aiohttp's, and every aiohttp failure becomes the httpx2 exception httpcore2
raises for the same event, so errors, deadlines and retries behave as on the default pool.
aiohttp is imported when a client is made, never by `import cocalc_api`.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, NoReturn

import httpx2

if TYPE_CHECKING:
    import aiohttp

INSTALL_HINT = "DefaultAioHttpClient needs aiohttp: pip install 'cocalc-sdk[aiohttp]'"
# httpx2.AsyncClient's own defaults; each call's timeouts are set by the transport anyway.
DEFAULT_LIMITS = httpx2.Limits(max_connections=100, max_keepalive_connections=20)
DEFAULT_TIMEOUT = httpx2.Timeout(30.0)
CHUNK_BYTES = 64 * 1024


class DefaultAioHttpClient(httpx2.AsyncClient):
    """An `httpx2.AsyncClient` over aiohttp's connection pool, for many concurrent calls.

    >>> async with cocalc_api.DefaultAioHttpClient() as http, cocalc_api.AsyncProject(
    ...     http_client=http
    ... ) as project:
    ...     await asyncio.gather(*(project.ping() for _ in range(100)))

    Takes httpx2.AsyncClient's arguments (`limits`, `verify`, ...); redirects are not followed
    unless asked for. As with any `http_client`, close it yourself (`async with` or
    `await http.aclose()`): that closes its aiohttp session. Needs the `aiohttp` extra.
    """

    def __init__(self, **kwargs: Any) -> None:
        _require()
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        kwargs.setdefault("limits", DEFAULT_LIMITS)
        kwargs.setdefault("follow_redirects", False)
        if "transport" not in kwargs:
            kwargs["transport"] = AiohttpTransport(
                verify=kwargs.get("verify", True),
                trust_env=kwargs.get("trust_env", True),
                limits=kwargs["limits"],
            )
        super().__init__(**kwargs)


class AiohttpTransport(httpx2.AsyncBaseTransport):
    """One httpx2 request as one aiohttp request, on one aiohttp session (made on first use)."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        trust_env: bool = True,
        limits: httpx2.Limits = DEFAULT_LIMITS,
    ) -> None:
        self._ssl = httpx2.create_ssl_context(verify=verify, trust_env=trust_env)
        self._limits = limits
        self._trust_env = trust_env
        self.session: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        import aiohttp

        if self.session is None:
            connector = aiohttp.TCPConnector(
                ssl=self._ssl,
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 15.0,
            )
            self.session = aiohttp.ClientSession(
                connector=connector, trust_env=self._trust_env, auto_decompress=False
            )
        return self.session

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        import aiohttp

        limits = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=limits.get("pool"),  # waiting for a connection from the pool, and making it
            sock_connect=limits.get("connect"),
            sock_read=limits.get("read"),
        )
        try:
            response = await self._session().request(
                request.method,
                str(request.url),
                headers=request.headers.multi_items(),
                data=await request.aread() or None,
                allow_redirects=False,
                timeout=timeout,
            )
        except Exception as error:  # noqa: BLE001 -- re-raised, mapped
            _reraise(error, request)
        return httpx2.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, request),
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


class _ResponseStream(httpx2.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx2.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK_BYTES):
                yield chunk
        except Exception as error:  # noqa: BLE001 -- re-raised, mapped
            _reraise(error, self._request)

    async def aclose(self) -> None:
        self._response.release()


def _require() -> None:
    try:
        import aiohttp  # noqa: F401
    except ImportError as error:
        raise ImportError(INSTALL_HINT, name=error.name) from error


@functools.cache  # built on the first failure: it imports aiohttp
def _exception_map() -> tuple[tuple[type[BaseException], type[httpx2.TransportError]], ...]:
    """aiohttp exception -> httpx2 exception; the first match wins, so subclasses come first."""
    import aiohttp

    return (
        (aiohttp.ConnectionTimeoutError, httpx2.ConnectTimeout),  # sock_connect or pool wait
        (aiohttp.SocketTimeoutError, httpx2.ReadTimeout),  # sock_read
        (aiohttp.ServerTimeoutError, httpx2.TimeoutException),
        (aiohttp.ClientProxyConnectionError, httpx2.ProxyError),
        (aiohttp.ClientHttpProxyError, httpx2.ProxyError),
        (aiohttp.ClientConnectorError, httpx2.ConnectError),  # refused, DNS, TLS handshake
        # Closed before (or while) answering: httpcore2 says "Server disconnected".
        (aiohttp.ServerDisconnectedError, httpx2.RemoteProtocolError),
        (aiohttp.ClientPayloadError, httpx2.ReadError),  # body cut short or malformed
        (aiohttp.ClientResponseError, httpx2.RemoteProtocolError),  # malformed status/headers
        (aiohttp.InvalidURL, httpx2.UnsupportedProtocol),
        (aiohttp.ClientConnectionError, httpx2.NetworkError),  # resets, other socket errors
        (aiohttp.ClientError, httpx2.TransportError),
        (TimeoutError, httpx2.TimeoutException),  # a bare asyncio timeout inside aiohttp
    )


def _reraise(error: Exception, request: httpx2.Request) -> NoReturn:
    """Raise the httpx2 exception for an aiohttp `error`; anything else as it is."""
    for source, target in _exception_map():
        if isinstance(error, source):
            mapped = target(str(error) or type(error).__name__, request=request)
            raise mapped from error
    raise error
