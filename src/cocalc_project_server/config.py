"""Settings of one server instance, plus the protocol constants they default to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ENDPOINT = "/api/conat/project"
DEFAULT_ENVELOPE_TIMEOUT_MS = 15_000
DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024
DEFAULT_KERNEL_POOL_SIZE = 2
MAX_KERNEL_POOL_SIZE = 8
# Characters of stdout and of stderr one exec call keeps (10 Mi, as the request size limit).
DEFAULT_MAX_EXEC_OUTPUT = 10 * 1024 * 1024
# Async exec jobs kept, as the real service's ASYNC_CACHE_MAX (running ones are always kept).
DEFAULT_ASYNC_JOBS_MAX = 100
API_KEY_ENV = "COCALC_PROJECT_SERVER_API_KEY"


@dataclass(frozen=True)
class ServerConfig:
    """Everything a running server needs to know; built by the CLI or by tests."""

    api_key: str
    project_id: str
    # The project's HOME folder: commands run here and paths are confined to it.
    root: Path
    host: str = "127.0.0.1"
    port: int = 0
    kernel_pool_size: int = DEFAULT_KERNEL_POOL_SIZE
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_exec_output: int = DEFAULT_MAX_EXEC_OUTPUT
    async_jobs_max: int = DEFAULT_ASYNC_JOBS_MAX
    # A root the CLI made for this run: also removed when a crashed server is cleaned up.
    root_is_temporary: bool = False
