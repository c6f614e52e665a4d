"""The certificate context the SDK's own clients share (cocalc_api/_network/tls.py), on a real TLS server.

The independent source for what a default client must trust is httpx2 itself: a plain
`httpx2.Client()` trusts the system's certificates, or those named by `SSL_CERT_FILE` /
`SSL_CERT_DIR` when they are set at the time the client is made.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import pytest
import trustme

import cocalc_api
from cocalc_api._network.tls import default_ssl_context, ssl_context_for
from tests.test_asyncio_network import PING_BODY, KeepAliveServer, _KeepAlive

PROJECT_ID = "00000000-0000-4000-8000-000000000000"
PING = {"now": int(PING_BODY.split(b":")[1].rstrip(b"}"))}


@pytest.fixture(autouse=True)
def no_certificate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@asynccontextmanager
async def https_server(
    authority: trustme.CA, *, client_certificates: bool = False
) -> AsyncIterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    if client_certificates:  # only a client with a certificate from `authority` gets in
        context.verify_mode = ssl.CERT_REQUIRED
        authority.configure_trust(context)
    state = KeepAliveServer()
    server = await asyncio.get_running_loop().create_server(
        lambda: _KeepAlive(state), "127.0.0.1", 0, ssl=context
    )
    try:
        yield f"https://localhost:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        state.close_idle()


async def ping(host: str, http_client: httpx2.AsyncClient | None = None) -> object:
    async with cocalc_api.AsyncProject(
        api_key="sk-test", host=host, project_id=PROJECT_ID, max_retries=0, http_client=http_client
    ) as project:
        return await project.system.ping()


def _pool_context(project: cocalc_api.Project | cocalc_api.AsyncProject) -> ssl.SSLContext:
    context = project._http._transport._pool._ssl_context  # type: ignore[union-attr]
    assert isinstance(context, ssl.SSLContext)
    return context


async def test_every_default_client_uses_one_context_with_httpx2s_checks() -> None:
    with cocalc_api.Project(api_key="sk-test", host="http://127.0.0.1:1") as first:
        async with cocalc_api.AsyncProject(api_key="sk-test", host="http://127.0.0.1:1") as second:
            shared = _pool_context(first)
            assert _pool_context(second) is shared
    with cocalc_api.Project(api_key="sk-test", host="http://127.0.0.1:1") as third:
        assert _pool_context(third) is shared
    theirs = httpx2.Client()._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert (shared.verify_mode, shared.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert shared.cert_store_stats() == theirs.cert_store_stats()


def test_a_client_passed_in_keeps_its_own_context() -> None:
    with (
        httpx2.Client() as own,
        cocalc_api.Project(api_key="sk-test", host="http://127.0.0.1:1", http_client=own) as p,
        cocalc_api.Project(api_key="sk-test", host="http://127.0.0.1:1") as default,
    ):
        assert _pool_context(p) is not _pool_context(default)


async def test_ssl_cert_file_set_after_a_first_client_is_trusted_then_forgotten(
    authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority_file = tmp_path / "authority.pem"
    authority.cert_pem.write_to_path(str(authority_file))
    async with https_server(authority) as host:
        with pytest.raises(cocalc_api.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await ping(host)
        monkeypatch.setenv("SSL_CERT_FILE", str(authority_file))
        assert await ping(host) == PING
        monkeypatch.delenv("SSL_CERT_FILE")
        with pytest.raises(cocalc_api.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await ping(host)


@pytest.fixture
def certificate_directory(authority: trustme.CA, tmp_path: Path) -> Path:
    # A directory is searched by subject hash: "<hash>.0", as `openssl rehash` names the file.
    authority_file = tmp_path / "authority.pem"
    authority.cert_pem.write_to_path(str(authority_file))
    subject_hash = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(authority_file)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    directory = tmp_path / "certificates"
    directory.mkdir()
    (directory / f"{subject_hash}.0").write_bytes(authority_file.read_bytes())
    return directory


async def test_ssl_cert_dir_set_after_a_first_client_is_trusted(
    authority: trustme.CA, certificate_directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with https_server(authority) as host:
        with pytest.raises(cocalc_api.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await ping(host)
        monkeypatch.setenv("SSL_CERT_DIR", str(certificate_directory))
        assert await ping(host) == PING


@pytest.fixture
def trusted_by_environment(
    authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority_file = tmp_path / "authority.pem"
    authority.cert_pem.write_to_path(str(authority_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(authority_file))


@pytest.mark.usefixtures("trusted_by_environment")
async def test_a_client_certificate_given_is_sent_by_that_client_only(
    authority: trustme.CA, tmp_path: Path
) -> None:
    identity = tmp_path / "client.pem"
    authority.issue_cert("client@example.com").private_key_and_cert_chain_pem.write_to_path(
        str(identity)
    )
    async with https_server(authority, client_certificates=True) as host:
        with pytest.warns(DeprecationWarning, match="cert"):  # httpx2's own, as for its client
            http = cocalc_api.DefaultAsyncHttpxClient(cert=str(identity))
        async with http:
            assert await ping(host, http) == PING
        # The certificate went into that client's context, not the one default clients share.
        with pytest.raises(cocalc_api.APIConnectionError):
            await ping(host)


@pytest.mark.usefixtures("trusted_by_environment")
async def test_trust_env_off_leaves_ssl_cert_file_out(authority: trustme.CA) -> None:
    async with https_server(authority) as host:
        assert await ping(host) == PING
        async with cocalc_api.DefaultAsyncHttpxClient(trust_env=False) as http:
            with pytest.raises(cocalc_api.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
                await ping(host, http)


async def test_verify_off_is_that_clients_alone(authority: trustme.CA) -> None:
    async with https_server(authority) as host:
        async with cocalc_api.DefaultAsyncHttpxClient(verify=False) as http:
            assert await ping(host, http) == PING
        with pytest.raises(cocalc_api.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await ping(host)
    with (
        cocalc_api.DefaultHttpxClient(verify=False) as unverified,
        cocalc_api.Project(api_key="sk-test", host="http://127.0.0.1:1") as default,
    ):
        assert _pool_context(default).verify_mode == ssl.CERT_REQUIRED
        assert unverified._transport._pool._ssl_context.verify_mode == ssl.CERT_NONE  # type: ignore[attr-defined]


def test_a_context_given_is_used_as_it_is() -> None:
    context = ssl.create_default_context()
    with (
        cocalc_api.DefaultHttpxClient(verify=context) as http,
        cocalc_api.Project(
            api_key="sk-test", host="http://127.0.0.1:1", http_client=http
        ) as project,
    ):
        assert _pool_context(project) is context


def test_an_http2_client_gets_a_context_of_its_own() -> None:
    # httpcore2 sets the ALPN protocols on the context it is given, at every connection
    # (httpcore2/_async/connection.py): an HTTP/2 client's "h2" must not reach the shared one.
    assert ssl_context_for(True, None, trust_env=True, http2=True) is not default_ssl_context()
    assert ssl_context_for(True, None, trust_env=True, http2=False) is default_ssl_context()
