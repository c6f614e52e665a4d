"""pytest plugin of cocalc_api (docs/testing.md), loaded by pytest when the package is installed.

It only adds fixtures, all named `cocalc_*`, and an option; nothing happens until a test asks
for a fixture:

- `cocalc_project` / `cocalc_async_project`: a Project / AsyncProject for the test, closed
  after it. Against the local project server, started once per session on the first test that
  needs it (`cocalc_server`); against a real host with `--cocalc-live` (COCALC_API_KEY,
  COCALC_HOST, COCALC_PROJECT_ID); and with no server at all when the test replays cassettes
  (marked `vcr` under pytest-recording's default `--record-mode=none`).
- `cocalc_hub` / `cocalc_async_hub`: a Hub / AsyncHub for the test, against the local hub
  (`cocalc-hub-server`, started once per session on the first test that needs it:
  `cocalc_hub_server`), a real host with `--cocalc-live` (COCALC_API_KEY, COCALC_HOST), or
  cassettes. `cocalc_hub_project`: a fresh project on that hub for the test, as a Project with
  the hub's account key, deleted after it.
- `cocalc_vcr_config`: pytest-recording settings that match calls on their JSON body and
  scrub the key and the project id; use it as your `vcr_config`:

      @pytest.fixture
      def vcr_config(cocalc_vcr_config):
          return cocalc_vcr_config
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from cocalc_api._client import AsyncProject, Project
    from cocalc_api.hub import AsyncHub, Hub
    from cocalc_hub_server.testing import HubProcess
    from cocalc_project_server.testing import ServerProcess

LIVE_OPTION = "--cocalc-live"
# Replaying needs no server: calls are answered from cassettes, so the host is never reached.
REPLAY_HOST = "http://127.0.0.1:9"
REPLAY_KEY = "sk-replay-no-server"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cocalc", "cocalc_api fixtures")
    group.addoption(
        LIVE_OPTION,
        action="store_true",
        default=False,
        help="cocalc_project fixtures use the host of COCALC_API_KEY, COCALC_HOST and "
        "COCALC_PROJECT_ID instead of the local project server (to record cassettes).",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """pytest-recording: register the JSON-body matcher that `cocalc_vcr_config` names."""
    from cocalc_api.testing import register_matcher

    register_matcher(vcr)


@dataclass(frozen=True)
class CocalcTarget:
    """Where a test's project calls go: "local" server, "live" host, or "replay" (none)."""

    mode: str
    host: str
    api_key: str
    project_id: str | None


def _live_settings(config: pytest.Config) -> CocalcTarget | None:
    if not config.getoption(LIVE_OPTION):
        return None
    key = os.environ.get("COCALC_API_KEY")
    if not key:
        raise pytest.UsageError(f"{LIVE_OPTION} needs COCALC_API_KEY (and COCALC_PROJECT_ID)")
    return CocalcTarget(
        "live",
        os.environ.get("COCALC_HOST", "https://cocalc.com"),
        key,
        os.environ.get("COCALC_PROJECT_ID") or None,
    )


def _replays(request: pytest.FixtureRequest) -> bool:
    """The test replays cassettes only: it is marked `vcr` and the record mode is "none"
    (pytest-recording's default), so none of its calls may reach a server."""
    markers = list(request.node.iter_markers(name="vcr"))
    if not markers:
        return False
    try:
        mode = request.config.getoption("--record-mode")
    except ValueError:  # pytest-recording is not loaded: `vcr` marks mean nothing
        return False
    if request.config.getoption("--disable-recording", default=False):
        return False
    if mode is None:
        settings = request.getfixturevalue("vcr_config")
        mode = next(
            (m.kwargs["record_mode"] for m in markers if "record_mode" in m.kwargs),
            settings.get("record_mode", "none"),
        )
    return bool(mode == "none")


@pytest.fixture(scope="session")
def cocalc_server() -> Iterator[ServerProcess]:
    """The local project server (`cocalc-project-server`), started once for the session, with
    the project id that recordings use (cocalc_api.testing.PROJECT_ID)."""
    try:
        from cocalc_project_server.testing import running_server
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        pytest.fail(
            f"the local project server needs the 'testing' extra: pip install "
            f"'cocalc-sdk[testing]' ({error})",
            pytrace=False,
        )
    from cocalc_api.testing import PROJECT_ID

    with running_server(project_id=PROJECT_ID) as server:
        yield server


@pytest.fixture
def cocalc_target(request: pytest.FixtureRequest) -> CocalcTarget:
    """Where this test's calls go (see the module's doc)."""
    from cocalc_api.testing import PROJECT_ID

    live = _live_settings(request.config)
    if live is not None:
        return live
    if _replays(request):
        return CocalcTarget("replay", REPLAY_HOST, REPLAY_KEY, PROJECT_ID)
    server: ServerProcess = request.getfixturevalue("cocalc_server")
    return CocalcTarget("local", server.url, server.api_key, server.project_id)


@pytest.fixture
def cocalc_project(cocalc_target: CocalcTarget) -> Iterator[Project]:
    """A Project for this test (local server, live host or cassettes), closed after it."""
    from cocalc_api._client import Project

    with Project(
        api_key=cocalc_target.api_key,
        host=cocalc_target.host,
        project_id=cocalc_target.project_id,
    ) as project:
        yield project


async def _async_project(cocalc_target: CocalcTarget) -> AsyncIterator[AsyncProject]:
    from cocalc_api._client import AsyncProject

    async with AsyncProject(
        api_key=cocalc_target.api_key,
        host=cocalc_target.host,
        project_id=cocalc_target.project_id,
    ) as project:
        yield project


_async_project.__doc__ = """An AsyncProject for this test, closed after it (an async fixture:
needs pytest-asyncio, or anyio's pytest plugin)."""

cocalc_async_project: Any
try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - anyio's plugin runs async fixtures of anyio tests
    cocalc_async_project = pytest.fixture(name="cocalc_async_project")(_async_project)
else:
    # pytest_asyncio's own decorator works under both of its modes (strict and auto).
    cocalc_async_project = pytest_asyncio.fixture(name="cocalc_async_project")(_async_project)


@pytest.fixture(scope="session")
def cocalc_vcr_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """pytest-recording settings for calls of cocalc_api: matched on the JSON body, the key
    scrubbed, and with --cocalc-live the real project id written as the placeholder the
    other modes use (cocalc_api.testing.PROJECT_ID)."""
    from cocalc_api.testing import vcr_config

    live = _live_settings(request.config)
    if live is None:
        return vcr_config()
    return vcr_config(api_key=live.api_key, project_id=live.project_id)


# -- the hub --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cocalc_hub_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """The local hub (`cocalc-hub-server`), started once for the session on a fresh site; its
    key is the account key of the site's admin."""
    try:
        from cocalc_hub_server.testing import running_hub
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        pytest.fail(
            f"the local hub needs the 'testing' extra: pip install 'cocalc-sdk[testing]' ({error})",
            pytrace=False,
        )
    with running_hub(root=tmp_path_factory.mktemp("cocalc-hub")) as hub:
        yield hub


@pytest.fixture
def cocalc_hub_target(request: pytest.FixtureRequest) -> CocalcTarget:
    """Where this test's hub calls go: the local hub, a live host, or cassettes."""
    live = _live_settings(request.config)
    if live is not None:
        return CocalcTarget("live", live.host, live.api_key, None)
    if _replays(request):
        return CocalcTarget("replay", REPLAY_HOST, REPLAY_KEY, None)
    hub: HubProcess = request.getfixturevalue("cocalc_hub_server")
    return CocalcTarget("local", hub.url, hub.api_key, None)


@pytest.fixture
def cocalc_hub(cocalc_hub_target: CocalcTarget) -> Iterator[Hub]:
    """A Hub for this test (local hub, live host or cassettes), closed after it."""
    from cocalc_api.hub import Hub

    with Hub(api_key=cocalc_hub_target.api_key, host=cocalc_hub_target.host) as hub:
        yield hub


@pytest.fixture
def cocalc_hub_project(cocalc_hub: Hub) -> Iterator[Project]:
    """A new project on the test's hub, as a Project reached with the hub's account key;
    deleted (the hub's `projects.delete`) after the test."""
    from cocalc_api._client import Project

    project_id = cocalc_hub.projects.create_project(title="pytest")
    try:
        with Project(
            api_key=cocalc_hub.api_key, host=cocalc_hub.host, project_id=project_id
        ) as project:
            yield project
    finally:
        cocalc_hub.projects.delete(project_id)


async def _async_hub(cocalc_hub_target: CocalcTarget) -> AsyncIterator[AsyncHub]:
    from cocalc_api.hub import AsyncHub

    async with AsyncHub(api_key=cocalc_hub_target.api_key, host=cocalc_hub_target.host) as hub:
        yield hub


_async_hub.__doc__ = """An AsyncHub for this test, closed after it (an async fixture)."""

cocalc_async_hub: Any
try:
    import pytest_asyncio as _pytest_asyncio
except ImportError:  # pragma: no cover
    cocalc_async_hub = pytest.fixture(name="cocalc_async_hub")(_async_hub)
else:
    cocalc_async_hub = _pytest_asyncio.fixture(name="cocalc_async_hub")(_async_hub)
