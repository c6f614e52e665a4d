"""`cocalc-mcp`: the MCP server for one CoCalc project (and, with `--hub`, the account's hub
API), over stdio (default) or streamable HTTP.

COCALC_API_KEY=sk-... cocalc-mcp                     # stdio, for Claude Desktop and the like
COCALC_API_KEY=sk-... cocalc-mcp --http              # http://127.0.0.1:8765/mcp
COCALC_API_KEY=sk-... cocalc-mcp --hub               # an account key: the hub's tools
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import httpx2

from cocalc_api import AsyncHub, AsyncProject, CocalcError, __version__
from cocalc_api.safety import is_loopback
from cocalc_mcp._answers import DEFAULT_MAX_ANSWER_BYTES, answer_limited_client

# Printed on stderr once the HTTP server accepts connections (tests and scripts wait for it).
READY_PREFIX = "cocalc-mcp listening on"
# Not 8000, where the README and docs start the local project server and hub.
DEFAULT_PORT = 8765


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def byte_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of bytes, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cocalc-mcp",
        description=(
            "MCP server for a CoCalc project: every method of the project API as a typed tool, "
            "and the project's folders and text files as resources; with --hub, every method "
            "of the account's hub API too. The API key is read from "
            "COCALC_API_KEY only (never a flag, so that it does not show in process lists)."
        ),
    )
    p.add_argument(
        "--host",
        default=None,
        help="CoCalc server URL (default: $COCALC_HOST, else https://cocalc.com)",
    )
    p.add_argument(
        "--project-id",
        default=None,
        help="the project (default: $COCALC_PROJECT_ID; optional with a project-scoped key)",
    )
    p.add_argument(
        "--timeout",
        type=positive,
        default=None,
        help=(
            "seconds a call may take when its method has no timeout argument of its own "
            "(default: the server's 15 s); also exec's command limit when not given"
        ),
    )
    p.add_argument(
        "--hub",
        action="store_true",
        help=(
            "also offer the hub API's tools (hub_*: your account's projects, collaborators, "
            "messages, organizations); needs an account's API key. With no project "
            "(--project-id, $COCALC_PROJECT_ID), the hub's tools alone"
        ),
    )
    p.add_argument(
        "--read-only",
        action="store_true",
        help="offer only the read-only tools (those the spec marks safe to retry)",
    )
    p.add_argument(
        "--max-answer-bytes",
        type=byte_count,
        default=DEFAULT_MAX_ANSWER_BYTES,
        help=(
            "the largest answer taken from the project; a larger one fails the call, naming "
            f"the limit (default {DEFAULT_MAX_ANSWER_BYTES}: 16 MiB)"
        ),
    )
    p.add_argument(
        "--http",
        action="store_true",
        help="serve streamable HTTP instead of stdio",
    )
    p.add_argument("--bind", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"HTTP port (default {DEFAULT_PORT}; 0: any free one)",
    )
    p.add_argument("--path", default="/mcp", help="HTTP endpoint path (default /mcp)")
    p.add_argument(
        "--progress-interval",
        type=positive,
        default=1.0,
        help="seconds between progress notifications of a running call (default 1)",
    )
    p.add_argument("--version", action="version", version=f"cocalc-mcp {__version__}")
    return p


def listening_socket(bind: str, port: int) -> socket.socket:
    """A listening TCP socket on `bind:port` (0: a free port); OSError if it cannot be had."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((bind, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def clients(
    args: argparse.Namespace, http_client: httpx2.AsyncClient
) -> tuple[AsyncProject | None, AsyncHub | None]:
    """The project and the hub the server offers tools for: the project, unless `--hub` is
    given with no project (an account key without a project reaches no project); the hub
    with `--hub`. Raises CocalcError for a bad setting."""
    hub = None
    if args.hub:
        hub = AsyncHub(host=args.host, timeout=args.timeout, http_client=http_client)
    project = None
    if hub is None or args.project_id or os.environ.get("COCALC_PROJECT_ID", "").strip():
        project = AsyncProject(
            host=args.host,
            project_id=args.project_id,
            timeout=args.timeout,
            http_client=http_client,
        )
    return project, hub


@asynccontextmanager
async def opened(
    http_client: httpx2.AsyncClient, *clients: AsyncProject | AsyncHub | None
) -> AsyncIterator[None]:
    """Closes the clients, then the HTTP client they share."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(http_client)
        for client in clients:
            if client is not None:
                await stack.enter_async_context(client)
        yield


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s: %(message)s")
    api_key = os.environ.get("COCALC_API_KEY", "")
    if not api_key.strip():
        print("cocalc-mcp: set COCALC_API_KEY to a CoCalc API key", file=sys.stderr)
        return 2
    # Every answer is read with a cap: one file read of the real project may be any size.
    http_client = answer_limited_client(args.max_answer_bytes)
    try:
        project, hub = clients(args, http_client)
    except CocalcError as error:
        print(f"cocalc-mcp: {error}", file=sys.stderr)
        return 2
    sock = None
    if args.http:
        try:
            sock = listening_socket(args.bind, args.port)
        except OSError as error:  # one line, as cocalc-project-server says it
            print(f"cocalc-mcp: cannot listen on {args.bind}:{args.port}: {error}", file=sys.stderr)
            return 1

    from cocalc_mcp._server import build_server  # the mcp SDK: a second to import

    server = build_server(
        project,
        hub=hub,
        read_only=args.read_only,
        progress_interval=args.progress_interval,
        secrets=[api_key],
    )

    async def stdio() -> None:
        from mcp.server.stdio import stdio_server

        async with opened(http_client, project, hub), stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    async def http() -> None:
        import uvicorn

        assert sock is not None
        app = server.streamable_http_app(streamable_http_path=args.path, host=args.bind)
        port = sock.getsockname()[1]
        host = f"[{args.bind}]" if sock.family == socket.AF_INET6 else args.bind
        if not is_loopback(args.bind):
            print(
                f"cocalc-mcp: warning: {args.bind} is not a loopback address; whoever reaches it "
                "can call the tools (run commands in the project, change the account) with your "
                "API key",
                file=sys.stderr,
            )
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        async with opened(http_client, project, hub):
            uv = uvicorn.Server(config)
            print(f"{READY_PREFIX} http://{host}:{port}{args.path}", file=sys.stderr, flush=True)
            await uv.serve(sockets=[sock])

    try:
        anyio.run(http if args.http else stdio)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
