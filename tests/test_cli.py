"""`cocalc-project` (docs/cli.md): built from the method table, against the local server.

The list of methods comes from the spec itself (read here with PyYAML), not from the catalog
the CLI reads; exit codes of commands come from the shell's own conventions and docs/cli.md.
Most runs are in-process (`main(argv)`); the console script itself runs where its installation
is what is tested.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cocalc_api.cli import EXIT_CODES, main
from cocalc_project_server.testing import ServerProcess, running_server
from tests.shared_generation import shared_generated
from tests.test_generator import extend

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "spec" / "project-api.yaml"
CLI = Path(sys.executable).parent / "cocalc-project"


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def spec_methods(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(namespace, python name, summary) of every method of the spec's table."""
    found = []
    for entry in spec["x-cocalc-methods"]:
        namespace, function = entry["wire"].split(".", 1)
        found.append((namespace, entry.get("python") or snake(function), entry["summary"]))
    return found


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server(kernel_pool_size=0) as server:
        yield server


@pytest.fixture
def env(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    settings = {
        "COCALC_API_KEY": server.api_key,
        "COCALC_HOST": server.url,
        "COCALC_PROJECT_ID": server.project_id,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cocalc-project: ") and "Traceback" not in err
    return lines[0]


# -- built from the spec -------------------------------------------------------------------


def test_help_of_the_installed_command_lists_every_spec_method(spec: dict[str, Any]) -> None:
    result = subprocess.run(
        [str(CLI), "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    listed = " ".join(result.stdout.split())  # the help wraps long lines
    methods = spec_methods(spec)
    assert len(methods) == len(spec["x-cocalc-methods"]) >= 26
    for namespace, python, _ in methods:
        assert f"{namespace} {python.replace('_', '-')} " in listed, (namespace, python)
    for short in ("exec", "jupyter", "ping", "jobs"):
        assert re.search(rf"^  {short}\s", result.stdout, re.MULTILINE), short


def test_every_method_has_help_from_its_docstring(
    spec: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    for namespace, python, summary in spec_methods(spec):
        for name in (python.replace("_", "-"), python):  # both spellings are accepted
            code, out, err = run(capsys, namespace, name, "--help")
            assert code == 0, err
            assert " ".join(summary.split()) in " ".join(out.split()), (namespace, name)


def test_parameters_follow_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "system", "exec", "--help")
    assert code == 0
    assert "Usage: cocalc-project system exec [OPTIONS] COMMAND" in out
    for option in (
        "--command TEXT",
        "--timeout FLOAT RANGE",
        "--max-output INTEGER RANGE",
        "--env JSON",
        "--args JSON",
        "--bash / --no-bash",
        "--err-on-exit / --no-err-on-exit",
    ):
        assert option in out, option
    code, out, _ = run(capsys, "system", "configuration", "--help")
    assert "--aspect [main|x11]" in out and "--no-cache / --cache" in out
    # Values are checked by their schema before anything is sent.
    code, _, err = run(capsys, "system", "configuration", "mars")
    assert code == 2 and "'mars' is not one of 'main', 'x11'" in one_error_line(err)
    code, _, err = run(capsys, "system", "exec", "ls", "--max-output", "-1")
    assert code == 2 and "--max-output" in one_error_line(err)
    code, _, err = run(capsys, "system", "canonical-paths", "[not json")
    assert code == 2 and "not valid JSON" in one_error_line(err)


@pytest.mark.timeout(90)
def test_a_method_added_to_the_spec_gets_its_subcommand(
    spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, server: ServerProcess
) -> None:
    # tests/test_generator.py's made-up methods, not in any handwritten file (generated once
    # for the run, shared with test_generator.py).
    out = shared_generated(tmp_path_factory, extend(spec))
    env = {
        **os.environ,
        "PYTHONPATH": str(out),  # the new generated package shadows the committed one
        "COCALC_API_KEY": server.api_key,
        "COCALC_HOST": server.url,
        "COCALC_PROJECT_ID": server.project_id,
    }

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cocalc_api.cli", *argv],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    listed = " ".join(cli("--help").stdout.split())
    assert "system file-hash Hash a file of the project." in listed
    assert "tasks start-task Start a task." in listed
    helped = cli("system", "file-hash", "--help")
    assert helped.returncode == 0
    assert "Usage: cocalc-project system file-hash [OPTIONS] PATH" in helped.stdout
    assert "[md5|sha1]" in helped.stdout and "The file is read in full." in helped.stdout
    # Called for real: the local server (built from the committed spec) does not know it.
    called = cli("tasks", "start-task", "--queue", "q1", "--name", "build")
    assert called.returncode == 4, called.stderr
    line = called.stderr.strip()
    assert "\n" not in line and "unknown function 'tasks.startTask'" in line


def test_exit_codes_are_documented() -> None:
    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES:
        assert re.search(rf"^\| {code} \| {re.escape(meaning)} \|$", doc, re.MULTILINE), code


# -- short forms ---------------------------------------------------------------------------


def test_exec_passes_output_through_and_exits_with_the_commands_code(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "exec", "echo out; echo err >&2; exit 3") == (3, "out\n", "err\n")
    assert run(capsys, "exec", "--", "printf", "%s|", "a b", "-c") == (0, "a b|-c|", "")
    code, out, _ = run(capsys, "exec", "--json", "echo hi")
    assert code == 0
    assert json.loads(out) == {"type": "blocking", "stdout": "hi\n", "stderr": "", "exit_code": 0}
    code, out, _ = run(capsys, "--json", "exec", "exit 7")
    assert code == 7 and json.loads(out)["exit_code"] == 7


def test_exec_errors_exit_as_a_shell_would(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "exec", "--timeout", "1", "sleep 10")
    line = one_error_line(err)
    assert code == 124 and "ExecTimeoutError" in line  # as timeout(1)
    # The advice in flags, not Python's arguments.
    assert "--timeout" in line and "jobs run" in line and "timeout=" not in line
    code, _, err = run(capsys, "exec", "no-such-program-here")
    assert code == 127 and "no-such-program-here" in one_error_line(err)  # as sh
    # node's spawn reports a missing folder as a missing program (spawn ls ENOENT).
    code, _, err = run(capsys, "exec", "--path", "nope", "--", "ls")
    assert code == 127
    assert "'ls' was not found, or the folder 'nope'" in one_error_line(err)
    # Under bash, which is there, it can only be the folder; bash's `cd nope` exits 1.
    code, _, err = run(capsys, "exec", "--path", "nope", "ls -la")
    assert code == 1 and "the folder 'nope' does not exist" in one_error_line(err)


def test_exec_errors_advise_in_flags(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "system", "exec", "echo out; nope_x; exit 3")
    line = one_error_line(err)
    assert code == 1 and "--no-err-on-exit" in line and "err_on_exit=False" not in line
    # The temporary bash script is named as the command, its lines counted from the command's.
    assert "'echo out; nope_x; exit 3': line 1: nope_x: command not found" in line
    assert "/tmp/cocalc-" not in line


def test_the_required_path_of_an_options_object_is_an_argument_too(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "system", "write-text-file-to-project", "a.txt", "--content", "hi")[0] == 0
    assert run(capsys, "system", "read-text-file-from-project", "a.txt") == (0, "hi\n", "")
    assert run(capsys, "system", "read-text-file-from-project", "--path", "a.txt")[1] == "hi\n"
    code, out, _ = run(capsys, "system", "listing", ".", "--json")
    assert code == 0 and "a.txt" in {entry["name"] for entry in json.loads(out)}


# A 1x1 PNG (PNG specification: signature, IHDR, IDAT, IEND), and an empty SVG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def test_jupyter_saves_images_or_says_they_were_left_out(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = (
        "from IPython.display import Image, SVG, display\n"
        f"display(Image(data={PNG!r}))\n"
        f"display(SVG({SVG!r}))"
    )
    status, out, err = run(capsys, "jupyter", code)
    assert status == 0 and "<IPython.core.display.Image object>" in out
    assert err.splitlines() == [
        "[image/png output left out: --save-images DIR saves it]",
        "[image/svg+xml output left out: --save-images DIR saves it]",
    ]
    status, out, err = run(capsys, "jupyter", code, "--save-images", str(tmp_path / "images"))
    assert status == 0
    assert (tmp_path / "images" / "output-1.png").read_bytes() == PNG
    assert (tmp_path / "images" / "output-2.svg").read_text() == SVG
    assert f"saved to {tmp_path / 'images' / 'output-1.png'}" in err


def test_jupyter_and_ping(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "jupyter", "sum(range(100))", "--kernel", "python3") == (0, "4950\n", "")
    code, out, err = run(capsys, "jupyter", "print('x'); 1/0")
    assert code == 1 and out == "x\n" and "ZeroDivisionError" in err
    code, out, _ = run(capsys, "ping")
    assert code == 0 and out.startswith("ok: ")
    code, out, _ = run(capsys, "ping", "--json")
    assert isinstance(json.loads(out)["now"], int)


def test_generated_commands_print_text_or_json(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "system", "exec", "--command", "echo a; echo b")
    assert code == 0
    assert out.splitlines()[:3] == ["type:      blocking", "stdout:    a", "           b"]
    code, out, _ = run(capsys, "--json", "system", "exec", "echo x", "--timeout", "5")
    assert json.loads(out)["stdout"] == "x\n"
    code, out, _ = run(capsys, "system", "test", "--json")
    assert json.loads(out)["project_id"] == env["COCALC_PROJECT_ID"]
    code, _, err = run(capsys, "system", "exec", "echo a", "--command", "echo b")
    assert code == 2 and "given twice" in one_error_line(err)
    code, _, err = run(capsys, "system", "exec-status")
    assert code == 2 and "missing JOB_ID" in one_error_line(err)


def test_jobs_start_status_follow_wait(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "jobs", "start", "echo one; sleep 0.3; echo two >&2; exit 5")
    job_id = out.strip()
    assert code == 0 and re.fullmatch(r"[0-9a-f-]{36}", job_id)
    # err_on_exit is off for CLI jobs: the command's own code and output come back.
    assert run(capsys, "jobs", "follow", job_id, "--poll", "0.1") == (5, "one\n", "two\n")
    code, out, err = run(capsys, "jobs", "wait", job_id, "--no-progress")
    assert (code, out, err) == (5, "one\n", "two\n")
    code, out, _ = run(capsys, "jobs", "status", job_id, "--json")
    assert code == 0 and json.loads(out)["status"] == "completed"
    assert run(capsys, "jobs", "run", "echo streamed")[:2] == (0, "streamed\n")
    # Every exec option reaches the job.
    code, out, _ = run(
        capsys, "jobs", "start", "--env", '{"X": "from env"}', "--verbose", "echo $X"
    )
    assert run(capsys, "jobs", "wait", out.strip(), "--no-progress")[:2] == (0, "from env\n")


def test_jobs_wait_timeout_and_gone_jobs(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "jobs", "start", "sleep 30")
    job_id = out.strip()
    code, _, err = run(capsys, "jobs", "wait", job_id, "--timeout", "1.5", "--no-progress")
    line = one_error_line(err)
    assert code == 124 and "JobTimeoutError" in line
    # The advice in the command line's words, not Python's.
    assert f"cocalc-project jobs kill {job_id}" in line and "kill()" not in line
    run(capsys, "jobs", "kill", job_id, "--signal", "9")
    code, _, err = run(capsys, "jobs", "wait", "00000000-0000-4000-8000-00000000dead")
    line = one_error_line(err)
    assert code == 4 and "AsyncJobNotFoundError" in line and "at most 100 jobs" in line


def test_a_job_killed_with_jobs_kill_exits_128_plus_the_signal(
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The service reports a signal death as completed, exit code 0 (execute-code.ts: `code ??
    # 0`); a shell reports it as 128 + the signal, and so does the command line.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    code, out, _ = run(capsys, "jobs", "start", "sleep 100")
    job_id = out.strip()
    assert run(capsys, "jobs", "kill", job_id)[0] == 0
    code, out, err = run(capsys, "jobs", "wait", job_id, "--no-progress")
    assert code == 128 + 15 and out == ""
    assert f"job {job_id} was killed by signal 15 (SIGTERM)" in err
    code, out, _ = run(capsys, "jobs", "status", job_id, "--json")
    assert (json.loads(out)["status"], json.loads(out)["exit_code"]) == ("killed", 143)


def test_jobs_kill_sends_the_signal_it_is_given(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # docs/cli.md: `jobs kill --signal N` sends signal N to the job's process group. The job
    # traps SIGUSR1 only: it says so and exits 7; any other signal would end it otherwise.
    usr1 = str(int(signal.SIGUSR1))
    script = "trap 'echo got USR1; exit 7' USR1; echo ready; sleep 30 & wait"
    job_id = run(capsys, "jobs", "start", script)[1].strip()
    for _ in range(500):  # bounded: until the trap is set
        out = run(capsys, "jobs", "status", job_id, "--json")[1]
        if "ready" in json.loads(out)["stdout"]:
            break
        time.sleep(0.02)
    run(capsys, "jobs", "kill", job_id, "--signal", usr1)
    assert run(capsys, "jobs", "wait", job_id, "--no-progress") == (7, "ready\ngot USR1\n", "")


def test_jobs_take_their_arguments_and_refuse_bad_options(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # docs/cli.md: after `--` the program gets its arguments as they are; the whole job with
    # --json; `kill` sends SIGTERM by default; waiting limits are above 0, `--poll` at least
    # 1 s for `wait` (docs/jobs.md) and above 0 for `follow` and `run`.
    code, out, _ = run(capsys, "jobs", "start", "--json", "--", "printf", "%s|", "a b", "c")
    started = json.loads(out)
    assert code == 0 and started["status"] == "running" and started["type"] == "async"
    job_id = started["job_id"]
    assert run(capsys, "jobs", "wait", job_id, "--no-progress")[:2] == (0, "a b|c|")
    code, out, _ = run(capsys, "--json", "jobs", "wait", job_id, "--no-progress")
    assert code == 0 and json.loads(out)["stdout"] == "a b|c|"
    code, out, _ = run(capsys, "jobs", "wait", job_id, "--json", "--no-progress")
    assert json.loads(out)["status"] == "completed"
    code, out, _ = run(capsys, "--json", "jobs", "status", job_id)
    assert json.loads(out)["job_id"] == job_id
    code, out, _ = run(capsys, "jobs", "status", job_id)
    assert code == 0 and not out.lstrip().startswith("{") and job_id in out
    assert run(capsys, "jobs", "run", "--", "printf", "%s|", "x y")[:2] == (0, "x y|")
    for bad in (
        ("jobs", "wait", job_id, "--timeout", "0"),
        ("jobs", "wait", job_id, "--poll", "0.5"),
        ("jobs", "follow", job_id, "--poll", "0"),
        ("jobs", "run", "--poll", "0", "true"),
        ("jobs", "kill", job_id, "--signal", "-1"),
        ("jobs", "start", "--async-call", "true"),  # set by the command itself
        ("jobs", "start", "--args", "[]", "true"),  # given after --
    ):
        assert run(capsys, *bad)[0] == 2, bad
    script = "trap 'echo got TERM; exit 3' TERM; echo ready; sleep 30 & wait"
    job_id = run(capsys, "jobs", "start", script)[1].strip()
    for _ in range(500):  # bounded: until the trap is set
        if "ready" in json.loads(run(capsys, "jobs", "status", job_id, "--json")[1])["stdout"]:
            break
        time.sleep(0.02)
    run(capsys, "jobs", "kill", job_id)
    assert run(capsys, "jobs", "wait", job_id, "--no-progress") == (3, "ready\ngot TERM\n", "")


# -- configuration and errors --------------------------------------------------------------


def test_errors_are_one_line_with_their_exit_code_and_never_the_key(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COCALC_API_KEY", raising=False)
    monkeypatch.setenv("COCALC_HOST", server.url)
    code, _, err = run(capsys, "ping")
    assert code == 3 and "no API key" in one_error_line(err)

    wrong = "sk-wrong-key-that-must-not-be-printed"
    code, out, err = run(capsys, "--api-key", wrong, "ping")
    line = one_error_line(err)
    assert code == 3 and "AuthenticationError" in line
    # What to check: the key (where it came from) and the host it was sent to.
    assert f"{server.url} does not accept the API key given with --api-key" in line
    monkeypatch.setenv("COCALC_API_KEY", wrong)
    code, out, err = run(capsys, "ping")
    assert f"{server.url} does not accept the API key from COCALC_API_KEY" in one_error_line(err)
    code, out, err = run(capsys, "--project-id", "my-project", "ping")
    assert code == 2 and "project_id must be a project's id" in one_error_line(err)
    monkeypatch.setenv("COCALC_API_KEY", wrong)
    code, out, err = run(capsys, "--host", "http://127.0.0.1:9", "ping")
    assert code == 5 and "APIConnectionError" in one_error_line(err)
    code, out, err = run(capsys, "system", "nosuch")
    assert code == 2 and "No such command" in one_error_line(err)
    code, out, err = run(capsys, "--host", "not a url", "ping")
    assert code == 2 and "InvalidArgumentError" in one_error_line(err)
    assert wrong not in out + err


def test_flags_and_environment_configure_the_same_things(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("COCALC_API_KEY", "COCALC_HOST", "COCALC_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    code, out, err = run(
        capsys,
        "--api-key",
        server.api_key,
        "--host",
        server.url,
        "--project-id",
        server.project_id,
        "--json",
        "system",
        "test",
    )
    assert code == 0, err
    assert json.loads(out)["project_id"] == server.project_id
