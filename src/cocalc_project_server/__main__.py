"""Command line: ``cocalc-project-server`` / ``python -m cocalc_project_server``."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from .config import (
    API_KEY_ENV,
    DEFAULT_ASYNC_JOBS_MAX,
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_HEADER_TIMEOUT_S,
    DEFAULT_KERNEL_POOL_SIZE,
    DEFAULT_MAX_EXEC_OUTPUT,
    DEFAULT_MAX_JUPYTER_OUTPUT,
    DEFAULT_MAX_KERNELS,
    DEFAULT_MAX_READ_BYTES,
    DEFAULT_MAX_REQUEST_BYTES,
    MAX_CONNECTIONS_CEILING,
    ServerConfig,
)
from .logs import configure_logging
from .network import is_loopback
from .parent_watch import exit_with_parent

API_KEY_FLAG_WARNING = (
    "cocalc-project-server: warning: --api-key is visible to every user of this machine "
    f"(ps, /proc); set ${API_KEY_ENV} instead"
)


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("port must be between 0 and 65535")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def _project_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a UUID: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cocalc-project-server",
        description=(
            "A local CoCalc project server: the real project API wire protocol "
            "(POST /api/conat/project), doing the work on this machine."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port (default 0: pick a free one)")
    parser.add_argument(
        "--api-key",
        help=(
            f"the accepted API key (default: ${API_KEY_ENV}, else a new random sk-... key); "
            f"prefer ${API_KEY_ENV}: command-line arguments are visible to every user via ps"
        ),
    )
    parser.add_argument(
        "--project-id", type=_project_id, help="project UUID (default: a new random one)"
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="the project's HOME folder (default: a new temporary folder, removed at exit)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding a non-loopback address (anyone reaching it with the key runs code)",
    )
    parser.add_argument(
        "--kernel-pool-size",
        type=_non_negative,
        default=DEFAULT_KERNEL_POOL_SIZE,
        help=f"warm Jupyter kernels kept per kernel name (default {DEFAULT_KERNEL_POOL_SIZE})",
    )
    parser.add_argument(
        "--max-kernels",
        type=_positive,
        default=DEFAULT_MAX_KERNELS,
        metavar="N",
        help=(
            "Jupyter kernels running at once, warm ones included; past it a call waits for a "
            "kernel to end until just before its timeout, then fails saying so "
            f"(default {DEFAULT_MAX_KERNELS})"
        ),
    )
    parser.add_argument(
        "--max-request-bytes",
        type=_non_negative,
        default=DEFAULT_MAX_REQUEST_BYTES,
        metavar="N",
        help=(
            "largest request body in bytes; a larger one is answered HTTP 413, as CoCalc's "
            f"API route answers one over its 1 MiB (default {DEFAULT_MAX_REQUEST_BYTES})"
        ),
    )
    parser.add_argument(
        "--max-exec-output",
        type=_positive,
        default=DEFAULT_MAX_EXEC_OUTPUT,
        help=(
            "characters of stdout and of stderr one exec call keeps; more is read and dropped, "
            f"marked '(truncated at N characters)' (default {DEFAULT_MAX_EXEC_OUTPUT})"
        ),
    )
    parser.add_argument(
        "--max-read-bytes",
        type=_non_negative,
        default=DEFAULT_MAX_READ_BYTES,
        help=(
            "largest file readTextFileFromProject answers with; a larger one is refused, "
            f"naming the limit (default {DEFAULT_MAX_READ_BYTES}: 8 MiB)"
        ),
    )
    parser.add_argument(
        "--max-jupyter-output",
        type=_positive,
        default=DEFAULT_MAX_JUPYTER_OUTPUT,
        help=(
            "characters of output items one Jupyter call (jupyterExecute, jupyterRunNotebook) "
            "holds, whatever its limits; at the bound a notice ends the outputs and the cell is "
            f"stopped (default {DEFAULT_MAX_JUPYTER_OUTPUT})"
        ),
    )
    parser.add_argument(
        "--async-jobs-max",
        type=_positive,
        default=DEFAULT_ASYNC_JOBS_MAX,
        help=(
            "finished async exec jobs kept, least recently used dropped first; running jobs "
            f"are always kept (default {DEFAULT_ASYNC_JOBS_MAX}, as CoCalc)"
        ),
    )
    parser.add_argument(
        "--header-timeout",
        type=_seconds,
        default=DEFAULT_HEADER_TIMEOUT_S,
        metavar="SECONDS",
        help=(
            "close a connection whose request head is not complete this long after it opened "
            f"or after the previous response (default {DEFAULT_HEADER_TIMEOUT_S:g})"
        ),
    )
    parser.add_argument(
        "--body-timeout",
        type=_seconds,
        default=DEFAULT_BODY_TIMEOUT_S,
        metavar="SECONDS",
        help=(
            "close a connection whose request body is not complete this long after its head "
            f"(default {DEFAULT_BODY_TIMEOUT_S:g})"
        ),
    )
    parser.add_argument(
        "--max-connections",
        type=_positive,
        metavar="N",
        help=(
            "open connections at most; past it the one idle the longest is closed "
            f"(default {MAX_CONNECTIONS_CEILING}, or less to fit the open-file limit)"
        ),
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help=(
            "stop (as SIGTERM does) once the process that started the server is gone; "
            "cocalc_project_server.testing starts servers so, for test runs killed outright"
        ),
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level for messages on stderr (default warning)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    if not ns.allow_remote and not is_loopback(ns.host):
        parser.error(
            f"refusing to listen on non-loopback address {ns.host!r} without --allow-remote: "
            "anyone who can reach it and knows the API key can run commands as this user"
        )
    if ns.api_key is not None and not ns.api_key.strip():
        parser.error("--api-key must not be empty")
    if ns.api_key is not None:
        print(API_KEY_FLAG_WARNING, file=sys.stderr)
    api_key = ns.api_key or os.environ.get(API_KEY_ENV)
    configure_logging(ns.log_level)

    temporary_root = ns.root is None
    if temporary_root:
        root = Path(tempfile.mkdtemp(prefix="cocalc-project-"))
    else:
        root = ns.root.expanduser()
        root.mkdir(parents=True, exist_ok=True)
    config = ServerConfig(
        api_key=api_key or f"sk-{secrets.token_urlsafe(24)}",
        project_id=ns.project_id or str(uuid.uuid4()),
        # Real path: confinement checks compare resolved paths.
        root=root.resolve(),
        host=ns.host,
        port=ns.port,
        kernel_pool_size=ns.kernel_pool_size,
        max_request_bytes=ns.max_request_bytes,
        max_exec_output=ns.max_exec_output,
        max_read_bytes=ns.max_read_bytes,
        max_jupyter_output=ns.max_jupyter_output,
        max_kernels=ns.max_kernels,
        async_jobs_max=ns.async_jobs_max,
        root_is_temporary=temporary_root,
        header_timeout_s=ns.header_timeout,
        body_timeout_s=ns.body_timeout,
        max_connections=ns.max_connections,
    )
    if ns.exit_with_parent:
        exit_with_parent()
    # Imported late so that option errors are reported without loading the server stack.
    from .server import run

    try:
        return run(config, log_level=ns.log_level)
    finally:
        if temporary_root:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
