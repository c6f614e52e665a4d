"""Async exec jobs as handles (docs/jobs.md), against the local server over real sockets.

Expected values come from docs/wire-protocol.md §3 (a failed job: status "error", exit_code 1, stdout "",
the error text in stderr; an unknown job's text; jobs started as process-group leaders), from
the OS (process groups), and from what the commands print. The 40-second job (tests/conftest.py)
starts with the first test of the run and is waited for by the last, so the other tests run
meanwhile.
"""

from __future__ import annotations

import io
import os
import pickle
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

import cocalc_api
from cocalc_api._progress import RichDisplay, TextDisplay, default_display
from cocalc_api.testing import FakeProject
from cocalc_project_server.testing import ServerProcess, running_server
from tests.conftest import LONG_JOB_S, LongWait

SERVER_ENVELOPE_DEFAULT_S = 15  # docs/wire-protocol.md §1: the call limit when none is sent


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server(kernel_pool_size=0) as server:
        yield server


@pytest.fixture(scope="module")
def project(server: ServerProcess) -> Iterator[cocalc_api.Project]:
    # No timeout setting anywhere: the client's defaults are what is under test.
    with cocalc_api.Project(
        api_key=server.api_key, host=server.url, project_id=server.project_id
    ) as project:
        yield project


@pytest.fixture
async def aproject(server: ServerProcess) -> AsyncIterator[cocalc_api.AsyncProject]:
    async with cocalc_api.AsyncProject(
        api_key=server.api_key, host=server.url, project_id=server.project_id
    ) as project:
        yield project


# -- start, status, wait -------------------------------------------------------------------


def test_start_returns_a_handle_to_a_running_job(project: cocalc_api.Project) -> None:
    job = project.jobs.start("sleep 0.5; echo hi")
    assert isinstance(job, cocalc_api.Job)
    assert job.state == "running" and not job.done and job.exit_code is None
    assert uuid.UUID(job.id)
    assert job.command == "sleep 0.5; echo hi"

    final = job.wait()

    assert final["status"] == "completed"
    assert final["stdout"] == "hi\n" and final["exit_code"] == 0
    assert final["elapsed_s"] >= 0.5
    assert job.done and job.stdout == "hi\n" and job.exit_code == 0
    assert job.wait() is final  # an ended job answers from what it knows
    assert job.status()["stdout"] == "hi\n"


def test_a_failed_job_reports_exit_code_1_and_its_error_in_stderr(
    project: cocalc_api.Project,
) -> None:
    # docs/wire-protocol.md §3: with err_on_exit (the service's default) the real code and stdout go.
    final = project.jobs.start("echo out; echo oops >&2; exit 3").wait()
    assert final["status"] == "error"
    assert final["exit_code"] == 1
    assert final["stdout"] == ""
    assert "oops" in final["stderr"]


def test_err_on_exit_false_keeps_the_real_exit_code_and_output(
    project: cocalc_api.Project,
) -> None:
    job = project.jobs.start("echo out; echo oops >&2; exit 3", err_on_exit=False)
    final = job.wait()
    assert (final["status"], final["exit_code"]) == ("completed", 3)
    assert (final["stdout"], final["stderr"]) == ("out\n", "oops\n")
    assert job.exit_code == 3


def test_args_and_path_reach_the_command(
    project: cocalc_api.Project, server: ServerProcess
) -> None:
    Path(server.root, "sub").mkdir(exist_ok=True)
    job = project.jobs.start("pwd", path="sub")
    assert job.wait()["stdout"].strip() == str(Path(server.root, "sub").resolve())
    job = project.jobs.start("printf", ["%s|", "a b", "c"])
    assert job.command == "printf %s| a b c"
    assert job.wait()["stdout"] == "a b|c|"


def test_wait_with_a_timeout_leaves_the_job_running(project: cocalc_api.Project) -> None:
    job = project.jobs.start("sleep 30")
    with pytest.raises(cocalc_api.JobTimeoutError) as raised:
        job.wait(timeout=1.5, poll=1)
    assert isinstance(raised.value, TimeoutError)
    assert raised.value.job_id == job.id and raised.value.timeout == 1.5
    assert "still running" in str(raised.value)
    assert job.status()["status"] == "running"


def test_a_gone_job_raises_async_job_not_found_with_the_explanation(
    project: cocalc_api.Project,
) -> None:
    job_id = str(uuid.uuid4())
    job = project.jobs.get(job_id)
    for call in (job.status, job.wait):
        with pytest.raises(cocalc_api.AsyncJobNotFoundError) as raised:
            call()
        # The server's exact text (docs/wire-protocol.md §3) stays in .message.
        assert raised.value.message == f"Error: Async operation '{job_id}' does not exist."
        text = str(raised.value)
        assert job_id in text and "at most 100 jobs" in text and "least recently used" in text


def test_bad_arguments_are_refused_before_any_call(project: cocalc_api.Project) -> None:
    job = project.jobs.get(str(uuid.uuid4()))
    for kwargs in ({"timeout": 0}, {"timeout": -1}, {"poll": 0.5}, {"poll": float("inf")}):
        with pytest.raises(cocalc_api.InvalidArgumentError):
            job.wait(**kwargs)
    with pytest.raises(cocalc_api.InvalidArgumentError):
        project.jobs.get("")


# -- follow and progress -------------------------------------------------------------------


def test_follow_yields_output_before_the_job_ends(
    project: cocalc_api.Project, server: ServerProcess
) -> None:
    gate = Path(server.root, f"go-{uuid.uuid4().hex}")
    job = project.jobs.start(
        f"echo first; while [ ! -e {gate.name} ]; do sleep 0.05; done; echo second >&2; exit 4",
        err_on_exit=False,
    )
    updates = []
    for update in job.follow(poll=0.1):
        updates.append(update)
        if "first" in update.stdout:
            assert not update.done  # the job is still waiting for the gate
            gate.touch()
    assert "".join(u.stdout for u in updates) == "first\n"
    assert "".join(u.stderr for u in updates) == "second\n"
    assert [u.done for u in updates].count(True) == 1 and updates[-1].done
    assert (updates[-1].status, updates[-1].exit_code) == ("completed", 4)


def test_wait_reports_progress_to_a_callback(project: cocalc_api.Project) -> None:
    seen: list[dict[str, Any]] = []
    job = project.jobs.start("sleep 1.2; echo done")
    final = job.wait(poll=1, progress=lambda snapshot: seen.append(dict(snapshot)))
    assert seen[0]["status"] == "running"
    assert seen[-1] == final and final["status"] == "completed"
    assert all(s["job_id"] == job.id for s in seen)


def test_wait_progress_true_writes_lines_to_stderr(
    project: cocalc_api.Project, capsys: pytest.CaptureFixture[str]
) -> None:
    job = project.jobs.start("sleep 0.3; echo done")
    job.wait(progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith(f"job {job.id[:8]}") for line in lines)
    assert "completed" in lines[-1] and "exit code 0" in lines[-1]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_default_display_is_rich_on_a_terminal_and_plain_elsewhere() -> None:
    snapshot: Any = {
        "type": "async",
        "job_id": "0b9d4a3e-7d2c",
        "status": "running",
        "start": 0,
        "stdout": "step 1\nstep 2\n",
        "stderr": "",
        "exit_code": 0,
        "stats": [{"timestamp": 1, "mem_rss": 35.25, "cpu_pct": 97.0, "cpu_secs": 1.0}],
    }
    terminal = Terminal()
    display = default_display("make all", terminal)
    assert isinstance(display, RichDisplay)
    display.update(snapshot)
    display.close()
    assert "job 0b9d4a3e" in terminal.getvalue() and "make all" in terminal.getvalue()
    plain = io.StringIO()
    display = default_display("make all", plain)
    assert isinstance(display, TextDisplay)
    display.update(snapshot)
    line = plain.getvalue()
    assert line.startswith("job 0b9d4a3e · make all · running")
    assert "cpu 97%, 35.2 MiB" in line and line.rstrip().endswith("step 2")


def test_job_timeout_error_pickles_with_its_fields() -> None:
    error = cocalc_api.JobTimeoutError("still running", job_id="j1", timeout=5.0)
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.job_id, copy.timeout) == (
        cocalc_api.JobTimeoutError,
        "still running",
        "j1",
        5.0,
    )
    assert repr(type(copy)) == "<class 'cocalc_api.JobTimeoutError'>"


# -- kill ----------------------------------------------------------------------------------


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (a zombie waiting for its reaper does not)."""
    return any(
        process.info["status"] != psutil.STATUS_ZOMBIE
        for process in psutil.process_iter(["status"])
        if _pgid(process.pid) == pgid
    )


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def _group_ends(pgid: int, within: float = 10.0) -> bool:
    # The killed processes leave as their parents reap them; give that a moment.
    deadline = time.monotonic() + within
    while _group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_kill_stops_the_job_and_every_process_it_started(project: cocalc_api.Project) -> None:
    job = project.jobs.start("sleep 60; echo never", err_on_exit=False)
    assert job.pid is not None and _group_alive(job.pid)
    job.kill()
    final = job.wait(timeout=30)
    assert final["status"] != "running" and "never" not in final["stdout"]
    assert _group_ends(job.pid)  # the shell and its sleep, seen from the OS
    job.kill()  # an ended job is left alone


def test_a_job_you_killed_says_it_was_killed_and_by_which_signal(
    project: cocalc_api.Project,
) -> None:
    # The service reports a signal death as "completed", exit code 0 (execute-code.ts:
    # `exit_code = code ?? 0`); the handle that sent the signal says what happened, with the
    # exit code a shell gives a command killed by signal N: 128 + N.
    job = project.jobs.start("sleep 100")
    job.kill()
    final = job.wait(timeout=30)
    assert (final["status"], final["exit_code"]) == ("killed", 128 + 15)
    assert job.killed_by == 15


def test_kill_signals_the_process_group_and_ignores_an_ended_job() -> None:
    # Jobs are spawned detached, as group leaders (docs/wire-protocol.md §4: signal; execute-code.ts),
    # so the negative pid reaches the command's children too.
    fake = FakeProject()
    fake.stub(
        "system.exec",
        {
            "type": "async",
            "job_id": "j1",
            "status": "running",
            "start": 1,
            "pid": 4242,
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
        },
    )
    fake.stub("system.signal", None)
    job = fake.jobs.start("make")
    job.kill()
    job.kill(9)
    assert [c.options for c in fake.calls[1:]] == [
        {"signal": 15, "pid": -4242},
        {"signal": 9, "pid": -4242},
    ]
    fake.stub_error("system.signal", "Error: kill ESRCH")
    job.kill()  # already gone: nothing to do
    fake.stub_error("system.signal", "Error: kill EPERM")
    with pytest.raises(cocalc_api.APIError, match="EPERM"):
        job.kill()


# -- AsyncJob ------------------------------------------------------------------------------


async def test_async_job_start_follow_wait(aproject: cocalc_api.AsyncProject) -> None:
    job = await aproject.jobs.start("echo a; sleep 0.2; echo b", err_on_exit=False)
    assert isinstance(job, cocalc_api.AsyncJob)
    text = ""
    async for update in job.follow(poll=0.1):
        text += update.stdout
    assert text == "a\nb\n"
    final = await job.wait()
    assert (final["status"], final["exit_code"], final["stdout"]) == ("completed", 0, "a\nb\n")


async def test_async_wait_chains_calls_past_the_poll_limit(
    aproject: cocalc_api.AsyncProject,
) -> None:
    job = await aproject.jobs.start("sleep 2.5; echo late")
    seen: list[str] = []
    final = await job.wait(poll=1, progress=lambda s: seen.append(s["status"]))
    assert final["stdout"] == "late\n"
    # Each waiting call lasted at most 1 s, so the wait needed several: the ones that ran out
    # are reported as "running", never raised.
    assert seen.count("running") >= 2 and seen[-1] == "completed"
    with pytest.raises(cocalc_api.JobTimeoutError):
        await (await aproject.jobs.start("sleep 30")).wait(timeout=1.2)
    with pytest.raises(cocalc_api.AsyncJobNotFoundError, match="at most 100 jobs"):
        await aproject.jobs.get(str(uuid.uuid4())).status()


# -- the 40 s job, last --------------------------------------------------------------------


@pytest.mark.timeout(150)
def test_a_40_second_job_is_waited_for_without_any_timeout_setting(long_wait: LongWait) -> None:
    # Both waiters run past the server's 15 s call limit without being given any timeout.
    long_wait.thread.join(timeout=120)
    assert not long_wait.thread.is_alive(), "job.wait() did not return"
    assert "error" not in long_wait.outcome, long_wait.outcome.get("error")
    final = long_wait.outcome["final"]
    assert (final["status"], final["exit_code"], final["stdout"]) == ("completed", 0, "finished\n")
    assert final["elapsed_s"] >= LONG_JOB_S > SERVER_ENVELOPE_DEFAULT_S

    stdout, stderr = long_wait.cli.communicate(timeout=60)
    assert long_wait.cli.returncode == 0, stderr
    assert stdout == "finished\n"
    assert "Traceback" not in stderr and "Error" not in stderr
    # The progress lines, on by default in the CLI (plain lines: stderr is not a terminal).
    lines = stderr.splitlines()
    assert lines[0].startswith(f"job {long_wait.job.id[:8]}") and "running" in lines[0]
    assert "completed" in lines[-1]
