"""The local server's wire texts, checked in-process against the real service's.

Every expected text is written out from docs/wire-protocol.md (§1 the envelope, §2 the error texts, §3
exec) or from the CoCalc source it names: src/packages/backend/execute-code.ts (exec's messages,
`trunc`), src/packages/util/consts/project.ts (PROJECT_EXEC_DEFAULT_TIMEOUT_S = 60),
src/packages/conat/names.ts (the subject), src/packages/server/api/project-bridge.ts (callHub).
These are the functions the server answers with; tests/server/ checks the same over sockets.
"""

from __future__ import annotations

import base64
import json

import pytest

from cocalc_project_server.auth import api_key_from_header, authenticate, check_project
from cocalc_project_server.envelope import (
    nonpositive_timeout_message,
    parse_envelope,
    timeout_message,
    unreachable_message,
)
from cocalc_project_server.errors import BodyRefused, ProjectError, WireError, wire_message
from cocalc_project_server.exec_command import (
    ExecOptions,
    PreparedCommand,
    js_trunc,
    killed_message,
    nonzero_message,
    not_run_message,
    parse_exec_options,
    prepare_command,
    truncation_suffix,
    working_folder,
)

PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
KEY = "sk-local-key"


def basic(user: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:".encode()).decode()


# -- the envelope (docs/wire-protocol.md §1) -----------------------------------------------------------


def test_an_envelope_without_timeout_gets_15000_ms() -> None:
    envelope = parse_envelope(b'{"name": "system.ping"}')
    assert envelope.timeout_ms == 15000
    assert envelope.args == [] and envelope.project_id is None
    assert envelope.compute_server_id == 0


def test_an_envelope_keeps_its_fields() -> None:
    body = {
        "name": "system.exec",
        "args": [{"command": "ls"}],
        "project_id": PROJECT,
        "timeout": 30000,
        "compute_server_id": 2,
    }
    envelope = parse_envelope(json.dumps(body).encode())
    assert (envelope.name, envelope.args, envelope.project_id) == (
        "system.exec",
        [{"command": "ls"}],
        PROJECT,
    )
    assert (envelope.timeout_ms, envelope.compute_server_id) == (30000, 2)


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [(None, 0), (False, 0), (-5, 0), (0, 0), (1.5, 1.5), (90000, 90000)],
)
def test_a_timeout_the_hub_refuses_becomes_0(timeout: object, expected: float) -> None:
    # JavaScript's default replaces only undefined; null, false and <= 0 reach `timeout <= 0`.
    body = json.dumps({"name": "system.ping", "timeout": timeout}).encode()
    assert parse_envelope(body).timeout_ms == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1]", "request body must be a JSON object"),
        (b'{"args": []}', "'name' must be a non-empty string such as 'system.ping'"),
        (b'{"name": ""}', "'name' must be a non-empty string such as 'system.ping'"),
        (b'{"name": 5}', "'name' must be a non-empty string such as 'system.ping'"),
        (b'{"name": "a.b", "args": {}}', "'args' must be a JSON array of positional arguments"),
        (b'{"name": "a.b", "timeout": "9"}', "'timeout' must be a positive number of millisecond"),
        (b'{"name": "a.b", "timeout": true}', "'timeout' must be a positive number of millisecond"),
        (b'{"name": "a.b", "compute_server_id": 1.5}', "'compute_server_id' must be an integer"),
        (b'{"name": "a.b", "compute_server_id": "1"}', "'compute_server_id' must be an integer"),
        (b'{"name": "a.b", "compute_server_id": true}', "'compute_server_id' must be an integer"),
        (b"[" * 100000 + b"]" * 100000, "request body is nested too deeply to parse"),
    ],
)
def test_a_bad_envelope_is_refused_with_a_clear_text(body: bytes, message: str) -> None:
    with pytest.raises(WireError) as raised:
        parse_envelope(body)
    assert raised.value.message.startswith(message)
    assert str(raised.value) == raised.value.message


def test_the_hubs_timeout_texts_end_with_a_space() -> None:
    subject = f"project.{PROJECT}.0.api.-"
    assert timeout_message(PROJECT, "system.exec") == (
        f"timeout - callHub: subject='{subject}', name='system.exec', code='408' "
    )
    assert nonpositive_timeout_message(PROJECT, "system.ping") == (
        f"timeout must be positive - callHub: subject='{subject}', name='system.ping', "
        "code='undefined' "
    )
    assert unreachable_message(PROJECT, "system.ping", 3) == (
        f"request -- no subscribers matching 'project.{PROJECT}.3.api.-' - callHub: "
        f"subject='project.{PROJECT}.3.api.-', name='system.ping', code='503' "
    )


# -- errors on the wire (docs/wire-protocol.md §2) -----------------------------------------------------


def test_a_thrown_error_gets_the_error_prefix_and_a_wire_error_none() -> None:
    assert wire_message(ProjectError("boom")) == "Error: boom"
    assert wire_message(ValueError("bad")) == "Error: bad"
    assert wire_message(WireError("killed command 'x '")) == "killed command 'x '"


# -- authentication (docs/wire-protocol.md §1, §2) -----------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "   "])
def test_no_key_is_the_services_text(header: str | None) -> None:
    with pytest.raises(WireError) as raised:
        authenticate(header, KEY)
    assert raised.value.message == "You must provide authentication via an API key."


@pytest.mark.parametrize("header", [basic("sk-other"), "Bearer sk-other", "Basic !!!", "Bearer"])
def test_a_wrong_key_is_the_services_text(header: str) -> None:
    with pytest.raises(WireError) as raised:
        authenticate(header, KEY)
    assert raised.value.message == "must sign in as project or account"


def test_an_unknown_scheme_is_named() -> None:
    with pytest.raises(WireError) as raised:
        authenticate("Digest abc", KEY)
    assert raised.value.message == "Unknown authorization type 'Digest'"


@pytest.mark.parametrize(
    "header",
    [basic(KEY), f"Bearer {KEY}", "Basic " + base64.b64encode(f"{KEY}:pw".encode()).decode()],
)
def test_the_key_is_accepted_as_basic_user_name_or_bearer(header: str) -> None:
    authenticate(header, KEY)
    assert api_key_from_header(header) == KEY


def test_a_project_scoped_key_may_omit_the_project_but_not_name_another() -> None:
    check_project(None, PROJECT)
    check_project("", PROJECT)
    check_project(PROJECT, PROJECT)
    with pytest.raises(WireError) as raised:
        check_project("00000000-0000-4000-8000-000000000000", PROJECT)
    assert raised.value.message == "project specific api key must match requested project"


# -- exec (docs/wire-protocol.md §3, execute-code.ts) --------------------------------------------------


def test_exec_options_default_to_60_s_and_errors_on_exit() -> None:
    options = parse_exec_options({"command": "ls"})
    assert options.timeout_s == 60
    assert (options.args, options.path, options.cwd, options.home) == ((), None, None, None)
    assert (options.bash, options.async_call) == (False, False)
    assert (options.err_on_exit, options.ulimit_timeout) == (True, True)
    assert options.max_output is None and dict(options.env) == {}


def test_exec_options_are_read_as_given() -> None:
    options = parse_exec_options(
        {
            "command": "ls",
            "args": ["-l"],
            "path": "sub",
            "cwd": "/tmp",
            "home": "h",
            "timeout": 5,
            "max_output": 100,
            "bash": True,
            "env": {"A": 1, "B": True},
            "async_call": True,
            "err_on_exit": False,
            "ulimit_timeout": False,
        }
    )
    assert options == ExecOptions(
        command="ls",
        args=("-l",),
        path="sub",
        cwd="/tmp",
        home="h",
        timeout_s=5.0,
        max_output=100,
        bash=True,
        env={"A": "1", "B": "true"},
        async_call=True,
        err_on_exit=False,
        ulimit_timeout=False,
    )


def _prepared(program: str, *argv: str, original: str = "") -> PreparedCommand:
    return PreparedCommand(program, tuple(argv), "/home/user", {}, original)


def test_a_killed_command_without_args_keeps_the_space() -> None:
    # execute-code.ts: `killed command '${opts.command} ${opts.args?.join(" ")}'`
    assert killed_message(_prepared("cat")) == "killed command 'cat '"
    assert killed_message(_prepared("sleep", "100")) == "killed command 'sleep 100'"
    assert killed_message(_prepared("sleep", "1", "2")) == "killed command 'sleep 1 2'"
    # A whitespace command runs as a bash script, which is what the text names.
    script = _prepared("bash", "/tmp/cocalc-x/a.sh", original="sleep 100")
    assert killed_message(script) == "killed command 'bash /tmp/cocalc-x/a.sh'"


def test_a_nonzero_exit_names_the_program_and_its_args() -> None:
    assert nonzero_message(_prepared("false"), 1, "") == (
        "command ''false' (args=)' exited with nonzero code 1 -- stderr=''"
    )
    assert nonzero_message(_prepared("ls", "-l", "x"), 2, "no such file\n") == (
        "command ''ls' (args=-l x)' exited with nonzero code 2 -- stderr='no such file\n'"
    )
    # ... and bash mode names the script as the user gave it.
    script = _prepared("bash", "/tmp/a.sh", original="exit 3")
    assert nonzero_message(script, 3, "e") == (
        "command 'exit 3' exited with nonzero code 3 -- stderr='e'"
    )


def test_stderr_in_an_error_is_cut_at_1024_characters() -> None:
    text = nonzero_message(_prepared("x"), 1, "e" * 2000)
    stderr = text.split("stderr='", 1)[1][:-1]
    assert len(stderr) == 1024 and stderr == "e" * 1023 + "…"
    exact = nonzero_message(_prepared("x"), 1, "e" * 1024)
    assert exact.endswith("e" * 1024 + "'")
    assert not_run_message(_prepared("nope"), "e" * 1025).endswith("e" * 1023 + "…'")


def test_a_program_that_cannot_start_is_named() -> None:
    assert not_run_message(_prepared("nope", "a"), "spawn nope ENOENT") == (
        "command ''nope' (args=a)' was not able to run -- stderr='spawn nope ENOENT'"
    )


def test_trunc_is_cocalcs() -> None:
    # src/packages/util/misc.ts trunc: at most max_length characters, the last an ellipsis.
    assert js_trunc("abcdef", 6) == "abcdef"
    assert js_trunc("abcdefg", 6) == "abcde…"
    assert js_trunc("", 1) == ""


def test_output_that_fills_max_output_is_marked() -> None:
    assert truncation_suffix("abc", 3) == "abc (truncated at 3 characters)"
    assert truncation_suffix("abcd", 3) == "abcd (truncated at 3 characters)"
    assert truncation_suffix("ab", 3) == "ab"
    assert truncation_suffix("abc", None) == "abc"


def test_a_whitespace_command_runs_as_a_bash_script_with_a_cpu_limit(tmp_path: object) -> None:
    import pathlib

    root = pathlib.Path(str(tmp_path))
    made: list[str] = []
    removed: list[str] = []

    def folder() -> str:
        path = root / f"script{len(made)}"
        path.mkdir()
        made.append(str(path))
        return str(path)

    options = parse_exec_options({"command": "sleep 100", "timeout": 2.5})
    prepared = prepare_command(options, str(root), {"HOME": str(root)}, folder, removed.append)
    script = pathlib.Path(made[0]) / "a.sh"
    assert (prepared.program, prepared.argv) == ("bash", (str(script),))
    assert script.read_text() == "ulimit -t 3\nsleep 100"
    assert prepared.display == "sleep 100"
    assert killed_message(prepared) == f"killed command 'bash {script}'"
    prepared.cleanup()
    assert removed == [made[0]]

    # timeout 0 or ulimit_timeout false: no CPU limit.
    for raw in ({"command": "a b", "timeout": 0}, {"command": "a b", "ulimit_timeout": False}):
        prepared = prepare_command(parse_exec_options(raw), str(root), {}, folder, removed.append)
        assert pathlib.Path(prepared.argv[0]).read_text() == "a b"

    # A program with args runs as it is, with its environment merged over the base.
    plain = prepare_command(
        parse_exec_options({"command": "ls", "args": ["-l"], "env": {"A": "2"}}),
        str(root),
        {"A": "1", "B": "1"},
        folder,
        removed.append,
    )
    assert (plain.program, plain.argv, plain.original_command) == ("ls", ("-l",), "")
    assert dict(plain.env) == {"A": "2", "B": "1"}
    assert plain.cwd == str(root)

    # bash with args: the command line is shell-escaped into one script.
    escaped = prepare_command(
        parse_exec_options({"command": "echo", "args": ["a b"], "bash": True, "timeout": 0}),
        str(root),
        {},
        folder,
        removed.append,
    )
    assert escaped.original_command == "echo 'a b'"
    assert pathlib.Path(escaped.argv[0]).read_text() == "echo 'a b'"


# execute-code.ts: `opts.command.split(/\s+/g)` with more than one part (and no args) runs the
# command as a bash script. JavaScript's \s (ECMA-262 WhiteSpace and LineTerminator) is not
# Python's: it has U+FEFF and lacks the separators U+001C-U+001F and U+0085.
JS_WHITESPACE = ["\t", "\n", "\v", "\f", "\r", " ", "\u00a0", "\u1680", "\u2000", "\u200a"]
JS_WHITESPACE += ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff"]
NOT_JS_WHITESPACE = ["\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u180e", "\u200b"]


@pytest.mark.parametrize(
    ("space", "bash"),
    [(c, True) for c in JS_WHITESPACE] + [(c, False) for c in NOT_JS_WHITESPACE],
    ids=lambda value: f"U+{ord(value):04X}" if isinstance(value, str) else str(value),
)
def test_a_command_with_javascript_whitespace_runs_as_a_bash_script(
    tmp_path: object, space: str, bash: bool
) -> None:
    root = str(tmp_path)
    command = f"echo{space}hi"
    prepared = prepare_command(
        parse_exec_options({"command": command, "timeout": 0}),
        root,
        {},
        lambda: root,
        lambda folder: None,
    )
    if bash:
        assert (prepared.program, prepared.argv) == ("bash", (f"{root}/a.sh",))
        assert prepared.display == command
    else:
        assert (prepared.program, prepared.argv) == (command, ())


def test_the_working_folder_follows_handle_exec_shell_code(tmp_path: object) -> None:
    import pathlib

    root = pathlib.Path(str(tmp_path))
    (root / "sub").mkdir()
    (root / "h" / "sub").mkdir(parents=True)
    base = {"command": "ls"}
    assert working_folder(parse_exec_options(base), str(root)) == str(root)
    # home without path: HOME, whatever home says.
    assert working_folder(parse_exec_options({**base, "home": "h"}), str(root)) == str(root)
    assert working_folder(parse_exec_options({**base, "path": "sub"}), str(root)) == str(
        root / "sub"
    )
    assert working_folder(
        parse_exec_options({**base, "path": "sub", "home": "h"}), str(root)
    ) == str(root / "h" / "sub")
    # a non-empty cwd wins over path.
    assert working_folder(
        parse_exec_options({**base, "path": "sub", "cwd": str(root / "h")}), str(root)
    ) == str(root / "h")


def test_basic_credentials_are_decoded_as_node_does() -> None:
    # src/packages/server/auth/api.ts: Buffer.from(user, "base64").toString().split(":")[0]:
    # characters outside base64 are skipped, and the key ends at the first colon.
    encoded = base64.b64encode(f"{KEY}:pass:word".encode()).decode()
    lenient = encoded[:4] + "!" + encoded[4:]
    assert api_key_from_header(f"Basic {lenient}") == KEY
    authenticate(f"Basic {lenient}", KEY)
    assert api_key_from_header("Basic") == ""  # no credentials: an empty key
    with pytest.raises(WireError) as raised:
        authenticate("bearer " + KEY, KEY)
    assert raised.value.message == "Unknown authorization type 'bearer'"


def test_the_bash_script_is_private_and_keeps_any_text(tmp_path: object) -> None:
    import pathlib
    import stat

    root = pathlib.Path(str(tmp_path))
    folder = root / "s"
    folder.mkdir()
    # JSON can carry a lone surrogate; it is written as it came (surrogatepass).
    options = parse_exec_options({"command": "echo \udc80", "timeout": 0})
    prepared = prepare_command(options, str(root), {}, lambda: str(folder), lambda f: None)
    script = folder / "a.sh"
    assert prepared.argv == (str(script),)
    assert script.read_bytes() == b"echo \xed\xb2\x80"
    # execute-code.ts: chmod 0o700, the owner's alone.
    assert stat.S_IMODE(script.stat().st_mode) == 0o700


def test_a_script_that_cannot_be_written_leaves_no_folder(tmp_path: object) -> None:
    import pathlib

    root = pathlib.Path(str(tmp_path))
    removed: list[str] = []
    missing = str(root / "gone")  # the folder is not there: writing a.sh fails
    with pytest.raises(FileNotFoundError):
        prepare_command(
            parse_exec_options({"command": "a b"}), str(root), {}, lambda: missing, removed.append
        )
    assert removed == [missing]


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        # JSON has no NaN or Infinity; Python's parser would take them.
        b'{"name": "a.b", "timeout": NaN}',
        b'{"name": "a.b", "timeout": -Infinity}',
    ],
)
def test_what_json_parse_refuses_is_http_400(body: bytes) -> None:
    # next/src/server/api-utils/node/parse-body.ts: JSON.parse failing is ApiError(400).
    with pytest.raises(BodyRefused) as raised:
        parse_envelope(body)
    assert (raised.value.status, raised.value.message) == (400, "Invalid JSON")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # 1e999 is valid JSON that no float can hold
        (
            b'{"name": "a.b", "timeout": 1e999}',
            "'timeout' must be a positive number of milliseconds",
        ),
        (b'{"name": "a.b", "compute_server_id": 1e999}', "'compute_server_id' must be an integer"),
    ],
)
def test_numbers_no_float_holds_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(WireError) as raised:
        parse_envelope(body)
    assert raised.value.message == message


def test_a_whole_float_compute_server_id_is_an_integer() -> None:
    envelope = parse_envelope(b'{"name": "a.b", "compute_server_id": 3.0, "args": null}')
    assert envelope.compute_server_id == 3 and isinstance(envelope.compute_server_id, int)
    assert envelope.args == []


def test_a_password_that_is_not_utf_8_does_not_matter() -> None:
    # Buffer.toString() replaces bytes that are not UTF-8; the key before the colon counts.
    header = "Basic " + base64.b64encode(KEY.encode() + b":\xff\xfe").decode()
    assert api_key_from_header(header) == KEY


def test_a_program_with_args_runs_as_itself_even_with_spaces(tmp_path: object) -> None:
    import pathlib

    root = str(pathlib.Path(str(tmp_path)))
    options = parse_exec_options({"command": "my prog", "args": ["a b"]})
    prepared = prepare_command(options, root, {"A": "1"}, lambda: root, lambda f: None)
    assert (prepared.program, prepared.argv, prepared.cwd) == ("my prog", ("a b",), root)
    # ... and a bash script runs in the same folder with the same environment.
    script = prepare_command(
        parse_exec_options({"command": "a b", "env": {"B": "2"}}),
        root,
        {"A": "1"},
        lambda: root,
        lambda f: None,
    )
    assert script.cwd == root and dict(script.env) == {"A": "1", "B": "2"}
