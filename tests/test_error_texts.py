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
from cocalc_api.wording import speaking

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


def test_an_unknown_key_names_the_host_it_was_sent_to_and_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # src/packages/next/pages/api/conat/project.ts: a key that resolves to no account and no
    # project.
    text = "must sign in as project or account"
    monkeypatch.setenv("COCALC_API_KEY", "sk-test")  # the key error_of passes: from the env
    from_env = error_of(ping, text, host="https://cocalc.example.org")
    assert isinstance(from_env, cocalc_api.AuthenticationError)
    assert from_env.message == text
    assert "https://cocalc.example.org does not accept the API key from COCALC_API_KEY" in str(
        from_env
    )
    monkeypatch.setenv("COCALC_API_KEY", "sk-other")
    given = error_of(ping, text)
    assert "https://cocalc.com does not accept the API key passed as api_key=..." in str(given)
    assert "sk-test" not in str(given) and "sk-other" not in str(given)


def test_a_project_key_for_another_project_names_the_project_asked_for() -> None:
    text = "project specific api key must match requested project"
    error = error_of(ping, text)
    assert f"it is not {PROJECT}" in str(error) and "leave project_id out" in str(error)
    assert error.message == text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("must sign in as project or account", "the API key given with --api-key"),
        ("must specify project_id or use project-specific api key", "--project-id"),
        ("project specific api key must match requested project", "leave --project-id out"),
        ("user must be a collaborator on the project", "cocalc-hub projects add-collaborator"),
    ],
)
def test_the_cli_names_its_own_options(text: str, words: str) -> None:
    from cocalc_api.cli._wording import CLI

    with speaking(CLI):
        error = error_of(ping, text)
    assert words in str(error) and "=..." not in str(error)


@pytest.mark.parametrize("value", ["my-project", "...", "6e75dbf1-0342-4249-9dce-6b21648656e", ""])
def test_a_malformed_project_id_is_refused_before_sending(value: str) -> None:
    # src/packages/util/misc.ts is_valid_uuid_string: 36 characters, 8-4-4-4-12 hex digits.
    if not value:  # an empty one means none: the key's own project
        assert cocalc_api.Project("sk-test", project_id=value).project_id is None
        return
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        cocalc_api.Project("sk-test", project_id=value)
    assert "project_id must be a project's id, a UUID" in str(raised.value)
    assert repr(value) in str(raised.value)


def test_a_malformed_project_id_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COCALC_PROJECT_ID", "my-project")
    with pytest.raises(cocalc_api.InvalidArgumentError, match="^COCALC_PROJECT_ID must be"):
        cocalc_api.Project("sk-test")


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


@pytest.mark.parametrize(("value", "name"), [(5, "int"), (None, "NoneType"), ({}, "dict")])
def test_an_error_that_is_not_a_string_is_a_bad_response(value: object, name: str) -> None:
    error = error_of(ping, value)
    assert type(error) is cocalc_api.ResponseValidationError
    assert str(error) == f"system.ping: 'error' must be a string, got {name}"


# -- exec (docs/wire-protocol.md §3) -------------------------------------------------------------------
# The texts are src/packages/backend/execute-code.ts's: `command '<x>' exited with nonzero code
# <n> -- stderr='<stderr cut at 1024>'`, where <x> is the bash command as given, else
# `'<program>' (args=<args joined>)`; a bash command runs as /tmp/cocalc-XXXXXX/a.sh, whose
# first line is `ulimit -t <timeout>` unless timeout is 0 or ulimit_timeout false.

# node's spawn error for a program (or a working folder) that is not there, as execute-code.ts
# puts it in stderr (to_json(err)).
SPAWN_LS = '{"errno":-2,"code":"ENOENT","syscall":"spawn ls","path":"ls","spawnargs":[]}'
SPAWN_BASH = (
    '{"errno":-2,"code":"ENOENT","syscall":"spawn bash","path":"bash",'
    '"spawnargs":["/tmp/cocalc-Ab12Cd/a.sh"]}'
)
NO_STDOUT_HINT = "pass err_on_exit=False to get the exit code, stdout and stderr as a result"


def test_a_nonzero_exit_gives_code_stderr_and_the_users_command() -> None:
    text = "command ''ls' (args=-l nope)' exited with nonzero code 2 -- stderr='no such\n'"
    error = error_of(exec_(command="ls", args=["-l", "nope"]), text)
    assert type(error) is cocalc_api.ExecError
    assert (error.message, error.method) == (text, "system.exec")
    assert (error.command, error.exit_code, error.stderr) == ("ls -l nope", 2, "no such\n")
    assert error.program_not_found is False
    assert str(error).startswith(
        "command 'ls -l nope' exited with nonzero code 2 -- stderr='no such\n'"
    )


def test_a_nonzero_exit_says_stdout_is_not_in_the_text_and_how_to_get_it() -> None:
    # The command printed to stdout and exited 3: the service's text holds neither stdout nor
    # a way to get it.
    text = "command 'echo out; exit 3' exited with nonzero code 3 -- stderr=''"
    error = error_of(exec_(command="echo out; exit 3"), text)
    assert isinstance(error, cocalc_api.ExecError)
    assert (error.exit_code, error.stderr, error.stdout) == (3, "", None)
    assert error.message == text
    assert "carries no stdout" in str(error) and NO_STDOUT_HINT in str(error)


def test_the_cli_words_the_hint_as_flags() -> None:
    from cocalc_api.cli._wording import CLI

    text = "command 'echo out; exit 3' exited with nonzero code 3 -- stderr=''"
    with speaking(CLI):
        error = error_of(exec_(command="echo out; exit 3"), text)
    assert "--no-err-on-exit" in str(error) and "err_on_exit=False" not in str(error)


@pytest.mark.parametrize(
    ("options", "stderr", "shown"),
    [
        # the script's line 2 is the command's line 1 (line 1 is the ulimit)
        (
            {"command": "echo out; nope_x"},
            "/tmp/cocalc-AgR489/a.sh: line 2: nope_x: command not found\n",
            "'echo out; nope_x': line 1: nope_x: command not found\n",
        ),
        # without a time limit there is no ulimit line
        (
            {"command": "nope_x 1", "timeout": 0},
            "/tmp/cocalc-AgR489/a.sh: line 1: nope_x: command not found\n",
            "'nope_x 1': line 1: nope_x: command not found\n",
        ),
        (
            {"command": "nope_x 1", "ulimit_timeout": False, "timeout": 9},
            "/tmp/cocalc-AgR489/a.sh: line 1: nope_x: command not found\n",
            "'nope_x 1': line 1: nope_x: command not found\n",
        ),
        # a long or many-line command is named by the start of its first line
        (
            {"command": "set -e\ncd build\nmake all"},
            "/tmp/cocalc-x1Y2z3/a.sh: line 4: make: command not found\n",
            "'set -e…': line 3: make: command not found\n",
        ),
    ],
)
def test_the_temporary_script_is_shown_as_the_users_command(
    options: dict[str, Any], stderr: str, shown: str
) -> None:
    text = f"command '{options['command']}' exited with nonzero code 127 -- stderr='{stderr}'"
    error = error_of(exec_(**options), text)
    assert isinstance(error, cocalc_api.ExecError)
    assert f"stderr='{shown}'" in str(error) and "/tmp/cocalc-" not in str(error)
    assert error.message == text and error.stderr == stderr  # the server's words stay


def test_a_long_exec_command_keeps_the_stderr_in_the_tail_of_str() -> None:
    command = "echo " + "a" * 20_000
    text = f"command '{command}' exited with nonzero code 1 -- stderr='the reason'"
    error = error_of(exec_(command=command), text)
    assert isinstance(error, cocalc_api.ExecError)
    assert (error.message, error.command, error.stderr) == (text, command, "the reason")
    assert len(str(error)) < 5_000 and "stderr='the reason'" in str(error)[-1500:]


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
    assert str(error).startswith("program not found: nope")
    assert "home folder" in str(error)  # where it ran: no path or cwd given
    assert error.program_not_found is True and error.folder is None
    # A field like the others: it travels with the exception and is among its fields.
    copy = pickle.loads(pickle.dumps(error))
    assert copy.program_not_found is True and str(copy) == str(error)
    assert error.fields() == {
        "message": text,
        "method": "system.exec",
        "command": "nope x",
        "exit_code": 1,
        "stdout": None,
        "stderr": spawn,
        "program_not_found": True,
        "folder": None,
    }


@pytest.mark.parametrize("wording", ["exited with nonzero code 1", "was not able to run"])
def test_a_missing_folder_or_program_names_both_and_the_folder(wording: str) -> None:
    # node's spawn says `spawn ls ENOENT` for a missing cwd too: both are possible.
    text = f"command ''ls' (args=)' {wording} -- stderr='{SPAWN_LS}'"
    error = error_of(exec_(command="ls", path="nope"), text)
    assert isinstance(error, cocalc_api.ExecError)
    assert "'ls' was not found, or the folder 'nope'" in str(error)
    assert "does not exist" in str(error) and error.folder == "nope"
    assert error.message == text


def test_cwd_is_the_folder_named_as_the_service_prefers_it() -> None:
    text = f"command ''ls' (args=)' was not able to run -- stderr='{SPAWN_LS}'"
    error = error_of(exec_(command="ls", path="a", cwd="/tmp/b"), text)
    assert isinstance(error, cocalc_api.ExecError)
    assert "the folder '/tmp/b'" in str(error) and error.folder == "/tmp/b"


def test_under_bash_a_spawn_error_in_a_missing_folder_names_the_folder_not_bash() -> None:
    # `ls -la` runs under bash: bash is there, so the folder is what is missing.
    text = f"command 'ls -la' exited with nonzero code 1 -- stderr='{SPAWN_BASH}'"
    error = error_of(exec_(command="ls -la", path="nope"), text)
    assert isinstance(error, cocalc_api.ExecError)
    assert str(error).startswith("the folder 'nope' does not exist")
    assert "program not found" not in str(error) and error.program_not_found is False


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
    not_run = f"command ''nope' (args=)' was not able to run -- stderr='{stderr}'"
    exited = f"command ''nope' (args=)' exited with nonzero code 1 -- stderr='{stderr}'"
    for text in (not_run, exited):
        error = error_of(exec_(command="nope"), text)
        assert isinstance(error, cocalc_api.ExecError)
        assert error.program_not_found is (explanation is not None)
        if explanation is not None:
            assert str(error).startswith(explanation)
    if explanation is None:
        assert str(error_of(exec_(command="nope"), not_run)) == not_run
        assert str(error_of(exec_(command="nope"), exited)).startswith(
            "command 'nope' exited with nonzero code 1"
        )


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


def test_a_killed_bash_command_is_named_as_given_not_by_its_script() -> None:
    # Project(timeout=4) becomes exec's own limit (README: "becomes exec's command limit").
    text = "killed command 'bash /tmp/cocalc-Ab12Cd/a.sh'"
    error = error_of(exec_(command="sleep 9"), text, timeout=4)
    assert isinstance(error, cocalc_api.ExecTimeoutError)
    assert error.timeout == 4.0 and "time limit of 4 s" in str(error)
    assert "'sleep 9'" in str(error) and "/tmp/cocalc-" not in str(error)
    assert error.message == text


def test_the_cli_says_its_flag_for_a_longer_limit() -> None:
    from cocalc_api.cli._wording import CLI

    with speaking(CLI):
        error = error_of(exec_(command="sleep 9", timeout=3), "killed command 'bash /x/a.sh'")
    assert "--timeout" in str(error) and "timeout=..." not in str(error)
    assert "jobs run" in str(error)


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
