"""Async exec jobs as handles: `project.jobs.start(command)` returns a `Job` (an `AsyncJob` on
an AsyncProject) to poll, wait for, follow and kill.

A job is the service's own async exec (`system.exec` with `async_call`), so everything here is
made of `system.exec`, `exec_status` and `system.signal` calls:

- `wait()` chains `exec_status(wait=True)` calls, each with a call limit of `poll` seconds (under
  the server's 15 s default and the idle limits of proxies). A call whose limit runs out while
  the job still runs ends with the server's 408, which only means "not yet": the next call
  waits on. So a job is waited for as long as asked (`timeout=None`: until it ends), and a
  timeout error comes only from a `timeout` you gave.
- `follow()` polls the job's output so far and yields what is new.
- `kill()` signals the job's process group (the service starts each job as a group leader).

What the service does with jobs (docs/wire-protocol.md §3): it keeps at most 100, dropping the least
recently used, each for an hour after its last use, and forgets them when it restarts; a gone
job raises AsyncJobNotFoundError. A failed job (non-zero exit with `err_on_exit` on, the
service's default, or killed at its `timeout`) ends with status "error", exit_code 1, stdout ""
and the error text in stderr; pass `err_on_exit=False` to keep the real exit code and output.

A job ended by a signal is reported by the service as "completed" with exit code 0 (node gives
no code for a signal death, and src/packages/backend/execute-code.ts makes that 0). A handle
knows which signal it sent: a job it killed that the service reports so is returned with
status "killed" and exit code 128 + the signal, as a shell reports it (`killed_by` holds it).
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Unpack, cast

from cocalc_api._exceptions import (
    APIError,
    AsyncJobNotFoundError,
    CocalcError,
    InvalidArgumentError,
    ServerTimeoutError,
)
from cocalc_api._progress import Display, ProgressCallback, open_display
from cocalc_api.wording import wording
from cocalc_api_generated.jobs import JobStartOptions

if TYPE_CHECKING:
    from cocalc_api._client import AsyncProject, Project
    from cocalc_api_generated.typeddicts import ExecStat, ExecuteCodeOutputAsync

__all__ = ["AsyncJob", "AsyncJobs", "Job", "JobTimeoutError", "JobUpdate", "Jobs"]

# Each waiting call lasts at most this long by default: under the server's 15 s envelope default
# and well under the idle limits of proxies in front of the service.
DEFAULT_POLL_S = 10.0
# How often follow() asks for new output by default.
DEFAULT_FOLLOW_POLL_S = 1.0
# A waiting call shorter than this is not worth making: near the end of a `timeout`, one last
# look at the job decides instead.
MIN_WAIT_CALL_S = 1.0
SIGTERM = 15
# Signals whose default action does not end a process (Linux numbers, signal(7)): sending one
# does not make the job "killed". 0 only checks that the process exists.
SURVIVED_SIGNALS = frozenset({0, 17, 18, 19, 20, 21, 22, 23, 28})
# What a shell reports for a command ended by signal N: 128 + N.
SIGNAL_EXIT_BASE = 128


class JobTimeoutError(CocalcError, TimeoutError):
    """`wait(timeout=...)` ran out while the job still runs. The job is not stopped: wait
    again, or `kill()` it."""

    def __init__(self, message: str, *, job_id: str, timeout: float) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.timeout = timeout


JobTimeoutError.__module__ = "cocalc_api"


@dataclass(frozen=True, slots=True)
class JobUpdate:
    """What `follow()` yields: the output that is new since the previous update."""

    stdout: str  # new text on stdout
    stderr: str  # new text on stderr
    status: str  # "running", "completed", "error" or "killed"
    exit_code: int  # 0 while running
    done: bool  # the last update: the job has ended
    snapshot: ExecuteCodeOutputAsync  # the job as the service reported it


class _Cursor:
    """How much of a job's output follow() has handed out."""

    __slots__ = ("_stderr", "_stdout")

    def __init__(self) -> None:
        self._stdout = self._stderr = ""

    def advance(self, snapshot: ExecuteCodeOutputAsync) -> JobUpdate | None:
        """The update to yield for `snapshot`: None while nothing is new; always the end."""
        new_out = _new_text(self._stdout, snapshot["stdout"])
        new_err = _new_text(self._stderr, snapshot["stderr"])
        self._stdout, self._stderr = snapshot["stdout"], snapshot["stderr"]
        done = snapshot["status"] != "running"
        if not (new_out or new_err or done):
            return None
        return JobUpdate(
            new_out, new_err, snapshot["status"], snapshot["exit_code"], done, snapshot
        )


def _new_text(seen: str, now: str) -> str:
    # Output only grows while a job runs. When a failed job ends, the service replaces it
    # (stdout "", the error text in stderr): then all of the new text is new.
    if now.startswith(seen):
        return now[len(seen) :]
    return "" if seen.startswith(now) else now


def _check_wait_args(timeout: float | None, poll: float) -> None:
    if timeout is not None and not (
        isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0
    ):
        raise InvalidArgumentError(
            f"timeout must be a positive number of seconds or None, got {timeout!r}"
        )
    if isinstance(poll, bool) or not isinstance(poll, int | float) or not poll >= MIN_WAIT_CALL_S:
        raise InvalidArgumentError(
            f"poll must be a number of seconds >= {MIN_WAIT_CALL_S:g}, got {poll!r}"
        )
    if not math.isfinite(poll):
        raise InvalidArgumentError(f"poll must be finite, got {poll!r}")


def _check_follow_poll(poll: float) -> None:
    if not poll > 0:
        raise InvalidArgumentError(f"poll must be a positive number of seconds, got {poll!r}")


class _JobBase:
    """What Job and AsyncJob share: the last snapshot, and how a gone job is explained."""

    def __init__(
        self,
        job_id: str,
        *,
        command: str | None,
        snapshot: ExecuteCodeOutputAsync | None,
        killed_by: int | None = None,
    ) -> None:
        self.id = job_id
        self.command = command  # as given to start(), if this handle started the job
        self._killed_by = killed_by
        self._last = snapshot

    @property
    def killed_by(self) -> int | None:
        """The signal this handle sent with `kill()` (one that ends a process), else None."""
        return self._killed_by

    @property
    def job_id(self) -> str:
        """The job's id (`id`): what `exec_status` and `jobs.get` take."""
        return self.id

    @property
    def snapshot(self) -> ExecuteCodeOutputAsync | None:
        """The job as last reported (by start, status, wait or follow); None before any."""
        return self._last

    @property
    def pid(self) -> int | None:
        """The job's process id (also its process group), if it started."""
        return self._last.get("pid") if self._last else None

    @property
    def stdout(self) -> str:
        """stdout so far, as of the last report (call `status()` for a fresh one)."""
        return self._last["stdout"] if self._last else ""

    @property
    def stderr(self) -> str:
        """stderr so far, as of the last report; a failed job's error text once it ends."""
        return self._last["stderr"] if self._last else ""

    @property
    def stats(self) -> list[ExecStat]:
        """Memory and CPU samples, as of the last report ([] until the first, after 1 s)."""
        return list(self._last.get("stats", [])) if self._last else []

    @property
    def state(self) -> str | None:
        """ "running", "completed", "error" or "killed" (a job this handle killed), as of the
        last report."""
        return self._last["status"] if self._last else None

    @property
    def done(self) -> bool:
        """The job has ended (as of the last report)."""
        return self._last is not None and self._last["status"] != "running"

    @property
    def exit_code(self) -> int | None:
        """The exit code once the job has ended (1 for a failed job under err_on_exit; 128 + the
        signal for a job this handle killed)."""
        return self._last["exit_code"] if self.done and self._last else None

    def _record(self, snapshot: ExecuteCodeOutputAsync) -> ExecuteCodeOutputAsync:
        self._last = self._as_killed(snapshot)
        return self._last

    def _as_killed(self, snapshot: ExecuteCodeOutputAsync) -> ExecuteCodeOutputAsync:
        # A signal death reads "completed", exit code 0 (execute-code.ts: `code ?? 0`).
        signal = self._killed_by
        if signal is None or snapshot["status"] != "completed" or snapshot["exit_code"] != 0:
            return snapshot
        return {**snapshot, "status": "killed", "exit_code": SIGNAL_EXIT_BASE + signal}

    def _sent(self, signal: int) -> None:
        if signal not in SURVIVED_SIGNALS:
            self._killed_by = signal

    def _gone(self, error: AsyncJobNotFoundError) -> AsyncJobNotFoundError:
        what = f"job {self.id}" + (f" ({self.command!r})" if self.command else "")
        return AsyncJobNotFoundError(
            error.message,
            method=error.method,
            explanation=(
                f"{what} is gone: the project keeps at most 100 jobs, dropping the least "
                "recently used, each for an hour after its last use, and forgets them when it "
                f"restarts (the server said: {error.message})"
            ),
        )

    def _timed_out(self, timeout: float) -> JobTimeoutError:
        advice = wording().wait_again.format(job_id=self.id)
        return JobTimeoutError(
            f"job {self.id} is still running after waiting {timeout:g} s; it was not stopped: "
            f"{advice}",
            job_id=self.id,
            timeout=timeout,
        )

    def _kill_target(self) -> int:
        pid = self.pid
        if pid is None:
            raise InvalidArgumentError(f"job {self.id} has no process to signal: it never started")
        return pid

    def __repr__(self) -> str:
        state = self.state or "unknown"
        return f"{type(self).__name__}(id={self.id!r}, command={self.command!r}, state={state!r})"


def _already_gone(error: APIError) -> bool:
    # kill(2)'s ESRCH: the process (group) has already ended.
    return "ESRCH" in error.message


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.monotonic()


# -- the loops of wait() and follow(), written once ----------------------------------------
# Each loop is a generator that says what to do next (a step) and is sent what came of it, so
# it does no I/O itself (the sans-I/O pattern of h11): `Job` drives it with blocking calls,
# `AsyncJob` with awaited ones. A waiting call whose limit ran out is thrown into the loop as
# the ServerTimeoutError it is.


class _Status(NamedTuple):
    """Ask for the job's state now (`status()`); sent back: the snapshot."""


class _WaitCall(NamedTuple):
    """One waiting call of at most `seconds`; sent back: the snapshot, or thrown in: the
    ServerTimeoutError of a call whose limit ran out while the job still runs."""

    seconds: float


class _Sleep(NamedTuple):
    seconds: float


class _Done(NamedTuple):
    """What a driver yields last: the loop's result."""

    value: ExecuteCodeOutputAsync | None


_Step = _Status | _WaitCall | _Sleep | JobUpdate
_Plan = Generator[_Step, "ExecuteCodeOutputAsync | None", "ExecuteCodeOutputAsync | None"]


def _wait_plan(job: _JobBase, timeout: float | None, poll: float, display: Display) -> _Plan:
    """wait(): chained waiting calls until the job ends or `timeout` runs out."""
    deadline = None if timeout is None else time.monotonic() + timeout
    if display.wants_updates:
        first = yield _Status()
        assert first is not None
        display.update(first)
        if first["status"] != "running":
            return first
    while True:
        remaining = _remaining(deadline)
        if remaining is not None and remaining < MIN_WAIT_CALL_S:
            final = yield _Status()
            assert final is not None
            display.update(final)
            if final["status"] != "running":
                return final
            raise job._timed_out(cast(float, timeout))
        chunk = poll if remaining is None else min(poll, remaining)
        try:
            snapshot = yield _WaitCall(chunk)
        except ServerTimeoutError:  # this call's limit ran out, the job still runs
            if display.wants_updates:
                snapshot = yield _Status()
                assert snapshot is not None
                display.update(snapshot)
                if snapshot["status"] != "running":
                    return snapshot
            continue
        assert snapshot is not None
        snapshot = job._record(snapshot)
        display.update(snapshot)
        if snapshot["status"] != "running":
            return snapshot


def _follow_plan(poll: float) -> _Plan:
    """follow(): the job's state every `poll` seconds, handing out what is new."""
    cursor = _Cursor()
    while True:
        snapshot = yield _Status()
        assert snapshot is not None
        update = cursor.advance(snapshot)
        if update is not None:
            yield update
            if update.done:
                return None
        yield _Sleep(poll)


def _next_step(
    plan: _Plan, sent: ExecuteCodeOutputAsync | None, failure: ServerTimeoutError | None
) -> _Step | _Done:
    try:
        return plan.throw(failure) if failure is not None else plan.send(sent)
    except StopIteration as stop:
        return _Done(stop.value)


class Job(_JobBase):
    """An async exec job of a `Project`. Made by `project.jobs.start(...)` or
    `project.jobs.get(job_id)`."""

    def __init__(
        self,
        project: Project,
        job_id: str,
        *,
        command: str | None = None,
        snapshot: ExecuteCodeOutputAsync | None = None,
        killed_by: int | None = None,
    ) -> None:
        super().__init__(job_id, command=command, snapshot=snapshot, killed_by=killed_by)
        self._project = project

    def status(self) -> ExecuteCodeOutputAsync:
        """The job now: status, output so far, exit code, samples (`exec_status`, stats on)."""
        try:
            snapshot = self._project.system.exec_status(self.id, stats=True)
        except AsyncJobNotFoundError as error:
            raise self._gone(error) from None
        return self._record(snapshot)

    def wait(
        self,
        timeout: float | None = None,
        *,
        poll: float = DEFAULT_POLL_S,
        progress: bool | ProgressCallback = False,
    ) -> ExecuteCodeOutputAsync:
        """Wait until the job ends and return its final state.

        `timeout` (seconds; None: as long as it runs) bounds the whole wait; when it runs
        out, JobTimeoutError is raised and the job keeps running. Each call to the service
        waits at most `poll` seconds. `progress=True` shows a live line on stderr; a callable
        gets each snapshot instead. A failed job is returned, not raised: check `status`
        ("error") and `exit_code`.
        """
        _check_wait_args(timeout, poll)
        if self.done and self._last is not None:
            return self._last
        display = open_display(progress, self.command)
        try:
            for item in self._drive(_wait_plan(self, timeout, poll, display)):
                if isinstance(item, _Done):
                    return cast("ExecuteCodeOutputAsync", item.value)
            raise AssertionError("the loop ended without a result")  # pragma: no cover
        finally:
            display.close()

    def _drive(self, plan: _Plan) -> Iterator[JobUpdate | _Done]:
        """Run a loop of steps with blocking calls; yields its updates, then its result."""
        sent: ExecuteCodeOutputAsync | None = None
        failure: ServerTimeoutError | None = None
        while True:
            step = _next_step(plan, sent, failure)
            sent, failure = None, None
            if isinstance(step, _Done | JobUpdate):
                yield step
                if isinstance(step, _Done):
                    return
            elif isinstance(step, _Sleep):
                time.sleep(step.seconds)
            elif isinstance(step, _Status):
                sent = self.status()
            else:
                try:
                    sent = self._wait_call(step.seconds)
                except ServerTimeoutError as error:
                    failure = error

    def _wait_call(self, seconds: float) -> ExecuteCodeOutputAsync:
        try:
            return self._project.with_options(timeout=seconds).system.exec_status(
                self.id, wait=True, stats=True
            )
        except AsyncJobNotFoundError as error:
            raise self._gone(error) from None

    def follow(self, *, poll: float = DEFAULT_FOLLOW_POLL_S) -> Iterator[JobUpdate]:
        """Yield the job's output as it arrives, from its start, until it ends (the last
        update has `done` set). Asks for new output every `poll` seconds."""
        _check_follow_poll(poll)
        for item in self._drive(_follow_plan(poll)):
            if isinstance(item, JobUpdate):
                yield item

    def kill(self, signal: int = SIGTERM) -> None:
        """Send `signal` (default SIGTERM) to the job's process group: the command and every
        process it started. A job that has already ended is left alone. Once it ends, this
        handle reports it as "killed" with exit code 128 + `signal` (see the module's notes)."""
        if self.pid is None:
            self.status()
        pid = self._kill_target()
        try:
            self._project.system.signal(signal=signal, pid=-pid)
        except APIError as error:
            if not _already_gone(error):
                raise
            return
        self._sent(signal)


class AsyncJob(_JobBase):
    """An async exec job of an `AsyncProject`: `Job` with its calls awaited."""

    def __init__(
        self,
        project: AsyncProject,
        job_id: str,
        *,
        command: str | None = None,
        snapshot: ExecuteCodeOutputAsync | None = None,
        killed_by: int | None = None,
    ) -> None:
        super().__init__(job_id, command=command, snapshot=snapshot, killed_by=killed_by)
        self._project = project

    async def status(self) -> ExecuteCodeOutputAsync:
        """The job now: status, output so far, exit code, samples (`exec_status`, stats on)."""
        try:
            snapshot = await self._project.system.exec_status(self.id, stats=True)
        except AsyncJobNotFoundError as error:
            raise self._gone(error) from None
        return self._record(snapshot)

    async def wait(
        self,
        timeout: float | None = None,
        *,
        poll: float = DEFAULT_POLL_S,
        progress: bool | ProgressCallback = False,
    ) -> ExecuteCodeOutputAsync:
        """Wait until the job ends and return its final state; see `Job.wait`."""
        _check_wait_args(timeout, poll)
        if self.done and self._last is not None:
            return self._last
        display = open_display(progress, self.command)
        try:
            async for item in self._drive(_wait_plan(self, timeout, poll, display)):
                if isinstance(item, _Done):
                    return cast("ExecuteCodeOutputAsync", item.value)
            raise AssertionError("the loop ended without a result")  # pragma: no cover
        finally:
            display.close()

    async def _drive(self, plan: _Plan) -> AsyncIterator[JobUpdate | _Done]:
        """Run a loop of steps with awaited calls; yields its updates, then its result."""
        import anyio

        sent: ExecuteCodeOutputAsync | None = None
        failure: ServerTimeoutError | None = None
        while True:
            step = _next_step(plan, sent, failure)
            sent, failure = None, None
            if isinstance(step, _Done | JobUpdate):
                yield step
                if isinstance(step, _Done):
                    return
            elif isinstance(step, _Sleep):
                await anyio.sleep(step.seconds)
            elif isinstance(step, _Status):
                sent = await self.status()
            else:
                try:
                    sent = await self._wait_call(step.seconds)
                except ServerTimeoutError as error:
                    failure = error

    async def _wait_call(self, seconds: float) -> ExecuteCodeOutputAsync:
        try:
            return await self._project.with_options(timeout=seconds).system.exec_status(
                self.id, wait=True, stats=True
            )
        except AsyncJobNotFoundError as error:
            raise self._gone(error) from None

    async def follow(self, *, poll: float = DEFAULT_FOLLOW_POLL_S) -> AsyncIterator[JobUpdate]:
        """Yield the job's output as it arrives; see `Job.follow`."""
        _check_follow_poll(poll)
        async for item in self._drive(_follow_plan(poll)):
            if isinstance(item, JobUpdate):
                yield item

    async def kill(self, signal: int = SIGTERM) -> None:
        """Signal the job's process group; see `Job.kill`."""
        if self.pid is None:
            await self.status()
        pid = self._kill_target()
        try:
            await self._project.system.signal(signal=signal, pid=-pid)
        except APIError as error:
            if not _already_gone(error):
                raise
            return
        self._sent(signal)


class Jobs:
    """`project.jobs`: start async exec jobs and get handles to them."""

    __slots__ = ("_project",)

    def __init__(self, project: Project) -> None:
        self._project = project

    def start(
        self,
        command: str,
        args: list[str] | None = None,
        **options: Unpack[JobStartOptions],
    ) -> Job:
        """Start `command` as an async job (`system.exec` with `async_call=True`).

        The arguments are exec's (all of them but `async_call`, from the spec: the generated
        `JobStartOptions`). `timeout` is the command's own limit in seconds, enforced
        by the service (default 60; 0 for none): a job past it is killed and ends as failed.
        Pass `err_on_exit=False` to keep a failed command's real exit code and output.
        """
        answer = self._project.system.exec(command, args, async_call=True, **options)
        return Job(self._project, answer["job_id"], command=_shown(command, args), snapshot=answer)

    def get(self, job_id: str, *, killed_by: int | None = None) -> Job:
        """A handle to a job started elsewhere (no call is made until you use it).
        `killed_by`: the signal another handle killed it with, if you know it."""
        return Job(self._project, _checked_id(job_id), killed_by=killed_by)


class AsyncJobs:
    """`project.jobs` of an AsyncProject: `Jobs` with its calls awaited."""

    __slots__ = ("_project",)

    def __init__(self, project: AsyncProject) -> None:
        self._project = project

    async def start(
        self,
        command: str,
        args: list[str] | None = None,
        **options: Unpack[JobStartOptions],
    ) -> AsyncJob:
        """Start `command` as an async job; see `Jobs.start`."""
        answer = await self._project.system.exec(command, args, async_call=True, **options)
        return AsyncJob(
            self._project, answer["job_id"], command=_shown(command, args), snapshot=answer
        )

    def get(self, job_id: str, *, killed_by: int | None = None) -> AsyncJob:
        """A handle to a job started elsewhere; see `Jobs.get`."""
        return AsyncJob(self._project, _checked_id(job_id), killed_by=killed_by)


def _shown(command: str, args: list[str] | None) -> str:
    return " ".join([command, *args]) if args else command


def _checked_id(job_id: object) -> str:
    if not isinstance(job_id, str) or not job_id:
        raise InvalidArgumentError(f"job_id must be a non-empty string, got {job_id!r}")
    return job_id
