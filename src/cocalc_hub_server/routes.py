"""The two HTTP routes: ``POST /api/conat/hub`` (account keys only) and
``POST /api/conat/project`` (an account key and a project it collaborates on, or a
project-scoped key). Every outcome is HTTP 200: the bare result or ``{"error": ...}``."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from cocalc_project_server.app import client_gone, json_response, read_body, result_response
from cocalc_project_server.dispatch import CallerGone
from cocalc_project_server.envelope import decode_body, envelope_from, unreachable_message
from cocalc_project_server.errors import BodyRefused

from .access import is_collaborator
from .auth import HUB_REFUSED, PROJECT_REFUSED, KeyResolver, api_key_from_header
from .context import HubContext
from .errors import HubError, WireError
from .hub_dispatch import HubDispatcher, hub_unreachable_message

# src/packages/next/pages/api/conat/project.ts
NO_PROJECT = "must specify project_id or use project-specific api key"
WRONG_PROJECT = "project specific api key must match requested project"
NOT_COLLABORATOR = "user must be a collaborator on the project"


class Routes:
    def __init__(self, ctx: HubContext, keys: KeyResolver, hub: HubDispatcher) -> None:
        self._ctx = ctx
        self._keys = keys
        self._hub = hub

    async def hub_call(self, request: Request) -> Response:
        account_id = name = ""
        try:
            # Next.js parses the body before the route's handler checks the key (hub.ts is a
            # pages route too): too large is 413, not JSON 400, in plain text.
            body = decode_body(await read_body(request, self._ctx.config.max_request_bytes))
            caller = self._keys.caller(api_key_from_header(request.headers.get("authorization")))
            if caller is None or caller.account_id is None:
                raise WireError(HUB_REFUSED)
            account_id = caller.account_id
            envelope = envelope_from(body)
            name = envelope.name
            result = await self._hub.call(account_id, envelope)
        except BodyRefused as exc:
            return Response(exc.message, status_code=exc.status)
        except WireError as exc:
            return json_response({"error": exc.message})
        except ClientDisconnect:
            return Response()
        except asyncio.CancelledError:
            # The hub is shutting down past its grace time: as a hub that went away.
            return json_response({"error": hub_unreachable_message(account_id, name)})
        return json_response(result)

    async def project_call(self, request: Request) -> Response:
        project_id: Any = None
        name = ""
        try:
            body = decode_body(await read_body(request, self._ctx.config.max_request_bytes))
            caller = self._keys.caller(api_key_from_header(request.headers.get("authorization")))
            if caller is None:
                raise WireError(PROJECT_REFUSED)
            envelope = envelope_from(body)
            name = envelope.name
            project_id = (
                envelope.project_id if envelope.project_id is not None else caller.project_id
            )
            if not project_id:
                raise WireError(NO_PROJECT)
            if caller.project_id and caller.project_id != project_id:
                raise WireError(WRONG_PROJECT)
            if caller.account_id:
                self._check_collaborator(caller.account_id, project_id)
            # src/packages/server/api/project-bridge.ts: touch (which starts it), then call.
            self._ctx.control.touch(project_id, caller.account_id)
            async with self._ctx.control.using(project_id) as running:
                result = await running.dispatcher.call(
                    envelope, caller_gone=lambda: client_gone(request)
                )
        except BodyRefused as exc:
            return Response(exc.message, status_code=exc.status)
        except WireError as exc:
            return json_response({"error": exc.message})
        except (ClientDisconnect, CallerGone):
            return Response()
        except asyncio.CancelledError:
            # The hub is shutting down past its grace time: as a project that went away.
            return json_response({"error": unreachable_message(str(project_id), name, 0)})
        return result_response(result)

    def _check_collaborator(self, account_id: str, project_id: Any) -> None:
        with self._ctx.store.transaction() as tx:
            try:
                allowed = is_collaborator(tx, account_id, project_id)
            except HubError as exc:
                # The route reports err.message, without "Error: ".
                raise WireError(str(exc)) from None
        if not allowed:
            raise WireError(NOT_COLLABORATOR)
