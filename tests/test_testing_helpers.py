"""cocalc_api.testing and its pytest plugin, as a user's own tests use them (docs/testing.md).

The plugin is exercised the way a user runs it: a test file of theirs, in a folder of their
own, run by pytest in a subprocess, first recording against the local server (or against a
server posing as a real host), then again from the cassettes alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest
from vcr.request import Request

import cocalc_api
from cocalc_api import models, pytest_plugin
from cocalc_api.testing import (
    FAKE_API_KEY,
    FAKE_HOST,
    MATCH_ON,
    PROJECT_ID,
    FakeAsyncHub,
    FakeAsyncProject,
    FakeHub,
    FakeProject,
    StubError,
    Stubs,
    json_body_matcher,
    make_vcr,
    mock_transport,
    scrub_hooks,
    scrubber,
    vcr_config,
)
from cocalc_project_server.testing import running_server

BLOCKING = {"type": "blocking", "stdout": "hi\n", "stderr": "", "exit_code": 0}
RUNNING = {
    "type": "async",
    "job_id": "j1",
    "status": "running",
    "start": 1,
    "stdout": "a",
    "stderr": "",
    "exit_code": 0,
    "pid": 7,
}
DONE = {**RUNNING, "status": "completed", "stdout": "ab", "elapsed_s": 0.5}

# -- stubs ---------------------------------------------------------------------------------


def test_a_stub_answers_through_the_whole_sdk() -> None:
    fake = FakeProject()
    fake.stub("system.exec", BLOCKING)
    assert fake.system.exec("echo hi") == BLOCKING
    assert [(c.method, c.wire, c.args) for c in fake.calls] == [
        ("system.exec", "system.exec", [{"command": "echo hi"}])
    ]
    assert fake.calls[0].options == {"command": "echo hi"}
    assert fake.calls[0].body["project_id"] == PROJECT_ID
    # Arguments are still checked by the SDK before anything is "sent".
    with pytest.raises(cocalc_api.InvalidArgumentError):
        fake.system.exec(command=5)  # type: ignore[call-overload]
    assert len(fake.calls) == 1


def test_a_stub_cannot_return_a_shape_the_service_cannot() -> None:
    fake = FakeProject()
    with pytest.raises(StubError, match="system.exec cannot answer"):
        fake.stub("system.exec", {"stdout": "hi"})
    with pytest.raises(StubError, match="must be integer"):
        fake.stub("system.version", "1.2")
    with pytest.raises(StubError):
        fake.stub("system.listing", [{"size": 3}])  # every entry has a name
    with pytest.raises(StubError, match="error"):
        fake.stub("system.exec", {**BLOCKING, "error": "x"})  # reads as an error: add_error
    # Checked when it answers, for an answer computed from the call.
    fake.stub("system.realpath", lambda call: 42)
    with pytest.raises(StubError, match="system.realpath cannot answer 42"):
        fake.system.realpath("a")
    fake.stub("system.realpath", lambda call: "resolved/" + call.args[0])
    assert fake.system.realpath("a") == "resolved/a"


def test_stubbed_errors_raise_what_the_real_text_raises() -> None:
    fake = FakeProject()
    fake.stub_error("system.exec", "command 'make' exited with nonzero code 2 -- stderr='boom'")
    with pytest.raises(cocalc_api.ExecError) as raised:
        fake.system.exec("make")
    assert (raised.value.exit_code, raised.value.stderr) == (2, "boom")
    fake.stub_error("system.ping", "must sign in as project or account")
    with pytest.raises(cocalc_api.AuthenticationError):
        fake.ping()


def test_answers_in_turn_and_shared_wire_names() -> None:
    # exec and exec_status share the wire name system.exec; each gets its own answers.
    fake = FakeProject()
    fake.stub("system.exec", {**RUNNING, "stdout": ""})
    fake.stub("system.exec_status", RUNNING, DONE)
    job = fake.jobs.start("make")
    assert [u.stdout for u in job.follow(poll=0.01)] == ["a", "b"]
    assert job.status() == DONE  # the last answer repeats
    assert [c.method for c in fake.calls] == [
        "system.exec",
        "system.exec_status",
        "system.exec_status",
        "system.exec_status",
    ]


def test_no_stub_no_answer() -> None:
    fake = FakeProject()
    with pytest.raises(StubError, match=r"no answer for system.ping"):
        fake.ping()
    with pytest.raises(cocalc_api.InvalidArgumentError, match="did you mean system.exec"):
        fake.stub("system.exce", BLOCKING)


def test_models_are_typed_answers() -> None:
    fake = FakeProject()
    fake.stub(
        "system.exec",
        models.ExecuteCodeOutput(type_="blocking", stdout="hi\n", stderr="", exit_code=0),
    )
    fake.stub(
        "system.listing",
        [
            models.DirectoryListingEntry(name="a.txt", size=3),
            models.DirectoryListingEntry(name="d", isdir=True),
        ],
    )
    assert fake.system.exec("x") == BLOCKING
    assert fake.system.listing(path=".") == [
        {"name": "a.txt", "size": 3},
        {"name": "d", "isdir": True},
    ]


async def test_fake_async_project_and_a_transport_of_your_own() -> None:
    stubs = Stubs().add("system.exec", BLOCKING)
    async with FakeAsyncProject(stubs) as fake:
        assert await fake.system.exec("echo hi") == BLOCKING
    client = httpx2.Client(transport=mock_transport(Stubs().add("system.version", 17)))
    with cocalc_api.Project("sk-mine", host="https://cocalc.test", http_client=client) as project:
        assert project.system.version() == 17
    client.close()


OTHER_PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"


def test_a_fake_project_takes_a_projects_settings_and_its_copies_share_its_stubs() -> None:
    # docs/testing.md: FakeProject is a real Project; retries are off unless max_retries.
    fake = FakeProject(project_id=OTHER_PROJECT, timeout=4, max_response_bytes=1000)
    assert (fake.timeout, fake.max_retries, fake.max_response_bytes) == (4, 0, 1000)
    assert FakeProject(max_retries=2).max_retries == 2
    fake.stub("system.version", 3)
    copy = fake.copy(timeout=9)
    assert (copy.project_id, copy.timeout, copy.max_response_bytes) == (OTHER_PROJECT, 9, 1000)
    assert (fake.system.version(), copy.system.version()) == (3, 3)
    assert [(c.body["project_id"], c.body["timeout"]) for c in fake.calls] == [
        (OTHER_PROJECT, 4000),
        (OTHER_PROJECT, 9000),
    ]
    assert copy.calls == fake.calls
    assert FakeProject().project_id == PROJECT_ID


async def test_a_fake_async_project_takes_the_same_settings() -> None:
    fake = FakeAsyncProject(project_id=OTHER_PROJECT, timeout=4, max_response_bytes=1000)
    assert (fake.project_id, fake.timeout, fake.max_retries, fake.max_response_bytes) == (
        OTHER_PROJECT,
        4,
        0,
        1000,
    )
    assert FakeAsyncProject(max_retries=2).max_retries == 2
    fake.stub("system.version", 3)
    copy = fake.copy(timeout=9)
    assert (await fake.system.version(), await copy.system.version()) == (3, 3)
    assert [c.body["timeout"] for c in fake.calls] == [4000, 9000]
    await fake.aclose()


# -- cassettes -----------------------------------------------------------------------------


def _request(body: Any) -> Request:
    return Request("POST", "https://h/api/conat/project", json.dumps(body), {})


def test_cassettes_match_on_the_json_body() -> None:
    assert MATCH_ON == ("method", "path", "cocalc_json_body")
    json_body_matcher(_request({"a": 1, "b": [1]}), _request({"b": [1], "a": 1}))
    with pytest.raises(AssertionError):
        json_body_matcher(_request({"a": 1}), _request({"a": 2}))


def test_scrubbing_removes_the_key_and_the_project_id() -> None:
    scrub = scrubber(["sk-secret"], "real-id")
    assert scrub({"x": ["sk-secret in real-id", 3], "real-id": None}) == {
        "x": [f"<redacted> in {PROJECT_ID}", 3],
        "real-id": None,
    }
    config = vcr_config(api_key="sk-secret", project_id="real-id")
    assert "authorization" in config["filter_headers"]
    request = config["before_record_request"](_request({"project_id": "real-id", "args": []}))
    assert json.loads(request.body) == {"project_id": PROJECT_ID, "args": []}
    response = config["before_record_response"](
        {"body": {"string": b'{"project_id": "real-id", "k": "sk-secret"}'}}
    )
    assert json.loads(response["body"]["string"]) == {"project_id": PROJECT_ID, "k": "<redacted>"}


# -- what the helpers say when they are misused, and how they answer -------------------------


def test_misused_stubs_say_what_is_wrong() -> None:
    # Stubs' docstring and docs/testing.md: methods by Python path, at least one answer, an
    # error text; answers checked against the spec, whose rule is said as the spec says it.
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        Stubs("projects")
    assert str(raised.value) == "api must be 'project' or 'hub', got 'projects'"
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        Stubs().add("system.ping")
    assert str(raised.value) == "system.ping: give at least one answer"
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        Stubs().add_error("system.ping", 5)  # type: ignore[arg-type]
    assert str(raised.value) == "system.ping: the error text must be a string"
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        Stubs().add("zzz", 1)
    assert str(raised.value) == "the spec has no method 'zzz'"  # nothing close: no hint
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        Stubs().add("system.list", 1)
    assert str(raised.value) == (
        "the spec has no method 'system.list'; did you mean system.listing, system.test, "
        "system.ping?"
    )
    with pytest.raises(StubError) as refused:
        Stubs().add("system.version", "1.2")
    assert str(refused.value) == (
        "system.version cannot answer '1.2': the spec's system_version_result says must be integer"
    )
    with pytest.raises(StubError) as refused:
        Stubs().add("system.ping", {"now": "x"})
    assert str(refused.value).endswith("the spec's ping_result says now must be integer")
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        FakeHub(Stubs())
    assert str(raised.value) == "a FakeHub answers from Stubs('hub'), not the project's"
    assert Stubs("hub").api == "hub"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1]", "not a call of the project API: b'[1]'"),
        (b'{"args": []}', "not a call of the project API: b'{\"args\": []}'"),
        (b"", "not a call of the project API: b''"),
        (
            b'{"name": "nope.x", "args": []}',
            "the project spec has no method with the wire name 'nope.x'",
        ),
    ],
)
def test_a_request_that_is_no_call_of_the_api_is_a_stub_error(body: bytes, message: str) -> None:
    with (
        httpx2.Client(transport=mock_transport(Stubs())) as client,
        pytest.raises(StubError) as refused,
    ):
        client.post("https://cocalc.test/api/conat/project", content=body)
    assert str(refused.value) == message


def test_an_answer_is_json_as_the_service_sends_it_and_args_may_be_left_out() -> None:
    stubs = Stubs().add("system.version", 17)
    with httpx2.Client(transport=mock_transport(stubs)) as client:
        answer = client.post(
            "https://cocalc.test/api/conat/project", content=b'{"name": "system.version"}'
        )
    assert (answer.status_code, answer.headers["content-type"], answer.json()) == (
        200,
        "application/json",
        17,
    )
    assert stubs.calls[0].args == []


def test_a_fake_sends_its_extra_headers_and_owns_its_connections() -> None:
    seen: list[httpx2.Headers] = []

    class Watching(Stubs):
        def handle(self, request: httpx2.Request) -> httpx2.Response:
            seen.append(request.headers)
            return super().handle(request)

    fake = FakeProject(Watching().add("system.version", 1), extra_headers={"X-Trace": "t1"})
    fake.system.version()
    assert seen[0]["x-trace"] == "t1"
    assert fake.host == FAKE_HOST and fake.api_key == FAKE_API_KEY
    fake.close()
    assert fake._http.is_closed


async def test_a_fake_async_project_sends_its_extra_headers_too() -> None:
    seen: list[httpx2.Headers] = []

    class Watching(Stubs):
        def handle(self, request: httpx2.Request) -> httpx2.Response:
            seen.append(request.headers)
            return super().handle(request)

    fake = FakeAsyncProject(Watching().add("system.version", 1), extra_headers={"X-Trace": "t2"})
    await fake.system.version()
    assert seen[0]["x-trace"] == "t2"
    await fake.aclose()
    assert fake._http.is_closed


def test_a_fake_hub_takes_a_hubs_settings() -> None:
    assert FakeHub().max_retries == 0  # docs/testing.md: one call takes one answer
    hub = FakeHub(timeout=4, max_retries=2, max_response_bytes=1000)
    assert (hub.timeout, hub.max_retries, hub.max_response_bytes) == (4, 2, 1000)
    seen: list[httpx2.Headers] = []

    class Watching(Stubs):
        def handle(self, request: httpx2.Request) -> httpx2.Response:
            seen.append(request.headers)
            return super().handle(request)

    hub = FakeHub(Watching("hub").add("system.ping", {"now": 1}), extra_headers={"X-T": "h"})
    hub.system.ping()
    assert seen[0]["x-t"] == "h"


async def test_a_fake_async_hub_takes_a_hubs_settings() -> None:
    assert FakeAsyncHub().max_retries == 0
    hub = FakeAsyncHub(timeout=4, max_retries=2, max_response_bytes=1000)
    assert (hub.timeout, hub.max_retries, hub.max_response_bytes) == (4, 2, 1000)
    seen: list[httpx2.Headers] = []

    class Watching(Stubs):
        def handle(self, request: httpx2.Request) -> httpx2.Response:
            seen.append(request.headers)
            return super().handle(request)

    hub = FakeAsyncHub(Watching("hub").add("system.ping", {"now": 1}), extra_headers={"X-T": "h"})
    await hub.system.ping()
    assert seen[0]["x-t"] == "h"
    with pytest.raises(StubError):
        await FakeAsyncHub().system.ping()  # no stub: the hub's own Stubs, empty
    await hub.aclose()


# -- cassettes: what is recorded -------------------------------------------------------------


def test_the_placeholder_project_id_is_a_project_id() -> None:
    # docs/testing.md: recordings hold it instead of the real id, and the plugin's local server
    # serves it: it must be what a project id is, a version 4 UUID.
    assert str(uuid.UUID(PROJECT_ID)) == PROJECT_ID
    assert uuid.UUID(PROJECT_ID).version == 4


def test_requests_without_a_body_match_each_other_only() -> None:
    empty = Request("POST", "https://h/api/conat/project", b"", {})
    json_body_matcher(empty, Request("POST", "https://h/api/conat/project", None, {}))
    with pytest.raises(AssertionError):
        json_body_matcher(empty, _request({"name": "system.ping"}))
    with pytest.raises(AssertionError):
        json_body_matcher(_request({"name": "system.ping"}), empty)


def test_recording_settings_match_on_the_body_and_keep_secrets_out() -> None:
    # docs/testing.md: matched on the JSON body; the key is never written (no Authorization
    # header, nor cookies); compressed answers are decoded so that the key can be scrubbed.
    for settings in (vcr_config(), vcr_config(api_key="sk-k", project_id="p")):
        assert settings["match_on"] == ("method", "path", "cocalc_json_body")
        assert settings["filter_headers"] == ["authorization", "cookie", "set-cookie"]
        assert settings["decode_compressed_response"] is True
    recorder = make_vcr()
    assert recorder.record_mode == "none"  # replay only, unless asked
    assert recorder.decode_compressed_response is True
    assert list(recorder.filter_headers) == ["authorization", "cookie", "set-cookie"]
    assert tuple(recorder.match_on) == ("method", "path", "cocalc_json_body")
    once = make_vcr("once", filter_headers=["x-mine"])
    assert (once.record_mode, list(once.filter_headers)) == ("once", ["x-mine"])
    mine = vcr_config(project_id="real-id", placeholder="MY-PLACEHOLDER")
    request = mine["before_record_request"](_request({"project_id": "real-id"}))
    assert json.loads(request.body) == {"project_id": "MY-PLACEHOLDER"}


def test_scrubbing_keeps_what_holds_no_secret_byte_for_byte() -> None:
    before_request, before_response = scrub_hooks(["sk-secret"], "real-id", "PLACEHOLDER")
    spaced = b'{"name":  "system.ping",   "args": []}'
    request = before_request(Request("POST", "https://h/x", spaced, {}))
    assert request.body == spaced
    assert before_request(Request("POST", "https://h/x", None, {})).body is None
    scrubbed = before_request(_request({"project_id": "real-id"}))
    assert json.loads(scrubbed.body) == {"project_id": "PLACEHOLDER"}
    kept = {"body": {"string": b'{"now":   1}'}}
    assert before_response(kept)["body"]["string"] == b'{"now":   1}'
    as_text = {"body": {"string": '{"k": "sk-secret"}'}}
    assert json.loads(before_response(as_text)["body"]["string"]) == {"k": "<redacted>"}
    # vcrpy's httpx recordings keep the body under "content", as text.
    content = before_response({"content": '{"project_id": "real-id", "k": "sk-secret"}'})
    assert json.loads(content["content"]) == {"project_id": "PLACEHOLDER", "k": "<redacted>"}
    assert before_response({"content": '{"now":   1}'}) == {"content": '{"now":   1}'}


def test_without_a_key_or_a_project_id_nothing_is_replaced() -> None:
    scrub = scrubber(["sk-secret"], None)
    assert scrub({"a": "sk-secret in real-id"}) == {"a": "<redacted> in real-id"}
    before_request, _ = vcr_config()["before_record_request"], None
    body = b'{"text": "XXXX and <redacted> stay"}'
    assert before_request(Request("POST", "https://h/x", body, {})).body == body


REPO = Path(__file__).resolve().parent.parent


class RecordingRequest:
    """What the plugin reads of a test's request, as pytest gives it: the test's marks, the
    options of the plugins loaded (an option no plugin added is a ValueError unless a default
    is given), and the test's `vcr_config`."""

    def __init__(
        self,
        marks: list[pytest.Mark],
        options: dict[str, object],
        vcr_config: dict[str, Any] | None = None,
    ) -> None:
        self.node = SimpleNamespace(
            iter_markers=lambda name: iter([m for m in marks if m.name == name])
        )
        self.config = SimpleNamespace(getoption=self._getoption)
        self._options = options
        self._vcr_config = vcr_config or {}

    def _getoption(self, name: str, default: object = ValueError) -> object:
        if name in self._options:
            return self._options[name]
        if default is ValueError:
            raise ValueError(f"no option named {name!r}")
        return default

    def getfixturevalue(self, name: str) -> dict[str, Any]:
        assert name == "vcr_config"
        return self._vcr_config


VCR = pytest.mark.vcr.mark
OTHER = pytest.mark.asyncio.mark
RECORDING = {"--record-mode": None, "--disable-recording": False}  # pytest-recording's defaults


@pytest.mark.parametrize(
    ("marks", "options", "vcr_config", "replays"),
    [
        # pytest-recording's default mode is "none": a vcr test replays only.
        ([OTHER, VCR], RECORDING, None, True),
        ([VCR], {**RECORDING, "--record-mode": "none"}, None, True),
        ([VCR], {**RECORDING, "--record-mode": "once"}, None, False),  # recording: a server
        ([VCR], {**RECORDING, "--disable-recording": True}, None, False),  # no cassettes at all
        ([VCR], {**RECORDING, "--record-mode": "none", "--disable-recording": True}, None, False),
        ([OTHER], RECORDING, None, False),  # not a vcr test
        ([VCR], {}, None, False),  # pytest-recording not loaded: the mark means nothing
        # A pytest-recording without --disable-recording.
        ([VCR], {"--record-mode": None}, None, True),
        # The mode of the test's mark, else of its vcr_config.
        ([pytest.mark.vcr(record_mode="once").mark], RECORDING, None, False),
        ([pytest.mark.vcr(record_mode="none").mark], RECORDING, {"record_mode": "all"}, True),
        ([VCR], RECORDING, {"record_mode": "new_episodes"}, False),
        ([VCR], RECORDING, {"record_mode": "none"}, True),
    ],
)
def test_only_a_vcr_test_under_record_mode_none_replays(
    marks: list[pytest.Mark],
    options: dict[str, object],
    vcr_config: dict[str, Any] | None,
    replays: bool,
) -> None:
    # docs/testing.md: a test marked `vcr` under pytest-recording's --record-mode=none (its
    # default, or the mode its mark or vcr_config gives) replays only; with
    # --disable-recording it gets the local server like the others.
    request: Any = RecordingRequest(marks, options, vcr_config)
    assert pytest_plugin._replays(request) is replays


def documented_option(name: str) -> str:
    """The row of docs/testing.md's option table for `name`: what it says the option does."""
    text = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith(f"| `{name}` |")]
    return row.split("|")[2].strip()


def test_the_plugins_option_is_the_one_docs_testing_md_lists() -> None:
    from _pytest.config.argparsing import Parser

    parser = Parser(_ispytest=True)  # pytest's own parser, as `pytest --help` prints it
    pytest_plugin.pytest_addoption(parser)
    shown = " ".join(parser.optparser.format_help().split())
    assert "cocalc_api fixtures: --cocalc-live " + documented_option("--cocalc-live") in shown
    assert parser.parse([]).cocalc_live is False
    assert parser.parse(["--cocalc-live"]).cocalc_live is True


def live_settings(live: bool, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("COCALC_API_KEY", "COCALC_HOST", "COCALC_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config: Any = SimpleNamespace(getoption=lambda name: {"--cocalc-live": live}[name])
    return pytest_plugin._live_settings(config)


def test_cocalc_live_takes_the_host_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # docs/testing.md, the option table and what follows it.
    env = {"COCALC_API_KEY": "sk-live", "COCALC_HOST": "https://cocalc.example"}
    assert live_settings(False, env, monkeypatch) is None
    target = live_settings(True, {**env, "COCALC_PROJECT_ID": PROJECT_ID}, monkeypatch)
    assert target == pytest_plugin.CocalcTarget(
        "live", "https://cocalc.example", "sk-live", PROJECT_ID
    )
    target = live_settings(
        True, {"COCALC_API_KEY": "sk-live", "COCALC_PROJECT_ID": ""}, monkeypatch
    )
    assert (target.host, target.project_id) == ("https://cocalc.com", None)
    with pytest.raises(pytest.UsageError) as refused:
        live_settings(True, {"COCALC_HOST": "https://cocalc.example"}, monkeypatch)
    assert "--cocalc-live" in str(refused.value) and "COCALC_API_KEY" in str(refused.value)


async def test_the_async_fixtures_give_a_client_of_the_target_and_close_it() -> None:
    target = pytest_plugin.CocalcTarget("replay", "http://127.0.0.1:9", "sk-replay", PROJECT_ID)
    projects = pytest_plugin._async_project(target)
    project = await projects.__anext__()
    assert (project.host, project.api_key, project.project_id) == (
        "http://127.0.0.1:9",
        "sk-replay",
        PROJECT_ID,
    )
    await projects.aclose()
    assert project._http.is_closed
    hubs = pytest_plugin._async_hub(target)
    hub = await hubs.__anext__()
    assert (hub.host, hub.api_key) == ("http://127.0.0.1:9", "sk-replay")
    await hubs.aclose()
    assert hub._http.is_closed


USER_TESTS = textwrap.dedent(
    """
    import pytest


    @pytest.fixture
    def vcr_config(cocalc_vcr_config):
        return cocalc_vcr_config


    @pytest.mark.vcr
    def test_exec(cocalc_project, cocalc_target):
        print("target:", cocalc_target.mode)
        out = cocalc_project.system.exec("echo hello")
        assert out["stdout"] == "hello\\n"
        assert cocalc_project.system.test()["project_id"] == cocalc_project.project_id


    @pytest.mark.vcr
    def test_job(cocalc_project):
        job = cocalc_project.jobs.start("sleep 0.5; echo done", err_on_exit=False)
        assert job.wait()["stdout"] == "done\\n"


    @pytest.mark.vcr
    @pytest.mark.asyncio
    async def test_async(cocalc_async_project):
        out = await cocalc_async_project.system.exec("echo async")
        assert out["stdout"] == "async\\n"


    def test_unrecorded_uses_the_local_server(cocalc_target, cocalc_project):
        assert cocalc_target.mode in ("local", "live")
        assert cocalc_project.ping()["now"] > 0
    """
)


# A user's own plugins only: this venv's others (schemathesis, hypothesis) take seconds to load.
PLUGINS = (
    "-p",
    "cocalc_api.pytest_plugin",
    "-p",
    "pytest_recording.plugin",
    "-p",
    "pytest_asyncio.plugin",
)


def run_user_tests(
    folder: Path, *args: str, env: dict[str, str] | None = None, autoload: bool = False
) -> str:
    """pytest in `folder`, as its user runs it; with `autoload`, plugins are found by their
    entry points (ours among them), as on a user's machine."""
    settings = {**os.environ, **(env or {})}
    plugins: tuple[str, ...] = ()
    if not autoload:
        settings["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        plugins = PLUGINS
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-s",
            "--setup-show",
            *plugins,
            *args,
        ],
        cwd=folder,
        env=settings,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("COCALC_API_KEY", "COCALC_HOST", "COCALC_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    # Their own settings: pytest-asyncio in its default (strict) mode.
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n", encoding="utf-8"
    )
    (tmp_path / "test_mine.py").write_text(USER_TESTS, encoding="utf-8")
    return tmp_path


@pytest.mark.timeout(120)
def test_a_users_test_file_passes_on_the_local_server_then_from_its_cassettes(
    user_folder: Path,
) -> None:
    recorded = run_user_tests(user_folder, "--record-mode=once", autoload=True)
    assert "4 passed" in recorded and "target: local" in recorded
    assert "SETUP    S cocalc_server" in recorded
    cassettes = sorted(p.name for p in (user_folder / "cassettes" / "test_mine").iterdir())
    assert cassettes == ["test_async.yaml", "test_exec.yaml", "test_job.yaml"]

    # Again, from the cassettes alone: no server is started for the recorded tests.
    replayed = run_user_tests(user_folder, "-k", "not unrecorded")
    assert "3 passed" in replayed and "target: replay" in replayed
    assert "cocalc_server" not in replayed


HUB_USER_TESTS = textwrap.dedent(
    """
    import pytest


    @pytest.fixture
    def vcr_config(cocalc_vcr_config):
        return cocalc_vcr_config


    @pytest.mark.vcr
    def test_create_and_run(cocalc_hub, cocalc_hub_target):
        print("hub target:", cocalc_hub_target.mode)
        project_id = cocalc_hub.projects.create_project(title="mine")
        assert project_id in {p["project_id"] for p in cocalc_hub.projects.get(all=True)}


    def test_a_fresh_project_each_test(cocalc_hub_project, cocalc_hub):
        out = cocalc_hub_project.system.exec("echo $HOME")
        assert out["stdout"].rstrip().endswith(cocalc_hub_project.project_id)
        assert cocalc_hub.projects.state(cocalc_hub_project.project_id)["state"] == "running"


    @pytest.mark.asyncio
    async def test_async_hub(cocalc_async_hub):
        assert (await cocalc_async_hub.system.ping())["now"] > 0
    """
)


@pytest.mark.timeout(120)
def test_a_users_hub_tests_pass_on_the_local_hub_then_from_their_cassettes(
    user_folder: Path,
) -> None:
    (user_folder / "test_mine.py").write_text(HUB_USER_TESTS, encoding="utf-8")
    recorded = run_user_tests(user_folder, "--record-mode=once")
    assert "3 passed" in recorded and "hub target: local" in recorded
    assert "SETUP    S cocalc_hub_server" in recorded
    replayed = run_user_tests(user_folder, "-k", "create_and_run")
    assert "1 passed" in replayed and "hub target: replay" in replayed
    assert "cocalc_hub_server" not in replayed


@pytest.mark.timeout(120)
def test_recording_against_a_real_host_scrubs_the_key_and_the_project_id(
    user_folder: Path,
) -> None:
    real_id = "3f1c2a4e-1b7d-4c39-9a53-5f3b2d8e9c01"
    real_key = "sk-a-real-looking-key-0123456789"
    with running_server(project_id=real_id, api_key=real_key) as host:
        live = {"COCALC_API_KEY": real_key, "COCALC_HOST": host.url, "COCALC_PROJECT_ID": real_id}
        recorded = run_user_tests(
            user_folder, "--cocalc-live", "--record-mode=once", "-k", "exec or job", env=live
        )
    assert "2 passed" in recorded and "target: live" in recorded
    assert "cocalc_server" not in recorded
    texts = [p.read_text() for p in (user_folder / "cassettes" / "test_mine").iterdir()]
    assert len(texts) == 2
    for text in texts:
        assert real_key not in text and real_id not in text
        assert PROJECT_ID in text
    replayed = run_user_tests(user_folder, "-k", "exec or job")
    assert "2 passed" in replayed and "target: replay" in replayed
