"""`DefaultAioHttpClient` on its own: lazy import, the missing-extra error, its exception map,
and its aiohttp session's lifetime. (The fault tests run it as `kind` "aiohttp".)"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import subprocess
import sys
import warnings
from collections.abc import Callable

import aiohttp
import httpx2
import pytest

import cocalc_api
from cocalc_api import _aiohttp
from tests.faults.harness import KEY, PROJECT_ID, TARGETS, Call, assert_closed, run
from tests.faults.hostile import HostileServer, reset_mid_body, respond_json

pytestmark = pytest.mark.timeout(30)

HEAVY = ("aiohttp", "multidict", "yarl", "cocalc_api._aiohttp")


def test_import_cocalc_api_does_not_import_aiohttp() -> None:
    code = (
        "import sys, cocalc_api; "
        f"print([m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r}])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # `import aiohttp` fails

    with pytest.raises(ImportError, match=r"pip install 'cocalc-sdk\[aiohttp\]'"):
        cocalc_api.DefaultAioHttpClient()


MAPPED: list[tuple[str, Callable[[], BaseException], type[httpx2.TransportError]]] = [
    ("disconnected", aiohttp.ServerDisconnectedError, httpx2.RemoteProtocolError),
    ("reset", lambda: aiohttp.ClientOSError(104, "reset"), httpx2.NetworkError),
    ("reset-connection", aiohttp.ClientConnectionResetError, httpx2.NetworkError),
    ("payload", lambda: aiohttp.ClientPayloadError("cut"), httpx2.ReadError),
    ("sock-read", lambda: aiohttp.SocketTimeoutError("read"), httpx2.ReadTimeout),
    ("sock-connect", lambda: aiohttp.ConnectionTimeoutError("connect"), httpx2.ConnectTimeout),
    ("server-timeout", lambda: aiohttp.ServerTimeoutError("old aiohttp"), httpx2.TimeoutException),
    ("bare-timeout", TimeoutError, httpx2.TimeoutException),
    ("other-client-error", lambda: aiohttp.ClientError("?"), httpx2.TransportError),
]


@pytest.mark.parametrize(("make", "expected"), [m[1:] for m in MAPPED], ids=[m[0] for m in MAPPED])
def test_exception_map(
    make: Callable[[], BaseException], expected: type[httpx2.TransportError]
) -> None:
    request = httpx2.Request("POST", "http://127.0.0.1:9/api")
    error = make()
    assert isinstance(error, Exception)

    with pytest.raises(httpx2.TransportError) as caught:
        _aiohttp._reraise(error, request)

    assert type(caught.value) is expected
    assert caught.value.request is request
    # Timeouts, and only timeouts, become APITimeoutError in the SDK.
    timeout = issubclass(expected, httpx2.TimeoutException)
    assert isinstance(caught.value.__cause__, TimeoutError) == timeout


def test_other_exceptions_pass_through() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1:9/api")
    error = httpx2.UnsupportedProtocol("h2 only")

    with pytest.raises(httpx2.UnsupportedProtocol) as caught:
        _aiohttp._reraise(error, request)

    assert caught.value is error


def test_a_passed_client_stays_open_for_its_owner(server: HostileServer) -> None:
    server.play(respond_json({"now": 7}))

    async def two_projects() -> list[object]:
        results: list[object] = []
        async with cocalc_api.DefaultAioHttpClient() as http:
            for _ in range(2):
                async with cocalc_api.AsyncProject(
                    KEY, host=server.url, project_id=PROJECT_ID, http_client=http
                ) as project:
                    results.append(await project.ping())
                assert not http.is_closed
        assert_closed(http)
        return results

    assert asyncio.run(two_projects()) == [{"now": 7}, {"now": 7}]


def _unclosed(action: Callable[[], object], caplog: pytest.LogCaptureFixture) -> list[str]:
    """What aiohttp says about unclosed sessions and connectors once `action` is done and
    its garbage is collected: ResourceWarnings and asyncio's error log."""
    caplog.set_level(logging.ERROR, logger="asyncio")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
        gc.collect()
    said = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    return [text for text in said if "nclosed" in text]


def test_unclosed_client_is_detected(
    server: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Control for the test below: a client left open is reported.
    server.play(respond_json({"now": 1}))

    async def leak() -> None:
        http = cocalc_api.DefaultAioHttpClient()
        await http.post(server.url, json={})

    assert _unclosed(lambda: asyncio.run(leak()), caplog)


def test_no_unclosed_session_after_faults(
    server: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    target = TARGETS["ping"]
    server.play(
        reset_mid_body(json.dumps(target.valid).encode() + b" " * 4000), respond_json({"now": 2})
    )

    def calls() -> None:
        failed = run("aiohttp", server.url, Call(target, max_retries=0))
        failed.raised(cocalc_api.APIConnectionError)
        assert run("aiohttp", server.url, Call(target)).result == {"now": 2}

    assert _unclosed(calls, caplog) == []
