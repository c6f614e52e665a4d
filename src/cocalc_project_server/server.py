"""Serving the app with uvicorn on a socket bound up front, and the ready line.

The socket is bound before uvicorn starts so that ``--port 0`` yields a known port, and the
``cocalc-project-server listening ...`` line is printed only once the app has started.
SIGINT and SIGTERM stop the server gracefully: calls in flight are answered at once with the
real service's "no subscribers" text, then kernels and commands are shut down.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

import uvicorn

from .app import create_app
from .config import ServerConfig, default_max_connections
from .connections import ConnectionLimits, limited_protocol
from .hooked_server import HookedServer
from .network import LISTEN_BACKLOG, ListenError, base_url, bind_socket

READY_PREFIX = "cocalc-project-server listening"
# Requests still running at shutdown get this long before they are cancelled.
GRACEFUL_SHUTDOWN_S = 3


def ready_line(url: str, config: ServerConfig) -> str:
    """The one machine-readable line announcing a started server (``root`` comes last, since
    a path may contain spaces)."""
    return (
        f"{READY_PREFIX} url={url} api_key={config.api_key} "
        f"project_id={config.project_id} root={config.root}"
    )


async def serve(
    config: ServerConfig,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Run the server until SIGINT/SIGTERM; ``on_ready(url)`` is called once it accepts calls.

    This is the in-process API; by default the ready line is printed to stdout.
    """
    sock = bind_socket(config.host, config.port)
    url = base_url(sock)

    def announce() -> None:
        if on_ready is not None:
            on_ready(url)
        else:
            print(ready_line(url, config), flush=True)

    limits = ConnectionLimits(
        header_timeout_s=config.header_timeout_s,
        body_timeout_s=config.body_timeout_s,
        max_connections=config.max_connections or default_max_connections(),
    )
    app = create_app(config)
    uv_config = uvicorn.Config(
        app,
        http=limited_protocol(limits),
        backlog=LISTEN_BACKLOG,
        log_level=log_level,
        # No handlers of uvicorn's own: its records go to the root logger's (rate-limited) ones.
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


def run(config: ServerConfig, *, log_level: str = "warning") -> int:
    """Blocking entry point used by the CLI; returns the process exit status."""
    try:
        asyncio.run(serve(config, log_level=log_level))
    except ListenError as exc:
        print(f"cocalc-project-server: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:
        # uvicorn exits this way when the app fails to start.
        return int(exc.code) if isinstance(exc.code, int) else 1
    return 0
