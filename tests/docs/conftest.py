"""One local project server for every documentation block and example of a test run, and one
local hub for the blocks marked `hub`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cocalc_hub_server.testing import HubProcess, running_hub
from cocalc_project_server.testing import ServerProcess, running_server

# The directory of the test run's console scripts (cocalc-project-server, cocalc-mcp, ...),
# put first on PATH so that documented commands find them without an activated venv.
SCRIPTS = str(Path(sys.executable).parent)


@pytest.fixture(scope="session")
def doc_server() -> Iterator[ServerProcess]:
    """The server the docs' blocks and the examples run against.

    COCALC_TEST_SERVER_PYTHON picks another interpreter to run it with (e.g. another
    checkout's venv, to try the blocks marked xfail against a newer server).
    """
    python = os.environ.get("COCALC_TEST_SERVER_PYTHON", sys.executable)
    # No warm kernels (here and in the suite's other shared servers): a pool is refilled after
    # each call, so its last refills would be started for nothing; a call starts its own.
    with running_server(python=python, kernel_pool_size=0) as server:
        yield server


@pytest.fixture
def doc_env(
    doc_server: ServerProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, str]:
    """COCALC_* pointing at the test server (set in os.environ for the test too), PATH, and
    a state folder of the test's own (`cocalc-project jobs kill` writes there)."""
    values = {
        "COCALC_API_KEY": doc_server.api_key,
        "COCALC_HOST": doc_server.url,
        "COCALC_PROJECT_ID": doc_server.project_id,
        "PATH": SCRIPTS + os.pathsep + os.environ.get("PATH", ""),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


# The key docs/local-hub.md starts its hub with (COCALC_HUB_SERVER_API_KEY=sk-local-admin).
HUB_KEY = "sk-local-admin"


@pytest.fixture(scope="session")
def doc_hub() -> Iterator[HubProcess]:
    """The local hub the blocks marked `hub` run against, with the docs' admin key."""
    with running_hub(api_key=HUB_KEY) as hub:
        yield hub


@pytest.fixture
def hub_env(doc_hub: HubProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """COCALC_* pointing at the local hub (no project: an account key names one per call)."""
    values = {
        "COCALC_API_KEY": doc_hub.api_key,
        "COCALC_HOST": doc_hub.url,
        "COCALC_PROJECT_ID": "",
        "PATH": SCRIPTS + os.pathsep + os.environ.get("PATH", ""),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COCALC_PROJECT_ID")
    return values
