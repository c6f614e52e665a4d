"""`DefaultHttpxClient` / `DefaultAsyncHttpxClient`: the clients the SDK makes, and what a
user who passes one in keeps (hooks, proxies, the asyncio connections); `DefaultAioHttpClient`
keeps the same over aiohttp's pool.

Independent sources: a client sends to an HTTP proxy the request line in absolute form
(RFC 9112, section 3.2.2), and an httpx2 client honours HTTP_PROXY / NO_PROXY when its
`trust_env` is on (httpx2's documentation of `trust_env`, its default True). The reference
client's `httpx.Client()` honours them too.
"""

from __future__ import annotations

import asyncio
import errno
import os
import ssl
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import httpx2
import pytest

import cocalc_api
from cocalc_api._network import aiohttp_client
from cocalc_api._network import asyncio_backend as asyncio_network
from cocalc_api._network import sync_backend as sync_network
from cocalc_api._network.asyncio_backend import AsyncioStream
from cocalc_api._network.tls import default_ssl_context
from tests.faults.hostile import refused_port
from tests.test_asyncio_network import count_connections, keep_alive_server

PROJECT_ID = "00000000-0000-4000-8000-000000000000"
PING = {"now": 1764115200000}  # what keep_alive_server answers
# RFC 6761: a name under .invalid never resolves, so only a proxy can carry the call.
UNREACHABLE_HOST = "http://project.invalid"
PROXIED_LINE = b"POST http://project.invalid/api/conat/project HTTP/1.1"

Ping = Callable[[str], Awaitable[object]]


async def ping_sync(host: str) -> object:
    def call() -> object:
        with cocalc_api.Project(
            api_key="sk-test", host=host, project_id=PROJECT_ID, max_retries=0
        ) as project:
            return project.system.ping()

    return await asyncio.to_thread(call)  # the test's loop stays free to serve it


async def ping_async(host: str) -> object:
    async with cocalc_api.AsyncProject(
        api_key="sk-test", host=host, project_id=PROJECT_ID, max_retries=0
    ) as project:
        return await project.system.ping()


async def ping_aiohttp(host: str) -> object:
    async with (
        cocalc_api.DefaultAioHttpClient() as http,
        cocalc_api.AsyncProject(
            api_key="sk-test", host=host, project_id=PROJECT_ID, max_retries=0, http_client=http
        ) as project,
    ):
        return await project.system.ping()


@pytest.fixture(
    params=[ping_sync, ping_async, ping_aiohttp],
    ids=["Project", "AsyncProject", "DefaultAioHttpClient"],
)
def ping(request: pytest.FixtureRequest) -> Ping:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    yield


@pytest.mark.filterwarnings("ignore::cocalc_api.InsecureHostWarning")
async def test_calls_go_through_the_proxy_the_environment_names(
    ping: Ping, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with keep_alive_server() as (proxy, proxy_url):
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        assert await ping(UNREACHABLE_HOST) == PING
    assert proxy.request_lines == [PROXIED_LINE]


async def test_hosts_in_no_proxy_are_reached_directly(
    ping: Ping, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with keep_alive_server() as (server, url):
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")  # nothing listens there
        with pytest.raises(cocalc_api.APIConnectionError):
            await ping(url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert await ping(url) == PING
    assert server.request_lines == [b"POST /api/conat/project HTTP/1.1"]


@pytest.mark.filterwarnings("ignore::cocalc_api.InsecureHostWarning")
@pytest.mark.parametrize("client", ["DefaultAsyncHttpxClient", "DefaultAioHttpClient"])
async def test_a_proxy_given_to_a_client_passed_in_takes_its_calls(client: str) -> None:
    make: Callable[..., httpx2.AsyncClient] = getattr(cocalc_api, client)
    async with (
        keep_alive_server() as (proxy, proxy_url),
        make(proxy=proxy_url) as http,
        cocalc_api.AsyncProject(
            api_key="sk-test", host=UNREACHABLE_HOST, project_id=PROJECT_ID, http_client=http
        ) as project,
    ):
        assert await project.system.ping() == PING
    assert proxy.request_lines == [PROXIED_LINE]


@pytest.mark.parametrize(
    ("client", "sdk_connections"),
    [("DefaultAsyncHttpxClient", 1), ("DefaultAioHttpClient", 0)],
)
async def test_a_default_client_passed_in_keeps_its_hooks_and_its_connections(
    monkeypatch: pytest.MonkeyPatch, client: str, sdk_connections: int
) -> None:
    # The SDK's asyncio connections for DefaultAsyncHttpxClient; aiohttp's pool for the other.
    opened = count_connections(monkeypatch)
    seen: list[str] = []

    async def hook(request: httpx2.Request) -> None:
        seen.append(request.headers["X-Trace"])

    make: Callable[..., httpx2.AsyncClient] = getattr(cocalc_api, client)
    async with (
        keep_alive_server() as (server, url),
        make(headers={"X-Trace": "t-1"}, event_hooks={"request": [hook]}) as http,
        cocalc_api.AsyncProject(
            api_key="sk-test", host=url, project_id=PROJECT_ID, http_client=http
        ) as project,
    ):
        assert await project.system.ping() == PING
        assert await project.system.ping() == PING
        assert not http.is_closed  # a client passed in is the caller's to close
    assert seen == ["t-1", "t-1"]
    assert len(opened) == sdk_connections
    assert all(isinstance(stream, AsyncioStream) for stream in opened)
    assert (server.connections, server.requests) == (1, 2)


async def test_limits_given_are_the_pools() -> None:
    # One connection at most: two calls at once take turns on it.
    async with (
        keep_alive_server() as (server, url),
        cocalc_api.DefaultAsyncHttpxClient(limits=httpx2.Limits(max_connections=1)) as http,
        cocalc_api.AsyncProject(
            api_key="sk-test", host=url, project_id=PROJECT_ID, http_client=http
        ) as project,
    ):
        assert [*await asyncio.gather(project.system.ping(), project.system.ping())] == [PING] * 2
    assert (server.connections, server.requests) == (1, 2)


async def test_limits_given_are_the_sync_pools_too() -> None:
    async with keep_alive_server() as (server, url):
        with (
            cocalc_api.DefaultHttpxClient(limits=httpx2.Limits(max_connections=1)) as http,
            cocalc_api.Project(
                api_key="sk-test", host=url, project_id=PROJECT_ID, http_client=http
            ) as project,
        ):
            calls = [asyncio.to_thread(project.system.ping) for _ in range(4)]
            assert [*await asyncio.gather(*calls)] == [PING] * 4
    assert (server.connections, server.requests) == (1, 4)


async def test_a_transport_given_is_used_as_it_is() -> None:
    async def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"now": 7})

    async with (
        cocalc_api.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(answer)) as http,
        cocalc_api.AsyncProject(
            api_key="sk-test", host="http://127.0.0.1:1", project_id=PROJECT_ID, http_client=http
        ) as project,
    ):
        assert await project.system.ping() == {"now": 7}


def test_a_transport_given_to_the_sync_client_is_used_as_it_is() -> None:
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"now": 8})

    with (
        cocalc_api.DefaultHttpxClient(transport=httpx2.MockTransport(answer)) as http,
        cocalc_api.Project(
            api_key="sk-test", host="http://127.0.0.1:1", project_id=PROJECT_ID, http_client=http
        ) as project,
    ):
        assert project.system.ping() == {"now": 8}


@pytest.mark.parametrize(
    "make",
    [cocalc_api.DefaultHttpxClient, cocalc_api.DefaultAsyncHttpxClient],
    ids=["sync", "async"],
)
def test_an_http2_client_is_httpx2s_own_with_a_certificate_context_of_its_own(
    make: Callable[..., Any],
) -> None:
    # httpx2's HTTP/2 pool, as httpx2.Client(http2=True, limits=...) makes it: the SDK's
    # connections speak HTTP/1.1 only, and httpcore2 sets "h2" on the context it is given.
    pool = make(http2=True, limits=httpx2.Limits(max_connections=7))._transport._pool
    assert (pool._http1, pool._http2, pool._max_connections) == (True, True, 7)
    backend = pool._network_backend
    assert not isinstance(backend, sync_network.DeadlineBackend | asyncio_network.AsyncioBackend)
    context = pool._ssl_context
    assert context is not default_ssl_context()
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)


@pytest.mark.parametrize(
    ("ours", "theirs", "backend"),
    [
        (sync_network.pooled_transport, httpx2.Client, sync_network.DeadlineBackend),
        (asyncio_network.pooled_transport, httpx2.AsyncClient, asyncio_network.AsyncioBackend),
    ],
    ids=["sync", "async"],
)
def test_the_sdks_pools_have_httpx2s_own_limits_and_certificate_checks(
    ours: Callable[[], Any], theirs: Callable[[], Any], backend: type
) -> None:
    # The independent source: what a plain httpx2 client is given by httpx2 itself. (These
    # fail too if httpx2 stops keeping its pool in `_pool`, which the SDK's pools replace.)
    pool, their_pool = ours()._pool, theirs()._transport._pool
    assert isinstance(pool._network_backend, backend)
    for name in ("_max_connections", "_max_keepalive_connections", "_keepalive_expiry"):
        assert getattr(pool, name) == getattr(their_pool, name)
    context = pool._ssl_context
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert context.cert_store_stats() == their_pool._ssl_context.cert_store_stats()


# -- DefaultAioHttpClient: its settings and its failures -----------------------------------


async def test_the_aiohttp_client_has_the_sdks_defaults_and_shared_certificate_context() -> None:
    async with (
        cocalc_api.DefaultAioHttpClient() as http,
        cocalc_api.DefaultAsyncHttpxClient() as ours,
    ):
        assert http.follow_redirects is False
        assert http.timeout == ours.timeout  # the backstop every default client has
        assert http._transport.ssl_context is default_ssl_context()


@pytest.mark.filterwarnings("ignore::cocalc_api.InsecureHostWarning")
async def test_the_aiohttp_client_gives_its_settings_to_every_transport() -> None:
    limits = httpx2.Limits(max_connections=7, max_keepalive_connections=3, keepalive_expiry=2.0)
    async with cocalc_api.DefaultAioHttpClient(
        verify=False, limits=limits, proxy="http://127.0.0.1:1", follow_redirects=True
    ) as http:
        assert http.follow_redirects is True
        (proxied,) = [t for t in http._mounts.values() if t is not None]
        for transport in (http._transport, proxied):
            assert transport.limits == limits
            context = transport.ssl_context
            assert (context.verify_mode, context.check_hostname) == (ssl.CERT_NONE, False)
        assert str(proxied.proxy.url) == "http://127.0.0.1:1"
        assert http._transport.proxy is None


@pytest.mark.parametrize("route", ["direct", "proxy"])
def test_the_aiohttp_client_says_it_speaks_http_1_1_only(
    route: str, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx-aiohttp's own rule, for the transport of each route: HTTP/2 asked for alongside
    # HTTP/1.1 falls back to it with a warning; HTTP/2 alone is refused. For the proxy's route
    # alone, the direct one gets a transport of the test's (used as it is).
    route_settings: dict[str, Any] = (
        {}
        if route == "direct"
        else {"proxy": "http://127.0.0.1:1", "transport": httpx2.MockTransport(lambda r: None)}
    )
    cocalc_api.DefaultAioHttpClient(http2=True, **route_settings)
    warned = [r for r in caplog.records if "HTTP/2 is not supported by aiohttp" in r.getMessage()]
    assert len(warned) == 1
    with pytest.raises(httpx2.UnsupportedProtocol):
        cocalc_api.DefaultAioHttpClient(http1=False, http2=True, **route_settings)


def test_a_failure_with_no_text_is_named_by_its_class() -> None:
    # Some of aiohttp's exceptions carry no message; the mapped one says what happened.
    error = aiohttp_client._mapped(aiohttp.ClientPayloadError())
    assert type(error) is httpx2.RemoteProtocolError
    assert str(error) == "ClientPayloadError"


async def test_a_refused_connect_through_aiohttp_is_httpx2s_connect_error() -> None:
    sock = refused_port()  # bound, not listening
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/api/conat/project"
    try:
        async with cocalc_api.DefaultAioHttpClient() as http:
            with pytest.raises(httpx2.ConnectError) as raised:
                await http.post(url, content=b"{}")
    finally:
        sock.close()
    assert type(raised.value) is httpx2.ConnectError  # what httpcore2 raises: not a timeout
    assert raised.value.request.url == url  # set by httpx2's client
    text = str(raised.value)  # aiohttp's own words, and what the errno means
    assert "Cannot connect to host 127.0.0.1:" in text, text
    assert text.endswith(f"({os.strerror(errno.ECONNREFUSED)})"), text


async def refuse_to_tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A proxy that answers every CONNECT with 403."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()
    writer.close()


@pytest.mark.parametrize("event", ["proxy refuses the tunnel", "proxy not listening"])
async def test_a_proxy_failure_through_aiohttp_is_what_httpx2_raises(event: str) -> None:
    # The module's promise: a failure is the exception httpcore2 raises for the same event, so
    # httpx2's own client is the reference (a tunnel refused: ProxyError; a proxy that cannot
    # be reached: ConnectError, as for any host).
    server = await asyncio.start_server(refuse_to_tunnel, "127.0.0.1", 0)
    sock = refused_port()
    port = server.sockets[0].getsockname()[1] if event.endswith("tunnel") else sock.getsockname()[1]
    proxy = f"http://127.0.0.1:{port}"
    raised: list[type[Exception]] = []
    try:
        for make in (httpx2.AsyncClient, cocalc_api.DefaultAioHttpClient):
            async with make(proxy=proxy) as http:
                with pytest.raises(httpx2.TransportError) as failure:
                    await http.get("https://project.invalid/")
                raised.append(type(failure.value))
                assert failure.value.__cause__ is None or make is httpx2.AsyncClient
    finally:
        sock.close()
        server.close()
        await server.wait_closed()
    assert raised[1] is raised[0], raised


async def test_an_answer_cut_short_through_aiohttp_is_httpx2s_protocol_error() -> None:
    # The head promises 100 bytes, 10 come, then the connection closes (RFC 9112, 8: an
    # incomplete message); httpcore2 raises RemoteProtocolError for it.
    async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(cut_short, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    async with server, cocalc_api.DefaultAioHttpClient() as http:
        with pytest.raises(httpx2.RemoteProtocolError) as raised:
            await http.get(url)
    assert raised.value.request.url == url
    assert raised.value.__cause__ is None  # aiohttp's, with the request's headers, not chained
