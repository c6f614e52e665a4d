"""The ASGI application: ``POST /api/conat/project`` with auth, envelope and JSON responses.

Every outcome of a call is HTTP 200: the bare result, or ``{"error": "<message>"}``. Only a
body the route cannot read is refused before that, as CoCalc's Next.js route refuses it: HTTP
413 (too large) or 400 (not JSON), in plain text.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .api import ProjectApi
from .auth import authenticate, check_project
from .config import ENDPOINT, ServerConfig
from .dispatch import CallerGone, Dispatcher
from .envelope import Envelope, decode_body, envelope_from, unreachable_message
from .errors import BodyRefused, WireError
from .filetext import FileText

# A body this many times over the limit is not even read to the end.
_DRAIN_FACTOR = 8


def _limit_name(limit: int) -> str:
    # The route's sizeLimit as Next.js prints it: the default '1mb' (bytes.parse: 1 << 20).
    if limit and limit % (1 << 20) == 0:
        return f"{limit >> 20}mb"
    if limit and limit % (1 << 10) == 0:
        return f"{limit >> 10}kb"
    return str(limit)


def too_large(limit: int) -> BodyRefused:
    """Next.js's answer to a body over its limit (next/src/server/api-utils/node/parse-body.ts)."""
    return BodyRefused(413, f"Body exceeded {_limit_name(limit)} limit")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or :func:`too_large` if it is larger than ``limit`` bytes.

    As raw-body counts them for Next.js, the limit is on the bytes received (up to ``limit``
    is fine). A body whose ``Content-Length`` is over it is refused before any of it is read
    (and before uvicorn sends ``100 Continue``): what the client still sends is discarded,
    never kept. One that turns out too large while read is drained (up to a point) so the
    client can read the answer instead of seeing its upload cut off.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:  # h11 has checked it is a number
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > limit * _DRAIN_FACTOR:
            break
    if size > limit:
        raise too_large(limit)
    return b"".join(chunks)


async def client_gone(request: Request) -> None:
    """Return once the client has disconnected (call it after the body is read)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def result_response(result: Any) -> Response:
    """HTTP 200 with a method's result: a file's text is encoded as it is sent (in worker
    threads), never the whole answer in memory; anything else as :func:`json_response`."""
    if isinstance(result, FileText):
        return StreamingResponse(result.json_chunks(), media_type="application/json")
    return json_response(result)


def json_response(payload: Any) -> Response:
    """HTTP 200 with ``payload`` as compact JSON; never fails on odd strings or numbers."""
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError as exc:  # NaN or infinity somewhere in a result
        text = json.dumps({"error": f"Error: result is not valid JSON: {exc}"})
    except RecursionError:
        text = json.dumps({"error": "Error: result is nested too deeply to encode"})
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (e.g. from a kernel) cannot be UTF-8; \u escapes can carry them.
        body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode("ascii")
    return Response(body, media_type="application/json")


class ProjectApp(Starlette):
    """The Starlette app, plus the hook a server calls as it starts shutting down."""

    def __init__(self, dispatcher: Dispatcher, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._dispatcher = dispatcher

    def stop_calls(self) -> None:
        """Answer the calls in flight now, as the real service does when a project goes away."""
        self._dispatcher.stop()


def create_app(config: ServerConfig) -> ProjectApp:
    """The Starlette app serving one project described by ``config``."""
    api = ProjectApi(config)
    dispatcher = Dispatcher(api.methods, config.project_id)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await api.open()
        try:
            yield
        finally:
            await dispatcher.close()
            await api.close()

    async def project_call(request: Request) -> Response:
        envelope: Envelope | None = None
        try:
            # Next.js parses the body before the route's handler checks the key.
            body = decode_body(await read_body(request, config.max_request_bytes))
            authenticate(request.headers.get("authorization"), config.api_key)
            envelope = envelope_from(body)
            check_project(envelope.project_id, config.project_id)
            result: Any = await dispatcher.call(envelope, caller_gone=lambda: client_gone(request))
        except BodyRefused as exc:
            # next/src/server/api-utils/index.ts (sendError): the text alone, no Content-Type.
            return Response(exc.message, status_code=exc.status)
        except WireError as exc:
            return json_response({"error": exc.message})
        except (ClientDisconnect, CallerGone):
            return Response()  # the client left (or missed the body deadline): nobody reads this
        except asyncio.CancelledError:
            # uvicorn cancels what still runs once its graceful shutdown time is over; answer
            # as a project that went away rather than with a 500 and a traceback.
            name = envelope.name if envelope is not None else ""
            csid = envelope.compute_server_id if envelope is not None else 0
            return json_response({"error": unreachable_message(config.project_id, name, csid)})
        return result_response(result)

    return ProjectApp(
        dispatcher, routes=[Route(ENDPOINT, project_call, methods=["POST"])], lifespan=lifespan
    )
