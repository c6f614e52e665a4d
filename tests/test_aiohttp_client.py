"""`cocalc_api.DefaultAioHttpClient` itself: loaded on first use, a clear error without the
extra, and the SDK's defaults. Calls over it run in the fault suite (every fault ends in the
same typed exception as over the default client), tests/test_http_clients.py (proxies, hooks,
its own pool) and tests/test_live_server.py (cancellations).
"""

from __future__ import annotations

import subprocess
import sys

import httpx2
import pytest

import cocalc_api
from cocalc_api._tls import default_ssl_context
from tests.faults.hostile import refused_port


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_import_cocalc_api_leaves_aiohttp_unloaded_until_the_client_is_used() -> None:
    done = run_python(
        "import sys, cocalc_api\n"
        "assert 'aiohttp' not in sys.modules and 'httpx_aiohttp' not in sys.modules\n"
        "cocalc_api.DefaultAioHttpClient\n"
        "assert 'httpx_aiohttp' in sys.modules\n"
    )
    assert done.returncode == 0, done.stderr


def test_without_the_extra_the_error_says_what_to_install() -> None:
    # None in sys.modules is how Python says a module cannot be imported.
    done = run_python(
        "import sys\nsys.modules['httpx_aiohttp'] = None\nimport cocalc_api\n"
        "try:\n    cocalc_api.DefaultAioHttpClient\n"
        "except ModuleNotFoundError as error:\n    print(error.name, '|', error)\n"
    )
    assert done.returncode == 0, done.stderr
    name, message = done.stdout.strip().split(" | ")
    assert name.partition(".")[0] == "httpx_aiohttp"
    assert "pip install 'cocalc-sdk[aiohttp]'" in message


async def test_the_sdks_defaults_and_its_shared_certificate_context() -> None:
    async with (
        cocalc_api.DefaultAioHttpClient() as http,
        cocalc_api.DefaultAsyncHttpxClient() as ours,
    ):
        assert http.follow_redirects is False
        assert http.timeout == ours.timeout  # the backstop every default client has
        transport = http._transport
        assert transport.ssl_context is default_ssl_context()  # no certificates loaded again


async def test_settings_of_httpx2_pass_through() -> None:
    limits = httpx2.Limits(max_connections=7, keepalive_expiry=3.0)
    async with cocalc_api.DefaultAioHttpClient(
        limits=limits, follow_redirects=True, verify=False
    ) as http:
        assert http.follow_redirects is True
        transport = http._transport
        assert transport.limits == limits
        assert transport.ssl_context.verify_mode.name == "CERT_NONE"
        assert transport.ssl_context is not default_ssl_context()


async def test_a_refused_connection_is_a_connection_error_not_a_timeout() -> None:
    sock = refused_port()  # bound, not listening
    host = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with (
        cocalc_api.DefaultAioHttpClient() as http,
        cocalc_api.AsyncProject(
            api_key="sk-test", host=host, max_retries=0, http_client=http
        ) as project,
    ):
        with pytest.raises(cocalc_api.APIConnectionError) as raised:
            await project.system.ping()
    sock.close()
    assert type(raised.value) is cocalc_api.APIConnectionError
    assert "refused" in str(raised.value).lower()
