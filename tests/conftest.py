"""Shared fixtures: the cassette player, a loader for the reference client, and the 40 s job
that tests/test_jobs.py waits for while the rest of the run goes on."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import pytest
import trustme
import vcr
import yaml

from tests.cassette_config import make_vcr
from tests.sockets import unanswering

REPO = Path(__file__).resolve().parent.parent
REFERENCE_CLIENT_DIR = REPO / ".venv" / "reference-client" / "cocalc_api"


@pytest.fixture(scope="session")
def authority() -> trustme.CA:
    """A certificate authority for the TLS tests' servers (and clients)."""
    return trustme.CA()


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A loopback port whose listen queue is full: a connect to it hangs."""
    with unanswering("127.0.0.1", 0) as port:
        yield port


@pytest.fixture(scope="session")
def player() -> vcr.VCR:
    """Replays cassettes; a request that matches no recorded one fails the test."""
    return make_vcr("none")


def load_reference_client() -> ModuleType:
    """cocalc-api 0.5.1 (installed apart by the Makefile), imported as `cocalc_api_reference`."""
    name = "cocalc_api_reference"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name,
        REFERENCE_CLIENT_DIR / "__init__.py",
        submodule_search_locations=[str(REFERENCE_CLIENT_DIR)],
    )
    assert spec is not None and spec.loader is not None, f"missing {REFERENCE_CLIENT_DIR}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """spec/project-api.yaml as plain YAML: read on its own, not through the generator."""
    loaded: dict[str, Any] = yaml.safe_load((REPO / "spec" / "project-api.yaml").read_text())
    return loaded


@pytest.fixture(scope="session")
def reference_client() -> ModuleType:
    """cocalc-api 0.5.1, the reference client."""
    return load_reference_client()


# -- a 40 s job, waited for while the rest of the run goes on (tests/test_jobs.py) ----------

LONG_JOB_S = 40
_LONG_WAIT_WANTED = pytest.StashKey[bool]()
# vcrpy replaces httpx2.HTTPTransport.handle_request while a test of the same worker plays a
# cassette; the waiting thread's requests, made meanwhile, must reach its server instead.
_SEND_UNRECORDED = httpx2.HTTPTransport.handle_request


class _UnrecordedTransport(httpx2.BaseTransport):
    def __init__(self) -> None:
        self._inner = httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return _SEND_UNRECORDED(self._inner, request)

    def close(self) -> None:
        self._inner.close()


@dataclass
class LongWait:
    """A 40 s job on a server of its own, waited for at once by job.wait() in a thread and by
    `cocalc-project jobs wait` in a subprocess, neither given any timeout."""

    job: Any
    cli: subprocess.Popen[str]
    thread: threading.Thread
    outcome: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="session")
def long_wait() -> Iterator[LongWait]:
    import cocalc_api
    from cocalc_project_server.testing import running_server

    with (
        running_server(kernel_pool_size=0) as server,
        httpx2.Client(transport=_UnrecordedTransport()) as http,
        cocalc_api.Project(
            api_key=server.api_key, host=server.url, project_id=server.project_id, http_client=http
        ) as project,
    ):
        job = project.jobs.start(f"sleep {LONG_JOB_S}; echo finished")
        env = {
            **os.environ,
            "COCALC_API_KEY": server.api_key,
            "COCALC_HOST": server.url,
            "COCALC_PROJECT_ID": server.project_id,
        }
        cli = subprocess.Popen(
            [str(Path(sys.executable).parent / "cocalc-project"), "jobs", "wait", job.id],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        outcome: dict[str, Any] = {}

        def wait() -> None:
            try:
                outcome["final"] = job.wait()
            except BaseException as error:  # noqa: BLE001 (reported by the test)
                outcome["error"] = error

        thread = threading.Thread(target=wait, daemon=True)
        thread.start()
        yield LongWait(job, cli, thread, outcome)
        if cli.poll() is None:
            cli.kill()
            cli.wait()


# The default AsyncProject's connections are the running loop's own transports: the tests of
# those run on asyncio's loop and on uvloop's (the one uvicorn picks when it is installed).
_ON_EVERY_LOOP = {"test_asyncio_network.py", "test_tls.py"}


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    if item.path.name in _ON_EVERY_LOOP:
        import uvloop

        return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
    return {"asyncio": asyncio.new_event_loop}


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what will not run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test that waits on the 40 s job runs last, and the job starts with the first test, so
    # the rest of the run overlaps those 40 s instead of adding them.
    waiting = [item for item in items if "long_wait" in getattr(item, "fixturenames", ())]
    if waiting:
        items[:] = [item for item in items if item not in waiting] + waiting
        config.stash[_LONG_WAIT_WANTED] = True


@pytest.fixture(scope="session", autouse=True)
def _long_wait_starts_with_the_run(request: pytest.FixtureRequest) -> None:
    if request.config.stash.get(_LONG_WAIT_WANTED, False):
        request.getfixturevalue("long_wait")
