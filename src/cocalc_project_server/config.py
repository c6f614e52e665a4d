"""Settings of one server instance, plus the protocol constants they default to."""

from __future__ import annotations

import resource
from dataclasses import dataclass
from pathlib import Path

from cocalc_api_generated.specs import API_PATH

from .network import LISTEN_BACKLOG

# The path and the envelope's default limit, from the spec (as the SDK reads them).
ENDPOINT = API_PATH
# CoCalc's API route is a Next.js pages route with the default body parser: '1mb', 1 << 20 bytes
# (next/src/server/api-utils/node/api-resolver.ts).
DEFAULT_MAX_REQUEST_BYTES = 1 << 20
DEFAULT_KERNEL_POOL_SIZE = 2
MAX_KERNEL_POOL_SIZE = 8
# Characters of stdout and of stderr one exec call keeps (10 Mi).
DEFAULT_MAX_EXEC_OUTPUT = 10 * 1024 * 1024
# Bytes of a file readTextFileFromProject answers with at most (the real project reads any
# size). CoCalc's API route takes request bodies up to 1 MiB (Next.js's default body limit),
# so a file written through the API is far smaller; 8 MiB leaves room for logs and data made
# otherwise while an answer stays tens of MiB at worst (a control character is 6 bytes of JSON).
DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024
# Characters of output items one Jupyter call holds (the real service has no such bound): a few
# times the largest of CoCalc's default output limits (5 M, stateless-api/kernel.ts).
DEFAULT_MAX_JUPYTER_OUTPUT = 32 * 1024 * 1024
# Kernel processes at once (the real service has no cap): at ~30 MB each when idle and up to
# 3 GB each (the stateless kernels' RLIMIT_AS), a laptop's worth.
DEFAULT_MAX_KERNELS = 8
# Async exec jobs kept, as the real service's ASYNC_CACHE_MAX (running ones are always kept).
DEFAULT_ASYNC_JOBS_MAX = 100
API_KEY_ENV = "COCALC_PROJECT_SERVER_API_KEY"

# Connection hygiene (uvicorn has no timeout for a request that never completes, and its
# `limit_concurrency` only answers 503 once headers are in, holding idle sockets forever).
# The head of a request must be complete this long after the connection opens or the previous
# response ends (uvicorn issue #157 suggests ~10 s for such a "request start" timeout).
DEFAULT_HEADER_TIMEOUT_S = 10.0
# The body must be complete this long after the head (1 MiB in 60 s is ~17 KiB/s).
DEFAULT_BODY_TIMEOUT_S = 60.0
# Open connections at most (the SDK's connection pool holds up to 100), fewer if the open-file
# limit is low: see default_max_connections.
MAX_CONNECTIONS_CEILING = 512
MIN_CONNECTIONS = 16


def default_max_connections() -> int:
    """The connection cap for this process: 512, or less to fit the open-file limit.

    The cap acts on a connection only once asyncio has accepted it, and asyncio accepts up to
    LISTEN_BACKLOG connections per event, for about three events before a closed connection's
    descriptor is released; kernels, commands and files need descriptors too. So the cap is
    half of what remains of the limit after three such bursts (at least MIN_CONNECTIONS).
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS_CEILING
    fitting = (soft - 3 * LISTEN_BACKLOG) // 2
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS_CEILING, fitting))


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
    max_read_bytes: int = DEFAULT_MAX_READ_BYTES
    max_jupyter_output: int = DEFAULT_MAX_JUPYTER_OUTPUT
    max_kernels: int = DEFAULT_MAX_KERNELS
    async_jobs_max: int = DEFAULT_ASYNC_JOBS_MAX
    # A root the CLI made for this run: also removed when a crashed server is cleaned up.
    root_is_temporary: bool = False
    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    # None: default_max_connections() of the serving process.
    max_connections: int | None = None
