"""Command line: ``cocalc-hub-server`` / ``python -m cocalc_hub_server``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cocalc_project_server.logs import configure_logging
from cocalc_project_server.network import is_loopback
from cocalc_project_server.parent_watch import exit_with_parent

from .config import (
    API_KEY_ENV,
    DEFAULT_KERNEL_POOL_SIZE,
    DEFAULT_MAX_RUNNING_PROJECTS,
    HubConfig,
)
from .secrets_ import API_KEY_PREFIX

API_KEY_FLAG_WARNING = (
    "cocalc-hub-server: warning: --api-key is visible to every user of this machine "
    f"(ps, /proc); set ${API_KEY_ENV} instead"
)


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("port must be between 0 and 65535")
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cocalc-hub-server",
        description=(
            "A local CoCalc site: the account-level hub API (POST /api/conat/hub) and the "
            "project API (POST /api/conat/project) on one port, its state in SQLite under "
            "--root and each project a folder there."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port (default 0: pick a free one)")
    parser.add_argument(
        "--root", type=Path, required=True, help="the site's folder (database and projects)"
    )
    parser.add_argument(
        "--api-key",
        help=(
            f"the site admin's account key, sk-... (default: ${API_KEY_ENV}, else the first "
            "admin's key on record, else a new one); the admin is made on first use of a key"
        ),
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding a non-loopback address (anyone reaching it with a key runs code)",
    )
    parser.add_argument(
        "--max-running-projects",
        type=_count(1),
        default=DEFAULT_MAX_RUNNING_PROJECTS,
        metavar="N",
        help=(
            "projects running at once, the bound on the hub's processes (one watchdog per "
            "running project, plus the commands and kernels they run): starting one more "
            "stops the least recently used one without calls in flight, or waits until one "
            f"has none (default {DEFAULT_MAX_RUNNING_PROJECTS})"
        ),
    )
    parser.add_argument(
        "--kernel-pool-size",
        type=_count(0),
        default=DEFAULT_KERNEL_POOL_SIZE,
        help=(
            "warm Jupyter kernels each running project keeps per kernel name until a call "
            f"asks for a pool (default {DEFAULT_KERNEL_POOL_SIZE})"
        ),
    )
    parser.add_argument(
        "--demo-course",
        type=_count(0),
        default=0,
        metavar="N",
        help=(
            "on first start, make a course to try things on: a project 'Demo course' owned by "
            "the --api-key account holding demo.course, and N student accounts, each with a "
            "student project of the course (default 0: none); the ready line gives it as "
            "demo_course=PROJECT_ID:PATH"
        ),
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help=(
            "stop (as SIGTERM does, with its projects) once the process that started the hub "
            "is gone; cocalc_hub_server.testing starts hubs so, for test runs killed outright"
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
            "anyone who can reach it with a key can run commands as this user"
        )
    if ns.api_key is not None:
        print(API_KEY_FLAG_WARNING, file=sys.stderr)
    # Out of the environment, so that no project command or kernel inherits it.
    from_environment = os.environ.pop(API_KEY_ENV, None)
    api_key = ns.api_key or from_environment or None
    if api_key is not None and not api_key.startswith(API_KEY_PREFIX):
        # Account keys are looked up only with this prefix (server/api/manage.ts).
        parser.error(f"the API key must start with {API_KEY_PREFIX!r}")
    configure_logging(ns.log_level)
    root = ns.root.expanduser()
    root.mkdir(parents=True, exist_ok=True)
    config = HubConfig(
        root=root.resolve(),
        api_key=api_key,
        host=ns.host,
        port=ns.port,
        max_running_projects=ns.max_running_projects,
        kernel_pool_size=ns.kernel_pool_size,
        demo_course=ns.demo_course,
    )
    if ns.exit_with_parent:
        exit_with_parent()
    from .server import run  # late: option errors come without loading the server stack

    return run(config, log_level=ns.log_level)


if __name__ == "__main__":
    sys.exit(main())
