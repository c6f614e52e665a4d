"""Every `{"error": ...}` text of docs/wire-protocol.md §2 and §3 becomes its typed exception, with the
method's wire name, the server's exact text as `.message`, and the fields the README lists.

Answers come from httpx2.MockTransport; the texts are docs/wire-protocol.md's, or the CoCalc source's
where it names one (src/packages/backend/execute-code.ts for exec).
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

import cocalc_api

PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
SUBJECT = f"project.{PROJECT}.0.api.-"


def error_of(
    call: Callable[[cocalc_api.Project], Any], text: object, **settings: Any
) -> cocalc_api.CocalcError:
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=json.dumps({"error": text}).encode())

    http = httpx2.Client(transport=httpx2.MockTransport(answer))
    made = cocalc_api.Project(
        "sk-test", project_id=PROJECT, http_client=http, max_retries=0, **settings
    )
    with pytest.raises(cocalc_api.CocalcError) as raised:
        call(made)
    return raised.value


def ping(p: cocalc_api.Project) -> Any:
    return p.ping()


def exec_(**options: Any) -> Callable[[cocalc_api.Project], Any]:
    return lambda p: p.system.exec(**options)


# -- the texts every method shares (docs/wire-protocol.md §2) ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "You must provide authentication via an API key.",
        "must sign in as project or account",
        "must specify project_id or use project-specific api key",
        "project specific api key must match requested project",
        "user must be a collaborator on the project",
        "Unknown authorization type 'Digest'",
    ],
)
def test_an_authentication_text_is_an_authentication_error(text: str) -> None:
    error = error_of(ping, text)
    assert type(error) is cocalc_api.AuthenticationError
    assert (error.message, error.method) == (text, "system.ping")
    assert text in str(error)  # the server's words, after what to do about them


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("must specify project_id or use project-specific api key", "project_id="),
        ("project specific api key must match requested project", "leave project_id out"),
        ("user must be a collaborator on the project", "add_collaborator"),
        ("must sign in as project or account", "make a new one"),
        # src/packages/next/pages/api/conat/hub.ts: a project-scoped key on the hub route
        (
            "must be signed in and MUST provide an api key (cookies are not allowed)",
            "account key",
        ),
    ],
)
def test_a_refused_key_says_what_to_do(text: str, fix: str) -> None:
    error = error_of(ping, text)
    assert type(error) is cocalc_api.AuthenticationError
    assert fix in str(error) and error.message == text


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        # src/packages/server/conat/api/projects.ts, thrown and sent as String(err)
        ("Error: must be collaborator on project to start it", "add_collaborator"),
        ("Error: user must be collaborator on source project", "add_collaborator"),
        # src/packages/server/conat/api/org.ts
        ("Error: only admins may create organizations", "site admin"),
        ("Error: must be a site admin", "site admin"),
        ("Error: user must be an admin of the organization or site-admin", "admin"),
        ("Error: Must be an admin to do admin search.", "site admin"),
    ],
)
def test_a_refusal_of_the_account_is_permission_denied(text: str, fix: str) -> None:
    error = error_of(ping, text)
    assert type(error) is cocalc_api.PermissionDeniedError
    assert isinstance(error, cocalc_api.APIError) and isinstance(error, RuntimeError)
    assert fix in str(error) and text in str(error) and error.message == text


def test_a_text_that_mentions_an_admin_is_not_a_refusal() -> None:
    error = error_of(ping, "Error: no org named 'must be a site admin'")
    assert type(error) is cocalc_api.APIError


def test_a_text_that_only_contains_an_auth_text_is_not_one() -> None:
    error = error_of(ping, "Error: must sign in as project or account, said the hub")
    assert type(error) is cocalc_api.APIError


def test_an_unknown_function_is_named() -> None:
    text = "Error: unknown function 'system.ping'"
    error = error_of(ping, text)
    assert type(error) is cocalc_api.UnknownFunctionError
    assert (error.message, error.method) == (text, "system.ping")


def test_the_408_text_is_a_server_timeout() -> None:
    text = f"timeout - callHub: subject='{SUBJECT}', name='system.ping', code='408' "
    error = error_of(ping, text)
    assert type(error) is cocalc_api.ServerTimeoutError
    assert (error.message, error.method, str(error)) == (text, "system.ping", text)


@pytest.mark.parametrize(
    "text",
    [
        # a 408 needs both: the text starts with "timeout" and names code 408
        f"timeout must be positive - callHub: subject='{SUBJECT}', name='x', code='undefined' ",
        f"request -- callHub: subject='{SUBJECT}', name='x', code='408' ",
    ],
)
def test_a_text_that_is_not_the_408_is_not_a_server_timeout(text: str) -> None:
    assert type(error_of(ping, text)) is cocalc_api.APIError


def test_the_503_text_is_project_unavailable() -> None:
    text = (
        f"request -- no subscribers matching '{SUBJECT}' - callHub: subject='{SUBJECT}', "
        "name='system.ping', code='503' "
    )
    error = error_of(ping, text)
    assert type(error) is cocalc_api.ProjectUnavailableError
    assert (error.message, error.method) == (text, "system.ping")


def test_any_other_text_is_an_api_error_and_a_runtime_error() -> None:
    error = error_of(ping, "Error: something broke")
    assert type(error) is cocalc_api.APIError
    assert isinstance(error, RuntimeError)
    assert (error.message, error.method, str(error)) == (
        "Error: something broke",
        "system.ping",
        "Error: something broke",
    )


def test_a_long_text_is_whole_in_message_and_shortened_in_str() -> None:
    # A megabyte of error text would otherwise fill every traceback and log line.
    text = "Error: " + "".join(f"line {n}\n" for n in range(100_000))
    error = error_of(ping, text)
    assert type(error) is cocalc_api.APIError
    assert error.message == text
    shown = str(error)
    assert len(shown) < 5_000
    assert shown.startswith("Error: line 0\nline 1\n") and shown.endswith("line 99999\n")
    left_out = len(text) - 2500 - 1500
    assert (
        f"[... {left_out} characters left out here; the whole text is the error's .message" in shown
    )


def test_a_long_exec_command_keeps_the_stderr_at_the_end_of_str() -> None:
    command = "echo " + "a" * 20_000
    text = f"command '{command}' exited with nonzero code 1 -- stderr='the reason'"
    error = error_of(exec_(command=command), text)
    assert isinstance(error, cocalc_api.ExecError)
    assert (error.message, error.command, error.stderr) == (text, command, "the reason")
    assert len(str(error)) < 5_000 and str(error).endswith("stderr='the reason'")


@pytest.mark.parametrize(("value", "name"), [(5, "int"), (None, "NoneType"), ({}, "dict")])
def test_an_error_that_is_not_a_string_is_a_bad_response(value: object, name: str) -> None:
    error = error_of(ping, value)
    assert type(error) is cocalc_api.ResponseValidationError
    assert str(error) == f"system.ping: 'error' must be a string, got {name}"


# -- exec (docs/wire-protocol.md §3) -------------------------------------------------------------------


def test_a_nonzero_exit_gives_code_stderr_and_the_users_command() -> None:
    text = "command ''ls' (args=-l nope)' exited with nonzero code 2 -- stderr='no such\n'"
    error = error_of(exec_(command="ls", args=["-l", "nope"]), text)
    assert type(error) is cocalc_api.ExecError
    assert (error.message, error.method, str(error)) == (text, "system.exec", text)
    assert (error.command, error.exit_code, error.stderr) == ("ls -l nope", 2, "no such\n")
    assert error.program_not_found is False


def test_a_negative_exit_code_is_read() -> None:
    text = "command 'kill -9 $$' exited with nonzero code -9 -- stderr=''"
    error = error_of(exec_(command="kill -9 $$"), text)
    assert isinstance(error, cocalc_api.ExecError)
    assert (error.command, error.exit_code, error.stderr) == ("kill -9 $$", -9, "")


def test_a_program_that_could_not_run_is_exit_code_1() -> None:
    spawn = '{"errno":-2,"code":"ENOENT","syscall":"spawn nope","path":"nope","spawnargs":["x"]}'
    text = f"command ''nope' (args=x)' was not able to run -- stderr='{spawn}'"
    error = error_of(exec_(command="nope", args=["x"]), text)
    assert type(error) is cocalc_api.ExecError
    assert (error.message, error.method) == (text, "system.exec")
    assert (error.command, error.exit_code, error.stderr) == ("nope x", 1, spawn)
    assert str(error) == "program not found: nope"
    assert error.program_not_found is True
    # A field like the others: it travels with the exception and is among its fields.
    copy = pickle.loads(pickle.dumps(error))
    assert copy.program_not_found is True and str(copy) == str(error)
    assert error.fields() == {
        "message": text,
        "method": "system.exec",
        "command": "nope x",
        "exit_code": 1,
        "stderr": spawn,
        "program_not_found": True,
    }


@pytest.mark.parametrize(
    ("stderr", "explanation"),
    [
        # node's spawn error without a path names the program in its syscall
        ('{"errno":-2,"code":"ENOENT","syscall":"spawn nope"}', "program not found: nope"),
        ('{"code":"ENOENT","path":"/bin/x","syscall":"spawn y"}', "program not found: /bin/x"),
        # any other error, or no JSON, is left as the server's text
        ('{"errno":-13,"code":"EACCES","syscall":"spawn nope","path":"nope"}', None),
        ('["ENOENT"]', None),
        ('{"code":"ENOENT"}', None),  # nothing names the program
        ("plain text", None),
        ("", None),
    ],
)
def test_only_a_spawn_enoent_is_explained(stderr: str, explanation: str | None) -> None:
    for text in (
        f"command ''nope' (args=)' was not able to run -- stderr='{stderr}'",
        f"command ''nope' (args=)' exited with nonzero code 1 -- stderr='{stderr}'",
    ):
        error = error_of(exec_(command="nope"), text)
        assert isinstance(error, cocalc_api.ExecError)
        assert str(error) == (explanation or text)
        assert error.program_not_found is (explanation is not None)


def test_a_killed_command_is_an_exec_timeout_with_its_limit() -> None:
    error = error_of(exec_(command="sleep", args=["100"], timeout=3), "killed command 'sleep 100'")
    assert type(error) is cocalc_api.ExecTimeoutError
    assert (error.message, error.method, error.command, error.timeout) == (
        "killed command 'sleep 100'",
        "system.exec",
        "sleep 100",
        3.0,
    )
    assert str(error) == (
        "the command 'sleep 100' was killed at its time limit of 3 s; pass a larger "
        "timeout=..., or async_call=True for long work"
    )


def test_a_killed_command_under_a_client_timeout_names_that_limit() -> None:
    # Project(timeout=4) becomes exec's own limit (README: "becomes exec's command limit").
    error = error_of(exec_(command="sleep 9"), "killed command 'bash /tmp/x/a.sh'", timeout=4)
    assert isinstance(error, cocalc_api.ExecTimeoutError)
    assert error.timeout == 4.0 and "time limit of 4 s" in str(error)


def test_the_exec_texts_are_exec_errors_only_for_exec() -> None:
    # On another method the same words are just the service's text.
    for text in ("killed command 'x'", "command 'x' exited with nonzero code 1 -- stderr=''"):
        assert type(error_of(ping, text)) is cocalc_api.APIError


def test_a_text_that_only_resembles_exec_s_is_an_api_error() -> None:
    for text in (
        "Error: killed command 'x'",
        "command 'x' exited with nonzero code one -- stderr=''",
        "command 'x' was not able to run",
    ):
        assert type(error_of(exec_(command="x"), text)) is cocalc_api.APIError


# -- exec_status (docs/wire-protocol.md §3, async jobs) --------------------------------------------------


def test_an_unknown_job_explains_how_long_jobs_are_kept() -> None:
    text = "Error: Async operation 'gone' does not exist."
    error = error_of(lambda p: p.system.exec_status("gone"), text)
    assert type(error) is cocalc_api.AsyncJobNotFoundError
    assert (error.message, error.method) == (text, "system.exec")
    # docs/wire-protocol.md §3: jobs are kept for an hour, at most 100.
    assert str(error) == (
        f"{text} The project keeps at most 100 jobs, each for an hour after its last use, and "
        "forgets them when it restarts."
    )


@pytest.mark.parametrize(
    ("settings", "seconds"),
    # the server's default envelope is 15 s (docs/wire-protocol.md §1)
    [({}, "15"), ({"timeout": 40}, "40"), ({"timeout": 2.5}, "2.5")],
)
def test_waiting_for_a_job_past_the_limit_names_the_limit(
    settings: dict[str, Any], seconds: str
) -> None:
    text = f"timeout - callHub: subject='{SUBJECT}', name='system.exec', code='408' "
    error = error_of(lambda p: p.system.exec_status("j", wait=True), text, **settings)
    assert type(error) is cocalc_api.ServerTimeoutError
    assert (error.message, error.method) == (text, "system.exec")
    assert str(error) == (
        f"the job did not end within the call's limit of {seconds} s and is still running; "
        "wait longer with project.with_options(timeout=...).system.exec_status(job_id, "
        "wait=True), or poll it again"
    )


# -- jupyter_execute -------------------------------------------------------------------------


def test_an_unknown_kernel_without_a_readable_list_has_none() -> None:
    text = 'Error: No spec available for kernel "k".  Available specs: [broken]'
    error = error_of(lambda p: p.system.jupyter_execute(input="1", kernel="k"), text)
    assert type(error) is cocalc_api.UnknownKernelError
    assert (error.kernel, error.available, error.method) == ("k", [], "system.jupyterExecute")
    assert str(error) == "no Jupyter kernel named 'k'; the project has: none"
