"""The MCP server object: tools from the method tables (the project's, the hub's), resources
for browsing the project.

Built on the official SDK's low-level `Server`, which takes tool definitions as data (names and
JSON Schemas), where decorator frameworks derive them from Python signatures.
"""

from __future__ import annotations

import json
import logging
import math
import mimetypes
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

import anyio
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError

from cocalc_api import (
    AsyncHub,
    AsyncProject,
    CocalcError,
    InvalidArgumentError,
    __version__,
    safety,
)
from cocalc_api.timeouts import call_deadline
from cocalc_api.wording import speaking
from cocalc_mcp._content import content_blocks
from cocalc_mcp._tools import RESULT_KEY, ToolSpec, tool_specs
from cocalc_mcp._wording import MCP

logger = logging.getLogger("cocalc_mcp")

# How often a call still running reports progress to a client that asked for it.
DEFAULT_PROGRESS_INTERVAL_S = 1.0

# Resources: a folder's listing and a text file's contents, by path relative to HOME.
FOLDERS = "cocalc://folders/"
FILES = "cocalc://files/"
ERROR_META_KEY = "cocalc/error"

INSTRUCTIONS = """\
Tools for one CoCalc project, one per method of the CoCalc project API (generated from its \
spec): run shell commands (system_exec) and Jupyter code (system_jupyter_execute), and read, \
write, list, move and delete files. Paths are relative to the project's HOME. Tools annotated \
readOnlyHint never change the project; destructiveHint marks those that may replace, remove or \
stop something, or run arbitrary code. A result that is not a JSON object comes back as \
{"result": ...} in the structured content. Browse files through the resources \
cocalc://folders/{path} (a folder's entries) and cocalc://files/{path} (a text file)."""

HUB_INSTRUCTIONS = """\
Tools named hub_* act on the CoCalc account, one per method of the CoCalc hub API (generated \
from its spec): list your projects (hub_projects_get), create, start, stop and delete them, \
manage their collaborators, look up users, send and read messages, and manage organizations."""

HUB_ONLY_INSTRUCTIONS = (
    HUB_INSTRUCTIONS
    + """ Tools annotated readOnlyHint never change anything; destructiveHint marks those that \
may replace, remove or stop something. A result that is not a JSON object comes back as \
{"result": ...} in the structured content."""
)

Call = Callable[..., Awaitable[Any]]
Handlers = dict[str, Any]  # keyword arguments of Server: its resource handlers


def build_server(
    project: AsyncProject | None,
    *,
    hub: AsyncHub | None = None,
    read_only: bool = False,
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL_S,
    secrets: Iterable[str] = (),
    name: str = "cocalc",
) -> Server[Any]:
    """An MCP server for `project`: every method of the spec as a tool (only the read-only
    ones with `read_only`), and the project's folders and text files as resources. With `hub`
    (an account's), the hub API's methods too, as tools named `hub_*`; `project` may then be
    None, for the hub's tools alone.

    `secrets` (the API key) are removed from every error text the server sends. The caller
    owns `project` and `hub` and closes them.
    """
    if not (progress_interval > 0 and math.isfinite(progress_interval)):
        raise ValueError(f"progress_interval must be a positive number, got {progress_interval}")
    if project is None and hub is None:
        raise ValueError("build_server needs a project, a hub, or both")
    clients: dict[str, AsyncProject | AsyncHub] = {}
    every: list[ToolSpec] = []
    if project is not None:
        clients["project"] = project
        every += tool_specs()
    if hub is not None:
        clients["hub"] = hub
        every += tool_specs("hub")
    specs = [spec for spec in every if spec.annotations.read_only or not read_only]
    by_name = {spec.name: spec for spec in specs}
    tools = [_tool(spec) for spec in specs]
    hidden = tuple(secret for secret in secrets if secret)

    def redact(text: str) -> str:
        return safety.redact(text, hidden)

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        spec = by_name.get(params.name)
        if spec is None:
            # Not a tool error: the client asked for a tool this server does not list.
            raise MCPError(types.INVALID_PARAMS, f"Unknown tool: {params.name}")
        arguments = dict(params.arguments or {})
        client = clients[spec.api]
        try:
            _check_arguments(spec, arguments)
            function: Call = getattr(getattr(client, spec.namespace), spec.python_name)
            total = call_deadline(spec.method, arguments, client.timeout)
            with speaking(MCP):  # errors advise in this server's words
                result = await _with_progress(
                    ctx, spec, total, progress_interval, function(**arguments)
                )
        except Exception as error:  # every failure is the tool's result, for the agent to read
            if not isinstance(error, CocalcError):
                logger.exception("%s failed", spec.name)
            return _error_result(error, redact)
        structured = {RESULT_KEY: result} if spec.wrapped else result
        # The content blocks repeat the result for clients that do not read structured content:
        # a string as it is (a file's text reads better than its JSON), anything else as JSON,
        # and Jupyter's images as image blocks.
        return types.CallToolResult(content=content_blocks(result), structured_content=structured)

    if project is None:
        title, instructions, resources = "CoCalc account", HUB_ONLY_INSTRUCTIONS, {}
    else:
        title, instructions = "CoCalc project", INSTRUCTIONS
        if hub is not None:
            title, instructions = (
                "CoCalc project and account",
                f"{INSTRUCTIONS}\n\n{HUB_INSTRUCTIONS}",
            )
        resources = _resource_handlers(project, redact)
    return Server(
        name,
        version=__version__,
        title=title,
        instructions=instructions,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        get_tool_input_schema=lambda tool: by_name[tool].input_schema if tool in by_name else None,
        **resources,
    )


def _resource_handlers(project: AsyncProject, redact: Callable[[str], str]) -> Handlers:
    """The project's folders and text files as resources: the Server's handlers, by name."""

    async def list_resources(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        home = types.Resource(
            uri=FOLDERS,
            name="home",
            title="Project home folder",
            description="The entries of the project's HOME folder, as JSON.",
            mime_type="application/json",
        )
        return types.ListResourcesResult(resources=[home])

    async def list_resource_templates(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(
            resource_templates=[
                types.ResourceTemplate(
                    uri_template=FOLDERS + "{+path}",
                    name="folder",
                    title="Project folder",
                    description=(
                        "The entries of a folder (path relative to HOME), as JSON: name, size, "
                        "mtime, isdir, and the uri of each entry (system_listing)."
                    ),
                    mime_type="application/json",
                ),
                types.ResourceTemplate(
                    uri_template=FILES + "{+path}",
                    name="file",
                    title="Project text file",
                    description=(
                        "A text file's contents (path relative to HOME; "
                        "system_read_text_file_from_project)."
                    ),
                ),
            ]
        )

    async def read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        with speaking(MCP):  # errors advise in this server's words
            return await read(params.uri)

    async def read(uri: str) -> types.ReadResourceResult:
        try:
            if uri.startswith(FOLDERS):
                path = _path(uri, FOLDERS)
                entries = await project.system.listing(path=path, hidden=True)
                listing = [
                    {**entry, "uri": _entry_uri(path, entry["name"], bool(entry.get("isdir")))}
                    for entry in sorted(entries, key=lambda entry: entry["name"])
                ]
                text = json.dumps(listing, ensure_ascii=False, indent=1)
                mime = "application/json"
            elif uri.startswith(FILES) and uri != FILES:
                path = _path(uri, FILES)
                text = await project.system.read_text_file_from_project(path=path)
                mime = mimetypes.guess_type(path)[0] or "text/plain"
            else:
                raise MCPError(
                    types.INVALID_PARAMS, f"Unknown resource: {uri} (use {FOLDERS} or {FILES})"
                )
        except CocalcError as error:
            code = (
                types.INVALID_PARAMS
                if isinstance(error, InvalidArgumentError)
                else types.INTERNAL_ERROR
            )
            message = redact(f"{type(error).__name__}: {error}")
            raise MCPError(code, message, _error_fields(error, redact)) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=mime, text=text)]
        )

    return {
        "on_list_resources": list_resources,
        "on_list_resource_templates": list_resource_templates,
        "on_read_resource": read_resource,
    }


def _tool(spec: ToolSpec) -> types.Tool:
    hints = spec.annotations
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=spec.input_schema,
        output_schema=spec.output_schema,
        annotations=types.ToolAnnotations(
            read_only_hint=hints.read_only,
            destructive_hint=hints.destructive,
            idempotent_hint=hints.idempotent,
        ),
    )


def _check_arguments(spec: ToolSpec, arguments: dict[str, Any]) -> None:
    """Names only: the SDK checks the values against the spec before anything is sent."""
    unknown = sorted(set(arguments) - spec.parameters)
    if unknown:
        raise InvalidArgumentError(
            f"{spec.name}: unknown argument(s) {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(spec.parameters)) or 'none'}"
        )
    missing = sorted(spec.required - {name for name, v in arguments.items() if v is not None})
    if missing:
        raise InvalidArgumentError(
            f"{spec.name}: missing required argument(s) {', '.join(missing)}"
        )


async def _with_progress(
    ctx: ServerRequestContext[Any],
    spec: ToolSpec,
    total: float,
    interval: float,
    call: Awaitable[Any],
) -> Any:
    """Await `call`, reporting every `interval` seconds how long it has been running:
    progress in seconds, out of the call's time limit. (The SDK sends nothing to a client that
    asked for no progress; the in-process transport asks without a token, so always try.)"""
    outcome: list[Any] = []
    failure: list[BaseException] = []

    async def beat() -> None:
        start = anyio.current_time()
        while True:
            await anyio.sleep(interval)
            elapsed = round(anyio.current_time() - start, 1)
            message = f"{spec.name}: running for {elapsed:g} s (at most {total:g} s)"
            try:
                await ctx.session.report_progress(elapsed, total, message)
            except Exception:  # a closed connection must not fail the call itself
                logger.debug("progress notification not sent", exc_info=True)
                return

    async with anyio.create_task_group() as group:
        group.start_soon(beat)
        try:
            outcome.append(await call)
        except Exception as error:  # noqa: BLE001 -- raised below, outside the task group,
            failure.append(error)  # which would wrap it in an ExceptionGroup
        finally:
            group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    return outcome[0]


def _error_fields(error: BaseException, redact: Callable[[str], str]) -> dict[str, Any]:
    """The error as data: its class, message, and the SDK exception's own fields."""
    fields: dict[str, Any] = {"type": type(error).__name__, "message": redact(str(error))}
    data = error.fields() if isinstance(error, CocalcError) else {}
    server_message = data.pop("message", None)
    if isinstance(server_message, str) and server_message != str(error):
        fields["server_message"] = redact(server_message)
    for name, value in data.items():
        if isinstance(value, str):
            fields[name] = redact(value)
        elif isinstance(value, bool | int | float) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            fields[name] = value
    return fields


def _error_result(error: BaseException, redact: Callable[[str], str]) -> types.CallToolResult:
    """A tool error: the SDK's exception class and message, for the agent to read."""
    return types.CallToolResult(
        content=[types.TextContent(text=redact(f"{type(error).__name__}: {error}"))],
        is_error=True,
        _meta={ERROR_META_KEY: _error_fields(error, redact)},
    )


def _path(uri: str, prefix: str) -> str:
    return unquote(uri[len(prefix) :].split("?", 1)[0].split("#", 1)[0])


def _entry_uri(folder: str, name: str, isdir: bool) -> str:
    path = f"{folder.rstrip('/')}/{name}" if folder.strip("/") else name
    return (FOLDERS if isdir else FILES) + quote(path)
