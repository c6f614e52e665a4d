"""The client objects themselves: settings checked when given, copies, pickling, closing,
help and repr, logging, and the errors that explain the server's texts.

Answers come from httpx2.MockTransport, with texts from docs/wire-protocol.md and the CoCalc source.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pickle
import platform
import pydoc
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

import cocalc_api

PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
Answer = Callable[[dict[str, Any]], Any]


class Recorder:
    """A MockTransport that records each body and answers with `answer(body)` as JSON."""

    def __init__(self, answer: Answer) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[httpx2.Headers] = []
        self.answer = answer

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        self.headers.append(request.headers)
        return httpx2.Response(200, content=json.dumps(self.answer(body)).encode())

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self))


def project(answer: Answer, **settings: Any) -> tuple[cocalc_api.Project, Recorder]:
    recorder = Recorder(answer)
    settings.setdefault("project_id", PROJECT)
    made = cocalc_api.Project(
        "sk-test", host="https://cocalc.com", http_client=recorder.client(), **settings
    )
    return made, recorder


def pong(body: dict[str, Any]) -> Any:
    return {"now": 1}


# -- settings are checked when given --------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"timeout": "x"}, "timeout must be a positive number of seconds or None"),
        ({"timeout": True}, "timeout must be a positive number"),
        ({"timeout": -1}, "timeout must be a positive number"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"timeout": float("nan")}, "timeout must be a positive number"),
        ({"max_retries": -1}, "max_retries must be an int >= 0"),
        ({"max_retries": 1.5}, "max_retries must be an int >= 0"),
        ({"max_response_bytes": 0}, "max_response_bytes must be a positive int (bytes), got 0"),
        ({"max_response_bytes": True}, "max_response_bytes must be a positive int"),
        ({"max_response_bytes": 1e6}, "max_response_bytes must be a positive int"),
        ({"max_response_bytes": None}, "max_response_bytes must be a positive int"),
        ({"http_client": "x"}, "http_client must be an httpx2.Client, got str"),
        ({"http_client": httpx2.AsyncClient()}, "http_client must be an httpx2.Client"),
        ({"extra_headers": "x"}, "extra_headers must be a mapping of str to str"),
        ({"extra_headers": {"X-A": 1}}, "extra_headers must map str to str"),
        ({"extra_headers": {"Authorization": "Bearer x"}}, "cannot set 'Authorization'"),
        ({"host": "https://coc alc.com"}, "without spaces"),
        ({"host": "https://cocalc.com?x=1"}, "must not have a query or fragment"),
        ({"host": "https://cocalc.com#top"}, "must not have a query or fragment"),
        ({"host": "https://user:pass@cocalc.com"}, "must not contain a user name or password"),
        ({"host": "ftp://cocalc.com"}, "host must be an http(s) URL"),
        ({"host": "cocalc.com"}, "host must be an http(s) URL"),
        ({"host": "https://cocalc.com:99999"}, "invalid port"),
        ({"api_key": "sk-a\nb"}, "api_key must not contain spaces or line breaks"),
        ({"project_id": 5}, "project_id must be a string"),
    ],
)
def test_a_bad_setting_is_refused_at_once(settings: dict[str, Any], message: str) -> None:
    arguments = {"api_key": "sk-test", **settings}
    with pytest.raises(cocalc_api.InvalidArgumentError, match=re.escape(message)) as raised:
        cocalc_api.Project(**arguments)
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, TypeError)
    # The message never shows a password from a host.
    assert "pass@" not in str(raised.value)


@pytest.mark.parametrize("key", ["sk-XYZxyz0123456789", "sk-AbC_dEf-X0"])
def test_a_key_of_letters_digits_and_dashes_is_taken_as_given(key: str) -> None:
    # docs/wire-protocol.md: "Keys look like `sk-...`"; only spaces and line breaks are refused.
    seen: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers["authorization"])
        return httpx2.Response(200, json={"now": 1})

    with httpx2.Client(transport=httpx2.MockTransport(answer)) as http:
        cocalc_api.Project(key, host="https://cocalc.com", http_client=http).system.ping()
    assert seen == ["Basic " + base64.b64encode(f"{key}:".encode()).decode()]


def test_async_project_wants_an_async_client() -> None:
    with pytest.raises(cocalc_api.InvalidArgumentError, match="httpx2.AsyncClient, got Client"):
        cocalc_api.AsyncProject("sk-test", http_client=httpx2.Client())


def test_with_options_checks_its_settings_too() -> None:
    made, _ = project(pong)
    for bad in (
        {"timeout": -2},
        {"max_retries": "3"},
        {"extra_headers": {"Host": "x"}},
        {"max_response_bytes": -1},
    ):
        with pytest.raises(cocalc_api.InvalidArgumentError):
            made.with_options(**bad)


@pytest.mark.parametrize("cls", [cocalc_api.Project, cocalc_api.AsyncProject])
def test_answers_are_bounded_at_64_mib_unless_told(cls: type[Any]) -> None:
    # 64 MiB: the default the issue "Reliability round 3" (item 3) sets, far above any answer.
    assert cls("sk-test")._settings.max_response_bytes == 64 * 1024 * 1024
    assert cls("sk-test", max_response_bytes=10)._settings.max_response_bytes == 10


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCALC_API_KEY", "sk-env")
    monkeypatch.setenv("COCALC_HOST", "https://example.org/cocalc")
    monkeypatch.setenv("COCALC_PROJECT_ID", PROJECT)
    made = cocalc_api.Project()
    assert (made.host, made.project_id) == ("https://example.org/cocalc", PROJECT)
    monkeypatch.delenv("COCALC_API_KEY")
    with pytest.raises(cocalc_api.InvalidArgumentError, match="no API key"):
        cocalc_api.Project()


# -- with_options ---------------------------------------------------------------------------


def test_with_options_inherits_the_clients_timeout() -> None:
    made, recorder = project(pong, timeout=7)
    made.with_options(max_retries=0).ping()
    made.with_options(extra_headers={"X-Trace": "1"}).ping()
    made.with_options(timeout=None).ping()
    # 7 s becomes the envelope's 7000 ms; timeout=None leaves the server's default (no field).
    assert [body.get("timeout") for body in recorder.bodies] == [7000, 7000, None]
    assert recorder.headers[1]["x-trace"] == "1"
    assert made.timeout == 7.0 and made.with_options(max_retries=0).timeout == 7.0


def test_a_copy_shares_the_connections_but_does_not_close_them() -> None:
    made = cocalc_api.Project("sk-test", host="http://127.0.0.1:9")
    copy = made.with_options(max_retries=0)
    assert copy._http is made._http
    copy.close()  # the copy does not own the client: nothing is closed
    assert not made._http.is_closed
    made.close()  # the original owns it
    assert made._http.is_closed
    with pytest.raises(cocalc_api.ClientClosedError):
        copy.ping()


def test_a_client_passed_in_is_never_closed() -> None:
    http = httpx2.Client(transport=httpx2.MockTransport(Recorder(pong)))
    with cocalc_api.Project("sk-test", http_client=http) as made:
        made.ping()
    assert not http.is_closed


async def test_a_call_after_aclose_is_a_cocalc_error() -> None:
    made = cocalc_api.AsyncProject("sk-test", host="http://127.0.0.1:9")
    await made.aclose()
    with pytest.raises(cocalc_api.ClientClosedError, match="was closed"):
        await made.ping()


def test_a_call_after_close_is_a_cocalc_error() -> None:
    made = cocalc_api.Project("sk-test", host="http://127.0.0.1:9")
    made.close()
    with pytest.raises(cocalc_api.ClientClosedError) as raised:
        made.ping()
    assert isinstance(raised.value, cocalc_api.CocalcError)


# -- pickling -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [cocalc_api.Project, cocalc_api.AsyncProject])
def test_projects_pickle_by_their_settings(cls: type[Any]) -> None:
    made = cls("sk-test", host="https://example.org", project_id=PROJECT, timeout=9, max_retries=1)
    copy = pickle.loads(
        pickle.dumps(made.with_options(extra_headers={"X-A": "b"}, max_response_bytes=4096))
    )
    assert type(copy) is cls
    assert (copy.host, copy.project_id, copy.timeout, copy.max_retries) == (
        "https://example.org",
        PROJECT,
        9.0,
        1,
    )
    assert copy._settings.extra_headers == (("X-A", "b"),)
    assert copy._settings.max_response_bytes == 4096
    assert copy.with_options(timeout=1)._settings.max_response_bytes == 4096
    assert copy._owns_http  # it opened its own connections
    if cls is cocalc_api.Project:
        copy.close()
    else:
        asyncio.run(copy.aclose())


def test_a_pickled_project_works_in_another_process() -> None:
    made = cocalc_api.Project("sk-test", host="http://127.0.0.1:9", project_id=PROJECT)
    script = (
        "import pickle, sys; p = pickle.loads(sys.stdin.buffer.read()); "
        "print(p.project_id, p.system.__class__.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=pickle.dumps(made),
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.decode().split() == [PROJECT, "SystemMethods"]


EXCEPTIONS: list[cocalc_api.CocalcError] = [
    cocalc_api.ExecError(
        "command 'x' exited with nonzero code 2 -- stderr='e'",
        method="system.exec",
        command="x",
        exit_code=2,
        stderr="e",
    ),
    cocalc_api.ExecTimeoutError(
        "killed command 'sleep 9'",
        method="system.exec",
        command="sleep 9",
        timeout=1.0,
        explanation="killed at 1 s",
    ),
    cocalc_api.UnknownKernelError(
        "Error: ...", method="system.jupyterExecute", kernel="k", available=["python3"]
    ),
    cocalc_api.HTTPStatusError("HTTP 502", status_code=502, body="<html>", retry_after=3.0),
    cocalc_api.AuthenticationError("must sign in as project or account", method="system.ping"),
    cocalc_api.APITimeoutError("timed out"),
    cocalc_api.InvalidArgumentError("bad"),
]


@pytest.mark.parametrize("error", EXCEPTIONS, ids=lambda error: type(error).__name__)
def test_exceptions_pickle_with_their_fields(error: cocalc_api.CocalcError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


@pytest.mark.parametrize("error", EXCEPTIONS, ids=lambda error: type(error).__name__)
def test_exceptions_show_their_public_name(error: cocalc_api.CocalcError) -> None:
    name = type(error).__name__
    assert type(error).__module__ == "cocalc_api"
    assert getattr(cocalc_api, name) is type(error)


# -- help and repr --------------------------------------------------------------------------


def test_help_shows_the_namespaces_and_no_object_reprs() -> None:
    text = pydoc.render_doc(cocalc_api.Project, renderer=pydoc.plaintext)
    for namespace in ("system", "editor", "sync"):
        assert f"\n |  {namespace}\n |      The `{namespace}.*` methods: " in text, namespace
    assert "object at 0x" not in text
    assert "timeout: 'float | None | NotGiven' = NOT_GIVEN" in text


def test_repr_hides_the_key() -> None:
    made, _ = project(pong, timeout=3)
    assert repr(made) == f"Project(host='https://cocalc.com', project_id='{PROJECT}')"
    assert "sk-test" not in repr(made._settings)


# -- requests -------------------------------------------------------------------------------


def test_requests_carry_a_user_agent_named_after_the_distribution() -> None:
    made, recorder = project(pong)
    made.ping()
    agent = recorder.headers[0]["user-agent"]
    assert agent == f"cocalc-sdk/{cocalc_api.__version__} python/{platform.python_version()}"


def test_info_logging_reports_each_call_and_each_retry() -> None:
    script = """
import httpx2, cocalc_api
answers = iter([httpx2.ConnectError("refused"), httpx2.Response(200, json={"now": 1})])
def handler(request):
    answer = next(answers)
    if isinstance(answer, Exception):
        raise answer
    return answer
p = cocalc_api.Project("sk-secret-key", host="https://cocalc.com",
                       http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
p.ping()
"""
    env = {**os.environ, "COCALC_LOG": "info"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 3, lines
    assert "system.ping -> APIConnectionError in" in lines[0]
    assert "retrying in" in lines[1] and "(attempt 2 of 3) after APIConnectionError" in lines[1]
    assert "system.ping -> ok in" in lines[2]
    assert "sk-secret-key" not in result.stderr


# -- errors that say what to do -------------------------------------------------------------


def error_of(call: Callable[[cocalc_api.Project], Any], text: str) -> cocalc_api.APIError:
    made, _ = project(lambda body: {"error": text}, max_retries=0)
    with pytest.raises(cocalc_api.APIError) as raised:
        call(made)
    assert raised.value.message == text  # the server's own text stays on the exception
    return raised.value


def test_a_killed_command_names_the_command_the_limit_and_the_way_out() -> None:
    error = error_of(
        lambda p: p.system.exec(command="sleep 100", timeout=1),
        "killed command 'bash /tmp/cocalc-Kq3zXw/a.sh'",
    )
    assert isinstance(error, cocalc_api.ExecTimeoutError)
    assert (error.command, error.timeout) == ("sleep 100", 1.0)
    assert "'sleep 100'" in str(error) and "1 s" in str(error)
    assert "timeout=" in str(error) and "async_call=True" in str(error)


def test_the_default_limit_is_named_when_none_was_given() -> None:
    error = error_of(
        lambda p: p.system.exec(command="sleep", args=["100"]), "killed command 'sleep 100'"
    )
    assert isinstance(error, cocalc_api.ExecTimeoutError)
    assert error.timeout == 60.0  # the server's default (docs/wire-protocol.md §3)


def test_a_missing_program_says_so() -> None:
    # node's spawn error, as JSON in stderr (src/packages/backend/execute-code.ts).
    spawn = (
        '{"errno":-2,"code":"ENOENT","syscall":"spawn nosuchprog","path":"nosuchprog",'
        '"spawnargs":[]}'
    )
    error = error_of(
        lambda p: p.system.exec(command="nosuchprog"),
        f"command ''nosuchprog' (args=)' exited with nonzero code 1 -- stderr='{spawn}'",
    )
    assert isinstance(error, cocalc_api.ExecError)
    assert str(error).startswith("program not found: nosuchprog")
    assert (error.command, error.exit_code, error.stderr) == ("nosuchprog", 1, spawn)


def test_an_unknown_kernel_lists_the_projects_kernels() -> None:
    # The real text (src/packages/jupyter/kernel/launch-kernel.ts, via kernel.ts).
    text = (
        'Error: **Unable to Spawn Jupyter Kernel:**\n\nError: No spec available for kernel "pyton3".'
        '  Available specs: ["python3","ir"] \n\nTry this in a terminal to help debug this (or '
        "contact support): `jupyter console --kernel=pyton3`\n\nOnce you fix the problem, "
        "explicitly restart this kernel to test here."
    )
    error = error_of(lambda p: p.system.jupyter_execute(input="1", kernel="pyton3"), text)
    assert isinstance(error, cocalc_api.UnknownKernelError)
    assert (error.kernel, error.available) == ("pyton3", ["python3", "ir"])
    assert str(error) == "no Jupyter kernel named 'pyton3'; the project has: python3, ir"


def test_waiting_past_the_envelope_says_how_to_wait_longer() -> None:
    text = (
        f"timeout - callHub: subject='project.{PROJECT}.0.api.-', name='system.exec', code='408' "
    )
    error = error_of(lambda p: p.system.exec_status("j", wait=True), text)
    assert isinstance(error, cocalc_api.ServerTimeoutError)
    assert "15 s" in str(error) and "with_options(timeout=" in str(error)
    # Without wait=True a 408 is the plain server text.
    plain = error_of(lambda p: p.system.exec_status("j"), text)
    assert str(plain) == text


def test_an_unknown_job_explains_what_the_project_keeps() -> None:
    error = error_of(
        lambda p: p.system.exec_status("gone"), "Error: Async operation 'gone' does not exist."
    )
    assert isinstance(error, cocalc_api.AsyncJobNotFoundError)
    assert "at most 100 jobs" in str(error)


def test_every_error_rule_the_spec_names_exists() -> None:
    from cocalc_api._errors import METHOD_RULES
    from cocalc_api_generated.specs import METHODS

    named = {rule for method in METHODS for rule in method.errors}
    assert named == set(METHOD_RULES)


def test_every_prepare_rule_the_spec_names_exists() -> None:
    from cocalc_api._prepare import PREPARE_RULES
    from cocalc_api_generated.specs import METHODS

    named = {rule for method in METHODS for rule in method.prepare}
    assert named == set(PREPARE_RULES)
