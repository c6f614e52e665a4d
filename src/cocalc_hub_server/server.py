"""Serving a hub with uvicorn on a socket bound up front, and its ready line.

As the project server does (src/cocalc_project_server/server.py): ``--port 0`` yields a known
port, the ``cocalc-hub-server listening ...`` line is printed once the app has started, and
SIGINT/SIGTERM stop it gracefully (project calls in flight are answered with the real "no
subscribers" text, then every project is stopped).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

import uvicorn

from cocalc_project_server.config import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_HEADER_TIMEOUT_S,
    default_max_connections,
)
from cocalc_project_server.connections import ConnectionLimits, limited_protocol
from cocalc_project_server.hooked_server import HookedServer
from cocalc_project_server.network import LISTEN_BACKLOG, ListenError, base_url, bind_socket

from .accounts import SiteAdmin
from .app import create_app, open_site
from .config import HubConfig
from .handlers import MissingHandlerError
from .store import SiteLockedError

READY_PREFIX = "cocalc-hub-server listening"
GRACEFUL_SHUTDOWN_S = 3


def ready_line(url: str, admin: SiteAdmin, config: HubConfig) -> str:
    """The one machine-readable line announcing a started hub (``root`` last: it may hold
    spaces)."""
    course = f" demo_course={admin.demo_course}" if admin.demo_course else ""
    return (
        f"{READY_PREFIX} url={url} api_key={admin.api_key} "
        f"account_id={admin.account_id}{course} root={config.root}"
    )


async def serve(
    config: HubConfig,
    *,
    on_ready: Callable[[str, SiteAdmin], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Run the hub until SIGINT/SIGTERM; ``on_ready(url, admin)`` once it accepts calls (by
    default the ready line is printed)."""
    store, admin = open_site(config)
    try:
        sock = bind_socket(config.host, config.port)
    except BaseException:
        store.close()
        raise
    url = base_url(sock)

    def announce() -> None:
        if on_ready is not None:
            on_ready(url, admin)
        else:
            print(ready_line(url, admin, config), flush=True)

    try:
        app = create_app(config, store, admin, site_url=url)
    except BaseException:
        sock.close()
        store.close()
        raise
    limits = ConnectionLimits(
        header_timeout_s=DEFAULT_HEADER_TIMEOUT_S,
        body_timeout_s=DEFAULT_BODY_TIMEOUT_S,
        max_connections=default_max_connections(),
    )
    uv_config = uvicorn.Config(
        app,
        http=limited_protocol(limits),
        backlog=LISTEN_BACKLOG,
        log_level=log_level,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    server = HookedServer(uv_config, announce, app.stop_calls)
    try:
        await server.serve(sockets=[sock])
    finally:
        sock.close()
        store.close()


def run(config: HubConfig, *, log_level: str = "warning") -> int:
    """Blocking entry point of the CLI; the process exit status."""
    try:
        asyncio.run(serve(config, log_level=log_level))
    except (ListenError, SiteLockedError, MissingHandlerError) as exc:
        print(f"cocalc-hub-server: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 1
    return 0
