"""The MCP server's hub tools (`cocalc-mcp --hub`, docs/mcp.md): one per method of the hub
table, named `hub_*`, with read-only filtering by the table's effect; run in process through the
`mcp` SDK's own client over a mock transport (no server needed).

The tools expected come from spec/hub-api.yaml read with PyYAML (not through the catalog the
server reads); the body expected is the reference client's (tests/test_hub_parity.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import pytest
import yaml
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import TextContent, Tool

from cocalc_api import AsyncHub, AsyncProject
from cocalc_api.timeouts import call_deadline
from cocalc_api_generated.hub.specs import PROJECTS_CREATE_PROJECT
from cocalc_mcp import build_server
from cocalc_mcp.__main__ import clients, parser
from tests.test_hub_parity import _reference_body, deliberate_differences

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parent.parent
KEY = "sk-hub-mcp-key-that-must-not-be-shown"
HOST = "http://127.0.0.1:8123"
PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
# The hub route's answer (HTTP 200) to a key of no account: unknown, or a project's
# (src/packages/next/pages/api/conat/hub.ts).
REFUSED = "must be signed in and MUST provide an api key (cookies are not allowed)"
ERROR_META_KEY = "cocalc/error"  # docs/mcp.md

Answer = Callable[[dict[str, Any]], Any]


@pytest.fixture(scope="module")
def hub_spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "spec" / "hub-api.yaml").read_text())
    return loaded


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def hub_tools(spec: dict[str, Any]) -> dict[str, str]:
    """Each method's tool name, and its effect."""
    found = {}
    for entry in spec["x-cocalc-methods"]:
        namespace, function = entry["wire"].split(".")
        found[f"hub_{namespace}_{entry.get('python') or snake(function)}"] = entry["effect"]
    # The client's projects.get, a `get` query of the projects tables (cocalc_api/hub.py).
    found["hub_projects_get"] = "read"
    return found


def mock_client(answer: Answer, sent: list[dict[str, Any]]) -> httpx2.AsyncClient:
    def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        sent.append(body)
        return httpx2.Response(200, content=json.dumps(answer(body)).encode())

    return httpx2.AsyncClient(transport=httpx2.MockTransport(handle))


@asynccontextmanager
async def connect(
    answer: Answer = lambda body: None,
    sent: list[dict[str, Any]] | None = None,
    *,
    with_project: bool = False,
    **options: Any,
) -> AsyncIterator[Client]:
    http = mock_client(answer, [] if sent is None else sent)
    hub = AsyncHub(KEY, HOST, http_client=http)
    project = None
    if with_project:
        project = AsyncProject(api_key=KEY, host=HOST, project_id=PROJECT, http_client=http)
    server = build_server(project, hub=hub, secrets=[KEY], **options)
    async with AsyncExitStack() as stack:
        for opened in (http, hub, project):
            if opened is not None:
                await stack.enter_async_context(opened)
        yield await stack.enter_async_context(Client(server, mode="legacy"))


async def listed(client: Client) -> dict[str, Tool]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


def text(blocks: list[Any]) -> str:
    return "\n".join(block.text for block in blocks if isinstance(block, TextContent))


async def test_one_tool_per_hub_method_with_hints_from_its_effect(
    hub_spec: dict[str, Any],
) -> None:
    async with connect() as client:
        tools = await listed(client)
    expected = hub_tools(hub_spec)
    assert set(tools) == set(expected)
    assert len(tools) == len(hub_spec["x-cocalc-methods"]) + 1
    for name, effect in expected.items():
        hints = tools[name].annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint) == (
            effect == "read",
            effect == "destructive",
        ), name
    # Deleting sets the deleted flag and stops the project (src/packages/server/projects/delete.ts).
    delete = tools["hub_projects_delete"].annotations
    assert delete is not None and delete.destructive_hint is True
    create = tools["hub_projects_create_project"]
    assert create.annotations is not None and create.annotations.read_only_hint is False
    assert set(create.input_schema["properties"]) == {
        "title",
        "description",
        "license",
        "public_path_id",
    }


async def test_read_only_lists_only_the_read_tools(hub_spec: dict[str, Any]) -> None:
    async with connect(read_only=True) as client:
        tools = await listed(client)
        with pytest.raises(MCPError, match="Unknown tool: hub_projects_delete"):
            await client.call_tool("hub_projects_delete", {"project_id": PROJECT})
    reads = {name for name, effect in hub_tools(hub_spec).items() if effect == "read"}
    assert set(tools) == reads and "hub_projects_get" in reads


async def test_a_call_goes_through_as_the_reference_sends_it(reference_client: ModuleType) -> None:
    sent: list[dict[str, Any]] = []
    async with connect(lambda body: PROJECT, sent) as client:
        result = await client.call_tool("hub_projects_create_project", {"title": "X"})
    assert not result.is_error, text(result.content)
    assert result.structured_content == {"result": PROJECT}
    (body,) = sent
    assert body["timeout"] == 60000  # the SDK's envelope for createProject
    theirs = _reference_body(reference_client, ("projects", "create_project", (), {"title": "X"}))
    assert deliberate_differences(body) == theirs


async def test_projects_get_is_a_read_only_tool() -> None:
    rows = [
        {"project_id": "a", "title": "old", "last_edited": "2026-01-01T00:00:00.000Z"},
        {"project_id": "b", "title": "new", "last_edited": "2026-02-01T00:00:00.000Z"},
    ]
    sent: list[dict[str, Any]] = []
    async with connect(lambda body: {"projects_all": rows}, sent, read_only=True) as client:
        result = await client.call_tool("hub_projects_get", {"all": True, "limit": 1})
    assert result.structured_content == {"result": [rows[1]]}
    assert [body["name"] for body in sent] == ["db.userQuery"]


async def test_errors_are_tool_errors_with_the_sdk_exception() -> None:
    async with connect(lambda body: {"error": REFUSED}) as client:
        result = await client.call_tool("hub_projects_state", {"project_id": PROJECT})
        missing = await client.call_tool("hub_projects_start", {})
    assert result.is_error and result.meta is not None
    assert result.meta[ERROR_META_KEY]["type"] == "AuthenticationError"
    assert text(result.content).startswith("AuthenticationError: ")
    assert KEY not in text(result.content) + json.dumps(result.meta)
    assert missing.is_error and "missing required argument(s) project_id" in text(missing.content)


async def test_with_a_project_too_both_sets_of_tools() -> None:
    async with connect(with_project=True) as client:
        tools = await listed(client)
        templates = await client.list_resource_templates()
    project_tools = {name for name in tools if not name.startswith("hub_")}
    assert "system_exec" in project_tools and "hub_projects_start" in tools
    assert len(templates.resource_templates) == 2  # the project's files, as without --hub
    async with connect() as client:
        assert client.server_capabilities is not None
        assert client.server_capabilities.resources is None  # no project, no files


def test_hub_takes_the_project_only_when_one_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCALC_API_KEY", KEY)
    monkeypatch.delenv("COCALC_PROJECT_ID", raising=False)
    http = httpx2.AsyncClient()

    def kinds(*argv: str) -> tuple[bool, bool]:
        project, hub = clients(parser().parse_args([*argv, "--host", HOST]), http)
        return project is not None, hub is not None

    assert kinds() == (True, False)
    assert kinds("--hub") == (False, True)
    assert kinds("--hub", "--project-id", PROJECT) == (True, True)
    monkeypatch.setenv("COCALC_PROJECT_ID", PROJECT)
    assert kinds("--hub") == (True, True)


def test_the_progress_total_counts_a_methods_own_envelope() -> None:
    # createProject is sent with a 60 s envelope (tests/test_hub_parity.py's SLOW), so the call
    # may last longer than that, not the server's default of 15 s.
    assert call_deadline(PROJECTS_CREATE_PROJECT, {}, None) > 60
