"""system.exec in blocking mode: every option, against real processes."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import tempfile
from pathlib import Path

from .conftest import Api
from .polling import wait_gone


def test_echo_blocking_result(api: Api) -> None:
    assert api.exec(command="echo 'hello from cocalc'") == {
        "type": "blocking",
        "stdout": "hello from cocalc\n",
        "stderr": "",
        "exit_code": 0,
    }


def test_command_with_whitespace_and_no_args_runs_under_bash(api: Api) -> None:
    assert api.exec(command="echo $((6 * 7)) | tr 4 X")["stdout"] == "X2\n"


def test_command_with_args_runs_without_a_shell(api: Api) -> None:
    assert api.exec(command="echo", args=["$HOME", "a  b"])["stdout"] == "$HOME a  b\n"


def test_bash_flag_with_args_quotes_the_args(api: Api) -> None:
    result = api.exec(command="printf", args=["[%s]", "a b", "$HOME"], bash=True)
    assert result["stdout"] == "[a b][$HOME]"


def test_runs_in_home_by_default_with_home_set(api: Api) -> None:
    root = api.server.root
    assert api.exec(command="pwd")["stdout"] == f"{root}\n"
    assert api.exec(command="echo $HOME")["stdout"] == f"{root}\n"


def test_path_is_relative_to_home_and_cwd_overrides_it(api: Api) -> None:
    root = api.server.root
    api.exec(command="mkdir -p sub/deeper other")
    assert api.exec(command="pwd", path="sub")["stdout"] == f"{root}/sub\n"
    assert api.exec(command="pwd", path=f"{root}/sub/deeper")["stdout"] == f"{root}/sub/deeper\n"
    assert api.exec(command="pwd", cwd=f"{root}/other")["stdout"] == f"{root}/other\n"
    assert api.exec(command="pwd", path="sub", cwd=f"{root}/other")["stdout"] == f"{root}/other\n"


def test_paths_outside_the_project_are_refused(api: Api) -> None:
    root = Path(api.server.root)
    os.symlink("/", root / "escape-link")
    marker = root / "should-not-exist"
    for opts in (
        {"path": ".."},
        {"path": "/etc"},
        {"path": "escape-link"},
        {"cwd": "/tmp"},
        {"path": "sub", "cwd": "/"},
    ):
        result = api.exec(command="touch", args=[str(marker)], **opts)
        assert result["error"].startswith("Error: path "), result
        assert "outside of the project folder" in result["error"]
    assert not marker.exists()


def test_env_is_merged_over_the_environment(api: Api) -> None:
    result = api.exec(
        command='echo "$GREETING $ANSWER $COCALC_PROJECT_ID" && test -n "$PATH"',
        env={"GREETING": "hi", "ANSWER": 42},
    )
    assert result["stdout"] == f"hi 42 {api.server.project_id}\n"


def test_env_values_become_strings_as_javascript_makes_them(api: Api) -> None:
    # Node's spawn writes each pair as `${key}=${value}` (ECMAScript String(): shortest
    # round-trip digits, arrays joined with commas and null as empty inside them).
    env = {"F": 0.1, "E": 1e-7, "G": 1e21, "I": 2.0, "N": None, "L": [1, None, "a"], "B": True}
    result = api.exec(command='printf \'%s|\' "$F" "$E" "$G" "$I" "$N" "$L" "$B"', env=env)
    assert result["stdout"] == "0.1|1e-7|1e+21|2|null|1,,a|true|"


def test_max_output_caps_stdout_and_stderr_with_suffix(api: Api) -> None:
    result = api.exec(command="printf 0123456789; printf abcdefghij >&2", max_output=4)
    assert result["stdout"] == "0123 (truncated at 4 characters)"
    assert result["stderr"] == "abcd (truncated at 4 characters)"
    short = api.exec(command="printf ab", max_output=4)
    assert short["stdout"] == "ab"


def test_nonzero_exit_is_an_error_with_code_and_stderr(api: Api) -> None:
    result = api.exec(command="echo oops >&2; exit 42")
    assert result == {
        "error": "command 'echo oops >&2; exit 42' exited with nonzero code 42 -- stderr='oops\n'"
    }


def test_nonzero_exit_with_args_names_program_and_args(api: Api) -> None:
    result = api.exec(command="ls", args=["/definitely/not/here"])
    assert result["error"].startswith(
        "command ''ls' (args=/definitely/not/here)' exited with nonzero code 2 -- stderr='ls:"
    )


def test_stderr_in_error_is_cut_at_1024_characters(api: Api) -> None:
    result = api.exec(
        command="python3 -c \"import sys; sys.stderr.write('x' * 3000); sys.exit(3)\""
    )
    stderr = result["error"].split("stderr='", 1)[1][:-1]
    assert stderr == "x" * 1023 + "…"


def test_err_on_exit_false_returns_the_exit_code(api: Api) -> None:
    result = api.exec(command="echo out; echo err >&2; exit 42", err_on_exit=False)
    assert result == {"type": "blocking", "stdout": "out\n", "stderr": "err\n", "exit_code": 42}


def test_missing_program_is_an_error(api: Api) -> None:
    result = api.exec(command="no-such-program-xyz")
    assert result["error"].startswith("command ''no-such-program-xyz' (args=)' exited with nonzero")
    assert '"code":"ENOENT"' in result["error"]


def test_timeout_kills_the_whole_process_group(api: Api) -> None:
    root = Path(api.server.root)
    result = api.exec(command="sleep 30 & echo $! > child.pid; wait", timeout=1)
    # execute-code.ts names the spawned program: bash and the script Node's mkdtemp made.
    script = re.escape(tempfile.gettempdir()) + r"/cocalc-[A-Za-z0-9]{6}/a\.sh"
    assert re.fullmatch(f"killed command 'bash {script}'", result["error"]), result
    wait_gone(int((root / "child.pid").read_text()))


def test_timeout_message_names_command_and_args(api: Api) -> None:
    assert api.exec(command="sleep", args=["10"], timeout=1) == {
        "error": "killed command 'sleep 10'"
    }


def test_invalid_options_are_errors(api: Api) -> None:
    # The spec's schema check names the method and, per form of system.exec (a command to
    # run, a job to poll), the rule broken (dispatch.py, checked_args).
    not_a_poll = "args[0] must contain ['async_get'] properties"
    assert api.exec(command="echo", args="not a list") == {
        "error": f"Error: system.exec: args[0].args must be array / {not_a_poll}"
    }
    assert api.exec(args=["x"]) == {
        "error": f"Error: system.exec: args[0] must contain ['command'] properties / {not_a_poll}"
    }
    assert api.exec(command="true", timeout=-1) == {
        "error": f"Error: system.exec: args[0].timeout must be bigger than or equal to 0 / {not_a_poll}"
    }


# -- fidelity details from src/packages/backend/execute-code.ts and project/exec_shell_code.ts --


def _inherited_cpu_limit() -> str:
    # The server is our child: without its own `ulimit -t` line a command sees our limit.
    soft, _ = resource.getrlimit(resource.RLIMIT_CPU)
    return "unlimited\n" if soft == resource.RLIM_INFINITY else f"{soft}\n"


def test_bash_commands_get_a_cpu_ulimit_of_the_timeout_rounded_up(api: Api) -> None:
    assert api.exec(command="ulimit -t", timeout=2.5)["stdout"] == "3\n"
    # The default timeout is 60 s (PROJECT_EXEC_DEFAULT_TIMEOUT_S).
    assert api.exec(command="ulimit -t")["stdout"] == "60\n"


def test_ulimit_timeout_false_drops_the_cpu_ulimit(api: Api) -> None:
    result = api.exec(command="ulimit -t", timeout=5, ulimit_timeout=False)
    assert result["stdout"] == _inherited_cpu_limit()


def test_only_bash_mode_gets_the_ulimit(api: Api) -> None:
    result = api.exec(command="bash", args=["-c", "ulimit -t"], timeout=5)
    assert result["stdout"] == _inherited_cpu_limit()


def test_timeout_zero_means_no_time_limit_and_no_ulimit(api: Api) -> None:
    # Still running after a moment: a zero limit must not kill it at once.
    result = api.exec(command="sleep 1; ulimit -t", timeout=0)
    assert result == {
        "type": "blocking",
        "stdout": _inherited_cpu_limit(),
        "stderr": "",
        "exit_code": 0,
    }


def test_home_does_not_move_the_working_folder_but_anchors_a_relative_path(api: Api) -> None:
    root = api.server.root
    api.exec(command="mkdir -p h1/inner h2")
    # No path: handleExecShellCode passes abspath("") = HOME; `home` is not used.
    assert api.exec(command="pwd", home=f"{root}/h1")["stdout"] == f"{root}\n"
    # A relative path: executeCode joins it onto `home`.
    assert (
        api.exec(command="pwd", home=f"{root}/h1", path="inner")["stdout"] == f"{root}/h1/inner\n"
    )
    # An empty path is `home` + "/".
    assert api.exec(command="pwd", home=f"{root}/h1", path="")["stdout"] == f"{root}/h1\n"
    # An absolute path ignores `home`; a non-empty cwd wins over both.
    assert api.exec(command="pwd", home=f"{root}/h1", path=f"{root}/h2")["stdout"] == f"{root}/h2\n"
    result = api.exec(command="pwd", home=f"{root}/h1", path="inner", cwd=f"{root}/h2")
    assert result["stdout"] == f"{root}/h2\n"
    # An empty cwd is falsy in JavaScript: it does not override.
    assert api.exec(command="pwd", path="h2", cwd="")["stdout"] == f"{root}/h2\n"


def test_an_id_is_echoed_first_in_the_result(api: Api) -> None:
    result = api.exec(command="echo hi", id="call-7")
    assert list(result) == ["id", "type", "stdout", "stderr", "exit_code"]
    assert result == {
        "id": "call-7",
        "type": "blocking",
        "stdout": "hi\n",
        "stderr": "",
        "exit_code": 0,
    }
    assert api.exec(command="true", id=12)["id"] == 12
    assert "id" not in api.exec(command="true")


def test_bash_with_args_quotes_them_as_npm_shell_escape_does(api: Api) -> None:
    # The error text shows the command line executeCode built: shell-escape quotes any word
    # with a character outside [A-Za-z0-9_/-] (Python's shlex.join would leave nonexist.y bare).
    local = subprocess.run(
        ["ls", "nonexist.y"], check=False, cwd=api.server.root, capture_output=True, text=True
    )
    result = api.exec(command="ls", args=["nonexist.y"], bash=True)
    assert result == {
        "error": f"command 'ls 'nonexist.y'' exited with nonzero code {local.returncode} -- "
        f"stderr='{local.stderr}'"
    }


def test_bash_with_args_drops_empty_args_and_keeps_quotes(api: Api) -> None:
    result = api.exec(command="printf", args=["[%s]", "", "it's", "a b"], bash=True)
    assert result["stdout"] == "[it's][a b]"


def test_a_compute_server_id_forwards_and_none_is_connected(api: Api) -> None:
    marker = Path(api.server.root) / "ran-on-home-base"
    expected = {"error": "Error: no connection to compute server -- please start or restart it"}
    assert api.exec(command="touch", args=[str(marker)], compute_server_id=3) == expected
    assert api.exec(async_get="any", compute_server_id=3) == expected
    assert not marker.exists()
    # 0 is the home base itself.
    assert api.exec(command="touch", args=[str(marker)], compute_server_id=0)["exit_code"] == 0
    assert marker.exists()


def test_killed_command_without_args_keeps_the_trailing_space(api: Api) -> None:
    # `killed command '${command} ${args.join(" ")}'`: no args leaves the space. The stdin
    # pipe stays open (Node's default stdio), so cat waits until it is killed.
    assert api.exec(command="cat", timeout=1) == {"error": "killed command 'cat '"}


def test_nonzero_exit_of_a_command_without_args(api: Api) -> None:
    assert api.exec(command="false") == {
        "error": "command ''false' (args=)' exited with nonzero code 1 -- stderr=''"
    }
