"""Settings of one hub instance, and the constants they default to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cocalc_api_generated.hub.specs import API_PATH as HUB_API_PATH
from cocalc_api_generated.specs import API_PATH as PROJECT_API_PATH
from cocalc_project_server.config import (
    DEFAULT_MAX_REQUEST_BYTES as PROJECT_DEFAULT_MAX_REQUEST_BYTES,
)

# The paths, from the specs (as the SDK reads them).
HUB_ENDPOINT = HUB_API_PATH
PROJECT_ENDPOINT = PROJECT_API_PATH
API_KEY_ENV = "COCALC_HUB_SERVER_API_KEY"
DATABASE_FILE = "hub.sqlite3"
PROJECTS_DIR = "projects"
LOCK_FILE = "hub.lock"
# Each running project holds its commands, kernels and a watchdog process; past this many the
# least recently used one is stopped.
DEFAULT_MAX_RUNNING_PROJECTS = 8
# Warm kernels kept per kernel name in a project that has not asked for a pool (jupyter.execute
# asks for 2, src/packages/server/jupyter/execute.ts PROJECT_POOL).
DEFAULT_KERNEL_POOL_SIZE = 0
# Next.js's default body limit, as for the project route (cocalc_project_server.config).
DEFAULT_MAX_REQUEST_BYTES = PROJECT_DEFAULT_MAX_REQUEST_BYTES


@dataclass(frozen=True)
class HubConfig:
    """Everything a running hub needs to know; built by the CLI or by tests."""

    # The site: the SQLite file, and one folder per project under ``projects/``.
    root: Path
    # The legacy account key (accounts.api_key) of the site admin made on first start; None:
    # the first admin's key on record, else a new one.
    api_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    max_running_projects: int = DEFAULT_MAX_RUNNING_PROJECTS
    kernel_pool_size: int = DEFAULT_KERNEL_POOL_SIZE
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    # Students of the demo course made on first start (0: none); see demo_course.py.
    demo_course: int = 0

    @property
    def database(self) -> Path:
        return self.root / DATABASE_FILE

    def project_home(self, project_id: str) -> Path:
        """A project's HOME, as single-user CoCalc's ``projects/[project_id]``
        (src/packages/server/projects/control/util.ts, homePath)."""
        return self.root / PROJECTS_DIR / project_id
