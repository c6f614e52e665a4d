"""Job handles (docs/jobs.md) against a scripted service: which calls they make and how they
read the answers, without a server or real waiting.

The service's side is docs/wire-protocol.md §3 (async exec: `async_get`, `async_await`, `async_stats`; a
failed job's stdout "" and its error text in stderr; the unknown-job text; jobs kept for an hour,
at most 100) and the spec's system.signal ("Error: kill ESRCH" for a process that is gone).
docs/jobs.md gives the handle's defaults: `wait(poll=10)`, `follow(poll=1)`, SIGTERM (15).
A sync job's clock is a fake that the scripted service advances by each call's limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest

import cocalc_api
from cocalc_api import _jobs

PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
TIMEOUT_408 = (
    f"timeout - callHub: subject='project.{PROJECT}.0.api.-', name='system.exec', code='408' "
)
GONE = "Error: Async operation 'j1' does not exist."
JOBS_DOC = (Path(__file__).resolve().parents[1] / "docs" / "jobs.md").read_text(encoding="utf-8")
STAT = {"timestamp": 1, "mem_rss": 10.5, "cpu_pct": 3.0, "cpu_secs": 0.1}


def snapshot(status: str = "running", **fields: Any) -> dict[str, Any]:
    job = {
        "type": "async",
        "job_id": "j1",
        "status": status,
        "start": 1,
        "pid": 4242,
        "stdout": "",
        "stderr": "",
        "exit_code": 0,
    }
    job.update(fields)
    return job


class Service:
    """Answers system.exec (start and polls) from `polls`, in order (the last repeats), and
    records every body; a poll's reply may be a dict or an error text."""

    def __init__(self, polls: list[dict[str, Any] | str], clock: list[float] | None = None):
        self.polls = polls
        self.clock = clock
        self.bodies: list[dict[str, Any]] = []
        self.signal_reply: dict[str, Any] | str | None = None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if self.clock is not None and "timeout" in body:
            self.clock[0] += body["timeout"] / 1000  # the call lasted its whole limit
        options = body["args"][0]
        reply: dict[str, Any] | str | None
        if body["name"] == "system.signal":
            reply = self.signal_reply
        elif options.get("async_call"):
            reply = snapshot(stdout="")
        else:
            index = min(len(self.polls_seen) - 1, len(self.polls) - 1)
            reply = self.polls[index]
            if reply == TIMEOUT_408 and not options.get("async_await"):
                reply = snapshot()  # only a waiting call can run out of time
        if isinstance(reply, str):
            reply = {"error": reply}
        return httpx2.Response(200, content=json.dumps(reply).encode())

    @property
    def polls_seen(self) -> list[dict[str, Any]]:
        return [b for b in self.bodies if "async_get" in b["args"][0]]


def project(service: Service) -> cocalc_api.Project:
    return cocalc_api.Project(
        "sk-test",
        project_id=PROJECT,
        http_client=httpx2.Client(transport=httpx2.MockTransport(service)),
        max_retries=0,
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The jobs module's clock: advanced by the service, and by follow()'s sleeps."""
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    fake = SimpleNamespace(monotonic=lambda: now[0], sleep=sleep, slept=slept)
    monkeypatch.setattr(_jobs, "time", fake)
    return now


# -- start ---------------------------------------------------------------------------------


def test_start_sends_an_async_exec_and_returns_a_running_handle() -> None:
    service = Service([snapshot()])
    job = project(service).jobs.start("sleep", ["1", "2"], timeout=30, err_on_exit=False)
    (body,) = service.bodies
    assert body["name"] == "system.exec"
    assert body["args"][0] == {
        "command": "sleep",
        "args": ["1", "2"],
        "timeout": 30,
        "async_call": True,
        "err_on_exit": False,
    }
    assert (job.id, job.job_id, job.command) == ("j1", "j1", "sleep 1 2")
    assert (job.state, job.done, job.exit_code, job.pid) == ("running", False, None, 4242)
    assert (job.stdout, job.stderr, job.stats) == ("", "", [])
    assert job.snapshot == snapshot()
    assert repr(job) == "Job(id='j1', command='sleep 1 2', state='running')"


def test_a_handle_got_by_id_knows_nothing_until_asked() -> None:
    service = Service([snapshot("completed", stdout="hi\n", stats=[STAT])])
    job = project(service).jobs.get("j1")
    assert service.bodies == []
    assert (job.command, job.state, job.done, job.pid, job.snapshot) == (
        None,
        None,
        False,
        None,
        None,
    )
    assert (job.stdout, job.stderr, job.exit_code) == ("", "", None)
    assert repr(job) == "Job(id='j1', command=None, state='unknown')"
    assert job.status()["stdout"] == "hi\n"
    assert service.bodies[0]["args"][0] == {"async_get": "j1", "async_stats": True}
    assert (job.state, job.done, job.exit_code, job.stdout) == ("completed", True, 0, "hi\n")
    assert job.stats == [STAT]


@pytest.mark.parametrize("job_id", ["", 5, None])
def test_a_job_id_must_be_a_non_empty_string(job_id: object) -> None:
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        project(Service([snapshot()])).jobs.get(job_id)  # type: ignore[arg-type]
    assert str(raised.value) == f"job_id must be a non-empty string, got {job_id!r}"


# -- wait ----------------------------------------------------------------------------------


def test_wait_chains_waiting_calls_of_10_s_until_the_job_ends(clock: list[float]) -> None:
    final = snapshot("completed", stdout="done\n")
    service = Service([TIMEOUT_408, snapshot(), final], clock)
    job = project(service).jobs.start("make")
    assert job.wait() == final
    polls = service.polls_seen
    assert len(polls) == 3
    for body in polls:
        assert body["args"][0] == {"async_get": "j1", "async_await": True, "async_stats": True}
        assert body["timeout"] == 10000  # poll=10 s by default, under the server's 15 s
    assert (job.state, job.exit_code, job.stdout) == ("completed", 0, "done\n")
    # An ended job answers from what it knows.
    assert job.wait() == final and len(service.polls_seen) == 3


def test_wait_with_a_timeout_raises_and_leaves_the_job_running(clock: list[float]) -> None:
    service = Service([TIMEOUT_408], clock)
    job = project(service).jobs.start("sleep 100")
    service.polls = [TIMEOUT_408]
    started = clock[0]
    with pytest.raises(_jobs.JobTimeoutError) as raised:
        job.wait(timeout=25, poll=10)
    error = raised.value
    assert isinstance(error, cocalc_api.CocalcError) and isinstance(error, TimeoutError)
    assert (error.job_id, error.timeout) == ("j1", 25)
    assert str(error) == (
        "job j1 is still running after waiting 25 s; it was not stopped: wait again, or kill() it"
    )
    limits = [b.get("timeout") for b in service.polls_seen]
    # 10 + 10 + the 5 s left; then, under 1 s left, one last look (no waiting).
    assert limits[:3] == [10000, 10000, 5000]
    assert service.polls_seen[-1]["args"][0] == {"async_get": "j1", "async_stats": True}
    assert clock[0] - started >= 25


def test_a_job_that_ends_at_the_last_look_is_returned(clock: list[float]) -> None:
    final = snapshot("error", exit_code=1, stderr="boom")
    service = Service([TIMEOUT_408], clock)
    job = project(service).jobs.start("x")
    service.polls = [TIMEOUT_408, final]
    assert job.wait(timeout=10, poll=10) == final
    assert job.exit_code == 1 and job.stderr == "boom"


def test_wait_reports_each_snapshot_to_a_callback(clock: list[float]) -> None:
    seen: list[str] = []
    service = Service(
        [snapshot(stdout="a"), TIMEOUT_408, snapshot(stdout="ab"), snapshot("completed")], clock
    )
    job = project(service).jobs.start("x")
    job.wait(progress=lambda s: seen.append(s["stdout"] + "/" + s["status"]))
    assert seen[0] == "a/running" and seen[-1] == "/completed"


def documented_refusal(argument: str, value: object) -> str:
    """The message docs/jobs.md gives for a refused `value` of a wait() or follow() argument
    (`argument` is how the message starts)."""
    forms = {line for line in JOBS_DOC.splitlines() if line.startswith(argument)}
    spans = re.findall(rf"`({re.escape(argument)}[^`]*)`", JOBS_DOC)
    forms |= {" ".join(span.split()) for span in spans}  # a span may wrap
    (form,) = forms
    return form.replace("<value>", repr(value))


TIMEOUT = "timeout must be"
POLL = "poll must be a number"
FINITE = "poll must be finite"
BAD_WAIT_ARGUMENTS = [
    (0, 10, TIMEOUT, 0),
    (-1, 10, TIMEOUT, -1),
    (True, 10, TIMEOUT, True),
    ("5", 10, TIMEOUT, "5"),
    (float("nan"), 10, TIMEOUT, float("nan")),
    (None, 0.5, POLL, 0.5),
    (None, 0.999, POLL, 0.999),  # the floor is 1 s
    (None, 0, POLL, 0),
    (None, True, POLL, True),
    (None, "10", POLL, "10"),
    (None, float("nan"), POLL, float("nan")),
    (None, float("inf"), FINITE, float("inf")),
]


@pytest.mark.parametrize(("timeout", "poll", "argument", "bad"), BAD_WAIT_ARGUMENTS)
def test_bad_wait_arguments_are_refused_before_any_call(
    timeout: Any, poll: Any, argument: str, bad: object
) -> None:
    service = Service([GONE])  # a wait that went ahead would fail at once, not hang
    job = project(service).jobs.start("x")
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        job.wait(timeout, poll=poll)
    assert str(raised.value) == documented_refusal(argument, bad)
    assert service.polls_seen == []


def test_poll_and_timeout_of_1_s_are_accepted(clock: list[float]) -> None:
    service = Service([snapshot("completed")], clock)
    job = project(service).jobs.start("x")
    assert job.wait(1.5, poll=1)["status"] == "completed"


def test_a_gone_job_says_what_the_project_keeps() -> None:
    service = Service([GONE])
    made = project(service)
    job = made.jobs.start("sleep", ["9"])
    for call in (job.status, job.wait):
        with pytest.raises(cocalc_api.AsyncJobNotFoundError) as raised:
            call()
        error = raised.value
        assert (error.message, error.method) == (GONE, "system.exec")
        assert str(error) == (
            "job j1 ('sleep 9') is gone: the project keeps at most 100 jobs, dropping the "
            "least recently used, each for an hour after its last use, and forgets them when "
            f"it restarts (the server said: {GONE})"
        )
    with pytest.raises(cocalc_api.AsyncJobNotFoundError) as raised:
        made.jobs.get("j1").status()
    assert str(raised.value).startswith("job j1 is gone: ")


# -- follow --------------------------------------------------------------------------------


def test_follow_yields_only_new_output_every_second(clock: list[float]) -> None:
    service = Service(
        [
            snapshot(),
            snapshot(stdout="a"),
            snapshot(stdout="a"),
            snapshot(stdout="ab", stderr="w"),
            snapshot("completed", stdout="abc", stderr="w"),
        ]
    )
    job = project(service).jobs.start("x")
    updates = list(job.follow())
    assert [(u.stdout, u.stderr, u.status, u.done) for u in updates] == [
        ("a", "", "running", False),
        ("b", "w", "running", False),
        ("c", "", "completed", True),
    ]
    assert updates[-1].exit_code == 0 and updates[-1].snapshot["stdout"] == "abc"
    assert clock_sleeps() == [1.0, 1.0, 1.0, 1.0]


def clock_sleeps() -> list[float]:
    fake: Any = _jobs.time
    return list(fake.slept)


def test_a_failed_job_s_replaced_output_is_new(clock: list[float]) -> None:
    # docs/wire-protocol.md §3: a failed job reports stdout "" and the error text in stderr.
    service = Service(
        [
            snapshot(stdout="partial", stderr="x"),
            snapshot("error", exit_code=1, stdout="", stderr="command failed"),
        ]
    )
    updates = list(project(service).jobs.start("x").follow(poll=2))
    assert [(u.stdout, u.stderr) for u in updates] == [("partial", "x"), ("", "command failed")]
    assert updates[-1].exit_code == 1 and updates[-1].done
    assert clock_sleeps() == [2]


# The service's job status is "running", "completed", "error", or "killed" (set by CoCalc's
# frontend: src/packages/util/types/execute-code.ts); docs/jobs.md: follow()'s last update has
# `done`, and wait() returns once the job has ended.
KILLED = snapshot("killed", stdout="a", exit_code=1)
# The job, then gone after a few looks: a follow that never ends fails instead of hanging.
ENDS_KILLED: list[dict[str, Any] | str] = [snapshot(stdout="a"), KILLED, KILLED, KILLED, GONE]


def test_follow_and_wait_end_on_a_killed_job(clock: list[float]) -> None:
    service = Service(ENDS_KILLED)
    job = project(service).jobs.start("x")
    updates = list(job.follow())
    assert [(u.stdout, u.status, u.done) for u in updates] == [
        ("a", "running", False),
        ("", "killed", True),
    ]
    assert job.wait() == KILLED
    assert (job.state, job.done, job.exit_code) == ("killed", True, 1)


@pytest.mark.parametrize("poll", [0, -1])
def test_follow_needs_a_positive_poll(poll: float) -> None:
    job = project(Service([snapshot()])).jobs.start("x")
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        next(job.follow(poll=poll))
    assert str(raised.value) == documented_refusal("poll must be a positive", poll)


# -- kill ------------------------------------------------------------------------------------


def test_kill_signals_the_process_group_with_sigterm_by_default() -> None:
    service = Service([snapshot()])
    job = project(service).jobs.start("x")
    job.kill()
    job.kill(9)
    signals = [b for b in service.bodies if b["name"] == "system.signal"]
    assert [s["args"][0] for s in signals] == [
        {"signal": 15, "pid": -4242},
        {"signal": 9, "pid": -4242},
    ]


def test_killing_an_ended_job_is_quiet_but_other_failures_are_raised() -> None:
    service = Service([snapshot()])
    job = project(service).jobs.start("x")
    service.signal_reply = "Error: kill ESRCH"
    job.kill()
    service.signal_reply = "Error: kill EPERM"
    with pytest.raises(cocalc_api.APIError, match="EPERM"):
        job.kill()


def test_kill_of_a_handle_by_id_asks_for_the_pid_first() -> None:
    service = Service([snapshot(pid=77)])
    job = project(service).jobs.get("j1")
    job.kill()
    assert [b["name"] for b in service.bodies] == ["system.exec", "system.signal"]
    assert service.bodies[1]["args"][0] == {"signal": 15, "pid": -77}


def test_a_job_that_never_started_has_nothing_to_kill() -> None:
    never = snapshot()
    del never["pid"]
    service = Service([never])
    job = project(service).jobs.get("j1")
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        job.kill()
    assert str(raised.value) == "job j1 has no process to signal: it never started"
    assert all(b["name"] != "system.signal" for b in service.bodies)


# A job ended by a signal: node's exit event gives no code, which execute-code.ts turns into 0
# (`exit_code = code ?? 0`), so the service reports "completed" with exit code 0. A shell
# reports such a command as 128 + the signal (bash(1), EXIT STATUS).
SIGNAL_DEATH = snapshot("completed", exit_code=0, elapsed_s=0.1)


@pytest.mark.parametrize(("sent", "code"), [(15, 143), (9, 137), (2, 130)])
def test_a_job_this_handle_killed_ends_as_killed_by_its_signal(sent: int, code: int) -> None:
    service = Service([SIGNAL_DEATH])
    job = project(service).jobs.start("sleep 100")
    job.kill(sent)
    final = job.wait()
    assert (final["status"], final["exit_code"]) == ("killed", code)
    assert (job.killed_by, job.state, job.exit_code) == (sent, "killed", code)
    assert job.status()["status"] == "killed"  # every later report says so too
    updates = list(job.follow(poll=0.01))
    assert (updates[-1].status, updates[-1].exit_code, updates[-1].done) == ("killed", code, True)


@pytest.mark.parametrize("sent", [0, 18, 19])  # 0 tests the pid; SIGCONT and SIGSTOP end nothing
def test_a_signal_that_ends_nothing_leaves_the_report_alone(sent: int) -> None:
    job = project(Service([SIGNAL_DEATH])).jobs.start("x")
    job.kill(sent)
    assert job.killed_by is None and job.wait()["status"] == "completed"


def test_a_job_that_had_already_ended_is_not_reported_killed() -> None:
    service = Service([SIGNAL_DEATH])
    job = project(service).jobs.start("x")
    service.signal_reply = "Error: kill ESRCH"
    job.kill()
    assert job.killed_by is None and job.wait()["exit_code"] == 0


def test_a_killed_job_that_failed_on_its_own_keeps_the_services_report() -> None:
    # It caught the signal and exited 1: under err_on_exit that is "error", exit code 1.
    job = project(Service([snapshot("error", exit_code=1, stderr="")])).jobs.start("x")
    job.kill()
    assert (job.wait()["status"], job.exit_code) == ("error", 1)


def test_a_handle_by_id_can_be_told_the_signal_another_sent() -> None:
    job = project(Service([SIGNAL_DEATH])).jobs.get("j1", killed_by=15)
    assert (job.wait()["status"], job.exit_code) == ("killed", 143)


# -- AsyncJob: the same, awaited ------------------------------------------------------------


def async_project(service: Service) -> cocalc_api.AsyncProject:
    return cocalc_api.AsyncProject(
        "sk-test",
        project_id=PROJECT,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(service)),
        max_retries=0,
    )


async def test_async_start_wait_and_kill() -> None:
    final = snapshot("completed", stdout="ok")
    service = Service([TIMEOUT_408, final])
    made = async_project(service)
    job = await made.jobs.start("echo", ["ok"])
    assert repr(job) == "AsyncJob(id='j1', command='echo ok', state='running')"
    assert await job.wait(poll=3) == final
    assert [b["timeout"] for b in service.polls_seen] == [3000, 3000]
    assert service.polls_seen[0]["args"][0] == {
        "async_get": "j1",
        "async_await": True,
        "async_stats": True,
    }
    assert await job.wait() == final and len(service.polls_seen) == 2
    await job.kill()
    assert service.bodies[-1]["args"][0] == {"signal": 15, "pid": -4242}


async def test_an_async_job_this_handle_killed_ends_as_killed() -> None:
    made = async_project(Service([SIGNAL_DEATH]))
    job = await made.jobs.start("sleep 100")
    await job.kill(9)
    assert ((await job.wait())["status"], job.exit_code, job.killed_by) == ("killed", 137, 9)


async def test_async_status_follow_and_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    service = Service([snapshot(stdout="a"), snapshot("completed", stdout="ab")])
    made = async_project(service)
    job = made.jobs.get("j1")
    assert repr(job) == "AsyncJob(id='j1', command=None, state='unknown')"
    updates = [u async for u in job.follow(poll=0.01)]
    assert [(u.stdout, u.done) for u in updates] == [("a", False), ("b", True)]
    service.polls = [GONE]
    with pytest.raises(cocalc_api.AsyncJobNotFoundError) as raised:
        await job.status()
    assert str(raised.value).startswith("job j1 is gone: the project keeps at most 100 jobs")
    with pytest.raises(cocalc_api.AsyncJobNotFoundError):
        await made.jobs.get("j1").wait()


async def test_async_follow_and_wait_end_on_a_killed_job() -> None:
    service = Service(ENDS_KILLED)
    job = async_project(service).jobs.get("j1")
    updates = [update async for update in job.follow(poll=0.01)]
    assert [(u.status, u.done) for u in updates] == [("running", False), ("killed", True)]
    assert await job.wait() == KILLED and job.done


async def test_async_wait_with_a_timeout_raises() -> None:
    service = Service([TIMEOUT_408])
    job = await async_project(service).jobs.start("sleep 100")
    with pytest.raises(_jobs.JobTimeoutError) as raised:
        await job.wait(timeout=0.5, poll=1)  # under 1 s: one last look decides
    assert raised.value.timeout == 0.5
    assert service.polls_seen[-1]["args"][0] == {"async_get": "j1", "async_stats": True}


async def test_async_kill_of_a_job_that_never_started() -> None:
    never = snapshot()
    del never["pid"]
    service = Service([never])
    job = async_project(service).jobs.get("j1")
    with pytest.raises(cocalc_api.InvalidArgumentError, match="it never started"):
        await job.kill()
    service.polls = [snapshot()]
    service.signal_reply = "Error: kill ESRCH"
    await job.kill()


def _unused(_: Callable[..., Any]) -> None:  # keeps Callable imported for type hints above
    pass


async def test_async_start_sends_every_exec_option() -> None:
    service = Service([snapshot()])
    job = await async_project(service).jobs.start(
        "make",
        ["all"],
        path="src",
        cwd="/tmp",
        timeout=30,
        max_output=100,
        bash=True,
        env={"A": "1"},
        err_on_exit=False,
        ulimit_timeout=False,
        compute_server_id=0,
        home="h",
        uid=1,
        gid=2,
        aggregate=3,
        verbose=True,
        filesystem=False,
    )
    assert service.bodies[0]["args"][0] == {
        "command": "make",
        "args": ["all"],
        "path": "src",
        "cwd": "/tmp",
        "timeout": 30,
        "max_output": 100,
        "bash": True,
        "env": {"A": "1"},
        "async_call": True,
        "compute_server_id": 0,
        "err_on_exit": False,
        "ulimit_timeout": False,
        "home": "h",
        "uid": 1,
        "gid": 2,
        "aggregate": 3,
        "verbose": True,
        "filesystem": False,
    }
    assert (job.command, job.snapshot, job.state) == ("make all", snapshot(), "running")


def test_sync_start_sends_every_exec_option() -> None:
    service = Service([snapshot()])
    project(service).jobs.start(
        "make",
        path="src",
        cwd="/tmp",
        max_output=100,
        bash=True,
        env={"A": "1"},
        ulimit_timeout=False,
        compute_server_id=0,
        home="h",
        uid=1,
        gid=2,
        aggregate=3,
        verbose=True,
        filesystem=False,
    )
    assert service.bodies[0]["args"][0] == {
        "command": "make",
        "path": "src",
        "cwd": "/tmp",
        "max_output": 100,
        "bash": True,
        "env": {"A": "1"},
        "async_call": True,
        "compute_server_id": 0,
        "ulimit_timeout": False,
        "home": "h",
        "uid": 1,
        "gid": 2,
        "aggregate": 3,
        "verbose": True,
        "filesystem": False,
    }


async def test_async_wait_with_a_timeout_chains_calls_then_looks_once_more(
    clock: list[float],
) -> None:
    service = Service([TIMEOUT_408], clock)
    job = await async_project(service).jobs.start("sleep 100")
    started = clock[0]
    with pytest.raises(_jobs.JobTimeoutError) as raised:
        await job.wait(timeout=25, poll=10)
    assert (raised.value.job_id, raised.value.timeout) == ("j1", 25)
    assert str(raised.value) == (
        "job j1 is still running after waiting 25 s; it was not stopped: wait again, or kill() it"
    )
    assert [b.get("timeout") for b in service.polls_seen][:3] == [10000, 10000, 5000]
    assert service.polls_seen[-1]["args"][0] == {"async_get": "j1", "async_stats": True}
    assert clock[0] - started >= 25
    assert job.state == "running"


async def test_async_a_job_that_ends_at_the_last_look_is_returned(clock: list[float]) -> None:
    final = snapshot("error", exit_code=1, stderr="boom")
    service = Service([TIMEOUT_408], clock)
    job = await async_project(service).jobs.start("x")
    service.polls = [TIMEOUT_408, final]
    assert await job.wait(timeout=10, poll=10) == final


async def test_async_wait_reports_each_snapshot_to_a_callback(clock: list[float]) -> None:
    seen: list[str] = []
    service = Service(
        [snapshot(stdout="a"), TIMEOUT_408, snapshot(stdout="ab"), snapshot("completed")], clock
    )
    job = await async_project(service).jobs.start("x")
    final = await job.wait(progress=lambda s: seen.append(s["stdout"] + "/" + s["status"]))
    assert final["status"] == "completed"
    assert seen[0] == "a/running" and seen[-1] == "/completed"
    assert "ab/running" in seen


async def test_async_a_job_that_has_ended_is_reported_at_once(clock: list[float]) -> None:
    seen: list[str] = []
    service = Service([snapshot("completed", stdout="x")], clock)
    job = await async_project(service).jobs.start("x")
    final = await job.wait(progress=lambda s: seen.append(s["status"]))
    assert final["stdout"] == "x" and seen == ["completed"]
    assert len(service.polls_seen) == 1
    assert service.polls_seen[0]["args"][0] == {"async_get": "j1", "async_stats": True}


@pytest.mark.parametrize(("timeout", "poll", "argument", "bad"), BAD_WAIT_ARGUMENTS)
async def test_async_bad_wait_arguments_are_refused(
    timeout: Any, poll: Any, argument: str, bad: object
) -> None:
    service = Service([GONE])
    job = await async_project(service).jobs.start("x")
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        await job.wait(timeout, poll=poll)
    assert str(raised.value) == documented_refusal(argument, bad)
    assert service.polls_seen == []


async def test_async_follow_needs_a_positive_poll() -> None:
    job = async_project(Service([snapshot()])).jobs.get("j1")
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        await job.follow(poll=0).__anext__()
    assert str(raised.value) == documented_refusal("poll must be a positive", 0)


async def test_async_kill_asks_for_the_pid_and_raises_other_failures() -> None:
    service = Service([snapshot(pid=77)])
    job = async_project(service).jobs.get("j1")
    await job.kill(9)
    assert service.bodies[-1]["name"] == "system.signal"
    assert service.bodies[-1]["args"][0] == {"signal": 9, "pid": -77}
    service.signal_reply = "Error: kill EPERM"
    with pytest.raises(cocalc_api.APIError, match="EPERM"):
        await job.kill()
    for bad in ("", 5):
        with pytest.raises(cocalc_api.InvalidArgumentError):
            async_project(service).jobs.get(bad)  # type: ignore[arg-type]


async def test_async_wait_keeps_waiting_while_a_wait_call_reports_running(
    clock: list[float],
) -> None:
    final = snapshot("completed", stdout="done")
    service = Service([snapshot(stdout="partial"), final], clock)
    job = await async_project(service).jobs.start("x")
    assert await job.wait() == final
    assert len(service.polls_seen) == 2


def test_sync_wait_keeps_waiting_while_a_wait_call_reports_running(clock: list[float]) -> None:
    final = snapshot("completed", stdout="done")
    service = Service([snapshot(stdout="partial"), final], clock)
    job = project(service).jobs.start("x")
    assert job.wait() == final
    assert len(service.polls_seen) == 2


async def test_async_a_second_left_is_still_a_waiting_call(clock: list[float]) -> None:
    # Under 1 s left: one last look; exactly 1 s: still worth a waiting call of 1 s.
    service = Service([TIMEOUT_408], clock)
    job = await async_project(service).jobs.start("x")
    seen: list[str] = []
    with pytest.raises(_jobs.JobTimeoutError):
        await job.wait(timeout=11, poll=10, progress=lambda s: seen.append(s["status"]))
    assert [b.get("timeout") for b in service.polls_seen if "async_await" in b["args"][0]] == [
        10000,
        1000,
    ]
    assert seen[-1] == "running"  # the last look is reported too


def test_sync_a_second_left_is_still_a_waiting_call(clock: list[float]) -> None:
    service = Service([TIMEOUT_408], clock)
    job = project(service).jobs.start("x")
    seen: list[str] = []
    with pytest.raises(_jobs.JobTimeoutError):
        job.wait(timeout=11, poll=10, progress=lambda s: seen.append(s["status"]))
    assert [b.get("timeout") for b in service.polls_seen if "async_await" in b["args"][0]] == [
        10000,
        1000,
    ]
    assert seen[-1] == "running"


async def test_async_progress_on_stderr_names_the_command(
    clock: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    service = Service([snapshot("completed")], clock)
    job = await async_project(service).jobs.start("make", ["all"])
    await job.wait(progress=True)
    assert "make all" in capsys.readouterr().err


@pytest.mark.parametrize("jobs_class", [_jobs.Jobs, _jobs.AsyncJobs])
def test_start_takes_every_exec_option_of_the_spec(jobs_class: type[Any]) -> None:
    # start()'s options are generated from the exec entry (JobStartOptions): every
    # ExecOptions property of the spec but async_call, which start() sets itself.
    import inspect
    from pathlib import Path

    import yaml

    from cocalc_api_generated.jobs import JobStartOptions

    spec = yaml.safe_load((Path(__file__).parent.parent / "spec" / "project-api.yaml").read_text())
    options = set(spec["components"]["schemas"]["ExecOptions"]["properties"]) - {"async_call"}
    positional = [name for name in inspect.signature(jobs_class.start).parameters if name != "self"]
    assert positional == ["command", "args", "options"]
    assert {"command", "args"} | set(JobStartOptions.__optional_keys__) == options
