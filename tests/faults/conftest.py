"""Fixtures of the fault-injection tests: hostile servers on real loopback sockets."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.faults.harness import EVERY_CLIENT, HTTPX_KINDS, KINDS
from tests.faults.hostile import HostileServer, refused_port


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "transport_independent: the test exercises no HTTP client code, so `kind` is only "
        "'sync' and 'async' (not 'aiohttp')",
    )
    config.addinivalue_line(
        "markers",
        "every_client: the test reads answers, which each HTTP client reads its own way, so "
        "`kind` is every kind of harness.EVERY_CLIENT (httpx2's own clients passed in too)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`kind`, which client: 'sync' (Project), 'async' (AsyncProject) or 'aiohttp'
    (AsyncProject over DefaultAioHttpClient)."""
    if "kind" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("every_client"):
            metafunc.parametrize("kind", EVERY_CLIENT)
        elif metafunc.definition.get_closest_marker("transport_independent"):
            metafunc.parametrize("kind", HTTPX_KINDS)
        else:
            metafunc.parametrize("kind", KINDS)


def _hostile_server() -> Iterator[HostileServer]:
    hostile = HostileServer()
    try:
        yield hostile
    finally:
        hostile.close()


@pytest.fixture
def server() -> Iterator[HostileServer]:
    yield from _hostile_server()


@pytest.fixture
def other_server() -> Iterator[HostileServer]:
    yield from _hostile_server()


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL whose port is bound but not listening: connections are refused."""
    sock = refused_port()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG (cocalc_api, httpx, httpcore), captured."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="cocalc_api")
    return caplog
