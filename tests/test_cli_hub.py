"""`cocalc-hub` (docs/cli.md): the hub API's command line, built from the hub's method table by
the same code as `cocalc-project`, run in process over a mock transport (no server needed).

The bodies expected are what the reference client sends for the same call
(tests/test_hub_parity.py); the answers are the real hub's texts, cited where used.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import pytest

import cocalc_api
from cocalc_api.cli import _hub as hub_cli
from cocalc_api.cli import hub_main
from cocalc_api.cli._app import build
from cocalc_api.hub_catalog import PROJECTS_GET
from cocalc_api_generated.hub.specs import METHODS
from tests.test_hub_parity import _reference_body, deliberate_differences

KEY = "sk-hub-cli-key-that-must-not-be-printed"
HOST = "http://127.0.0.1:8123"
PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
# The hub route's answer (HTTP 200) to a key of no account: unknown, or a project's
# (src/packages/next/pages/api/conat/hub.ts).
REFUSED = "must be signed in and MUST provide an api key (cookies are not allowed)"
CLI = Path(sys.executable).parent / "cocalc-hub"

Answer = Callable[[dict[str, Any]], Any]


class Hub:
    """The requests the command line sends, answered by `answer(body)` over a mock transport."""

    def __init__(self, answer: Answer) -> None:
        self.requests: list[httpx2.Request] = []
        self._answer = answer

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        answer = self._answer(json.loads(request.content))
        return httpx2.Response(200, content=json.dumps(answer).encode())

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Callable[[Answer], Hub]:
    """The CLI's Hub, made from its settings as always, sending over a mock transport."""

    def start(answer: Answer) -> Hub:
        hub = Hub(answer)
        http = httpx2.Client(transport=httpx2.MockTransport(hub.handle))
        monkeypatch.setattr(hub_cli, "Hub", functools.partial(cocalc_api.Hub, http_client=http))
        return hub

    for name in ("COCALC_API_KEY", "COCALC_HOST", "COCALC_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    return start


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = hub_main(list(argv))
    out, err = capsys.readouterr()
    assert KEY not in out + err
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cocalc-hub: ") and "Traceback" not in err
    return lines[0]


def test_create_project_sends_the_reference_body_and_prints_the_id(
    serve: Callable[[Answer], Hub],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    reference_client: ModuleType,
) -> None:
    hub = serve(lambda body: PROJECT)
    monkeypatch.setenv("COCALC_API_KEY", KEY)
    monkeypatch.setenv("COCALC_HOST", HOST)
    assert run(capsys, "projects", "create-project", "--title", "X") == (0, PROJECT + "\n", "")
    (request,) = hub.requests
    assert str(request.url) == HOST + "/api/conat/hub"
    # The reference client authenticates with httpx's auth=(api_key, ""): HTTP Basic.
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    assert request.headers["authorization"] == f"Basic {basic}"
    (body,) = hub.bodies
    assert body["timeout"] == 60000  # the SDK's envelope for createProject, not the server's 15 s
    theirs = _reference_body(reference_client, ("projects", "create_project", (), {"title": "X"}))
    assert (
        deliberate_differences(body)
        == theirs
        == {
            "name": "projects.createProject",
            "args": [{"title": "X"}],
        }
    )


def test_flags_configure_what_the_environment_does(
    serve: Callable[[Answer], Hub], capsys: pytest.CaptureFixture[str]
) -> None:
    hub = serve(lambda body: {"now": 1767225600000})
    code, out, _ = run(capsys, "--api-key", KEY, "--host", HOST, "system", "ping", "--json")
    assert (code, json.loads(out)) == (0, {"now": 1767225600000})
    (request,) = hub.requests
    assert str(request.url) == HOST + "/api/conat/hub"
    assert request.headers["authorization"].startswith("Basic ")
    assert hub.bodies == [{"name": "system.ping", "args": [{}]}]


def test_timeout_is_the_hubs_call_limit(
    serve: Callable[[Answer], Hub], capsys: pytest.CaptureFixture[str]
) -> None:
    # docs/cli.md: `--timeout SECONDS` (`Hub(timeout=...)`), a limit above 0 as the SDK's is.
    hub = serve(lambda body: {"now": 1})
    for seconds, sent in (("7", 7000), ("0.5", 500)):  # any limit above 0, a fraction too
        argv = ("--api-key", KEY, "--host", HOST, "--timeout", seconds, "system", "ping")
        code, _, err = run(capsys, *argv)
        assert code == 0 and hub.bodies[-1]["timeout"] == sent, err
    for bad in ("0", "-1"):
        code, _, err = run(capsys, "--api-key", KEY, "--timeout", bad, "system", "ping")
        assert code == 2 and "--timeout" in err, err
    assert hub_main(["--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "--timeout SECONDS" in shown and "Hub(timeout=...)" in shown


def test_errors_exit_with_the_documented_codes(
    serve: Callable[[Answer], Hub],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub = serve(lambda body: {"error": REFUSED})
    code, _, err = run(capsys, "projects", "state", PROJECT)  # docs/cli.md: 3 without a key
    assert code == 3 and "no API key" in one_error_line(err)
    assert hub.requests == []
    monkeypatch.setenv("COCALC_API_KEY", KEY)
    monkeypatch.setenv("COCALC_HOST", HOST)
    code, _, err = run(capsys, "projects", "state", PROJECT)
    assert code == 3 and "AuthenticationError: " in one_error_line(err)
    # Bad command lines exit 2, with nothing sent.
    sent = len(hub.requests)
    code, _, err = run(capsys, "projects", "start")
    assert code == 2 and "missing PROJECT_ID" in one_error_line(err)
    code, _, err = run(capsys, "messages", "get", "--limit", "many")
    assert code == 2 and "--limit" in one_error_line(err)
    assert len(hub.requests) == sent


def test_a_command_for_each_method_of_the_hub_table() -> None:
    root = build(api=hub_cli.HUB_CLI)
    commands = {
        (namespace, name)
        for namespace, group in root.commands.items()
        for name in getattr(group, "commands", {})
    }
    from_table = {(m.namespace, m.python_name.replace("_", "-")) for m in METHODS}
    assert commands == from_table | {("projects", "get")}
    assert len(commands) == len(METHODS) + 1


def test_projects_get_sends_the_reference_query_and_filters_as_it_does(
    serve: Callable[[Answer], Hub],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    reference_client: ModuleType,
) -> None:
    older = {"project_id": "a", "title": "old", "last_edited": "2026-01-01T00:00:00.000Z"}
    newer = {"project_id": "b", "title": "new", "last_edited": "2026-02-01T00:00:00.000Z"}

    def query(body: dict[str, Any]) -> Any:
        # A get query answers the fields it names (src/packages/database/user-query).
        ((table, (record,)),) = body["args"][0]["query"].items()
        return {table: [{f: p.get(f) for f in record} for p in (older, newer)]}

    hub = serve(query)
    monkeypatch.setenv("COCALC_API_KEY", KEY)
    monkeypatch.setenv("COCALC_HOST", HOST)
    code, out, _ = run(capsys, "--json", "projects", "get", "--all", "--limit", "1")
    assert code == 0
    assert [p["project_id"] for p in json.loads(out)] == ["b"]  # newest first, as the reference
    call = ("projects", "get", (), {"all": True, "limit": 1})
    assert hub.bodies == [_reference_body(reference_client, call)]
    fields = ["project_id", "title", "last_edited"]
    code, out, _ = run(capsys, "projects", "get", "--fields", json.dumps(fields), "--all")
    assert code == 0 and out.split() == [*fields, *newer.values(), *older.values()]  # a table
    call = ("projects", "get", (fields,), {"all": True})
    assert hub.bodies[-1] == _reference_body(reference_client, call)


def test_projects_get_takes_the_reference_parameters(reference_client: ModuleType) -> None:
    theirs = inspect.signature(reference_client.hub.Projects.get).parameters
    expected = [(p.name, p.default) for p in theirs.values() if p.name != "self"]
    assert [(p["python"], p["default"]) for p in PROJECTS_GET["params"]] == expected


def test_the_console_script_lists_the_namespaces() -> None:
    done = subprocess.run(
        [str(CLI), "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: cocalc-hub ")
    for namespace in {m.namespace for m in METHODS}:
        assert f"\n  {namespace} " in done.stdout, namespace
    assert "projects create-project" in done.stdout and "projects get" in done.stdout
