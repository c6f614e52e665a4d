"""Async ``system.exec`` jobs: ``async_call`` starts one, ``async_get`` polls or awaits it.

Like the real service (src/packages/backend/execute-code.ts ``asyncCache``: an LRU of
``ASYNC_CACHE_MAX`` = 100 entries, TTL one hour, ``updateAgeOnGet``), a job counts as used when
it is polled and when it finishes, and the least recently used one goes first. Unlike it, a job
that is still running is never dropped (the cap is a server setting, ``--async-jobs-max``).
While a job runs, its process tree is sampled with psutil: first after one second, then less
often; ``stats`` stays absent until the first sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]

from .errors import ProjectError
from .exec_ import ExecContext, ExecProcess, Outcome, SpawnFailed
from .exec_command import (
    ASYNC_DEFAULT_MAX_OUTPUT,
    ExecOptions,
    PreparedCommand,
    killed_message,
    not_run_message,
    truncation_suffix,
)

# execute-code.ts ASYNC_CACHE_TTL_S and ASYNC_CACHE_MAX
JOB_TTL_S = 3600.0
# execute-code.ts finish(): an async job ends at its child's exit, at most 1 s later even if
# something the child started still holds its output pipes.
PIPES_AFTER_EXIT_S = 1.0
DEFAULT_MAX_JOBS = 100
MAX_STATS = 100
MONITOR_MAX_INTERVAL_S = 60.0
MIB = 1024 * 1024


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Job:
    """One async exec job and everything ``async_get`` reports about it."""

    job_id: str
    start_ms: int
    cmd: PreparedCommand
    opts: ExecOptions
    # Characters kept per stream (the job's max_output, at most the server's cap).
    limit: int
    process: ExecProcess | None = None
    status: str = "running"
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    elapsed_s: float | None = None
    stats: list[dict[str, float]] = field(default_factory=list)
    last_access: float = field(default_factory=time.monotonic)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    # Characters of each stream read when the job finished; what comes later still shows.
    kept_at_finish: tuple[int, int] = (0, 0)

    @property
    def running(self) -> bool:
        return self.status == "running"

    def finish(self, outcome: Outcome) -> None:
        """Record the final state with the real service's rules for failed async jobs."""
        self.elapsed_s = (_now_ms() - self.start_ms) / 1000
        error: str | None = None
        if outcome.killed:
            error = killed_message(self.cmd)
        elif self.opts.err_on_exit and outcome.exit_code != 0:
            # Async failures report the raw stderr, not the blocking-mode message.
            error = outcome.stderr
        elif not outcome.ran:
            error = not_run_message(self.cmd, outcome.stderr)
        if error is not None:
            self.status, self.stdout, self.exit_code = "error", "", 1
            # An empty error string is falsy in the real service, which then says "No result".
            self.stderr = error or "No result"
        else:
            self.status = "completed"
            self.stdout = truncation_suffix(outcome.stdout, self.limit)
            self.stderr = truncation_suffix(outcome.stderr, self.limit)
            self.exit_code = outcome.exit_code
        if self.process is not None:
            self.kept_at_finish = self.process.kept
        self.done.set()

    def view(self, with_stats: bool) -> dict[str, Any]:
        """The job as ``async_get`` returns it."""
        stdout, stderr = self.stdout, self.stderr
        if self.process is not None:
            # While it runs, and for a stream written to after it finished (by a process the
            # job's left running): execute-code.ts's data handlers keep storing the text read.
            out_now, err_now = self.process.kept
            out_then, err_then = self.kept_at_finish
            if self.running or out_now > out_then:
                stdout = self.process.stdout
            if self.running or err_now > err_then:
                stderr = self.process.stderr
        out: dict[str, Any] = {
            "type": "async",
            "stdout": stdout,
            "stderr": stderr,
            "exit_code": self.exit_code,
            "start": self.start_ms,
            "job_id": self.job_id,
            "status": self.status,
        }
        if self.process is not None:
            out["pid"] = self.process.pid
        if self.elapsed_s is not None:
            out["elapsed_s"] = self.elapsed_s
        if with_stats and self.stats:
            # Absent, not [], until the first sample (the real monitor creates the list then).
            out["stats"] = list(self.stats)
        return out


class JobStore:
    """Starts async jobs and keeps at most ``max_jobs`` finished ones, each for ``ttl_s`` after
    its last use."""

    def __init__(
        self,
        ctx: ExecContext,
        *,
        max_jobs: int = DEFAULT_MAX_JOBS,
        ttl_s: float = JOB_TTL_S,
        first_sample_s: float = 1.0,
    ) -> None:
        self._ctx = ctx
        self._max_jobs = max_jobs
        self._ttl_s = ttl_s
        self._first_sample_s = first_sample_s
        # Least recently used first.
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, opts: ExecOptions) -> dict[str, Any]:
        """Start ``opts`` in the background; return the immediate ``type: async`` answer."""
        if opts.max_output is None:
            opts = dataclasses.replace(opts, max_output=ASYNC_DEFAULT_MAX_OUTPUT)
        cmd = self._ctx.prepare(opts)
        job = Job(
            job_id=str(uuid.uuid4()),
            start_ms=_now_ms(),
            cmd=cmd,
            opts=opts,
            limit=self._ctx.output_limit(opts),
        )
        answer: dict[str, Any] = {
            "type": "async",
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
            "start": job.start_ms,
            "job_id": job.job_id,
            "status": "running",
        }
        try:
            job.process = await self._ctx.start(cmd, opts)
        except SpawnFailed as failed:
            job.finish(failed.outcome)
            cmd.cleanup()
        except BaseException:
            cmd.cleanup()  # no job will run, so nothing else removes its script folder
            raise
        else:
            answer["pid"] = job.process.pid
            self._spawn(self._run(job, job.process))
            self._spawn(self._monitor(job, job.process.pid))
        self._use(job)
        return answer

    async def get(self, job_id: str, *, wait: bool, with_stats: bool) -> dict[str, Any]:
        """Current (or, with ``wait``, final) state of a job."""
        self._expire()
        job = self._jobs.get(job_id)
        if job is None:
            raise ProjectError(f"Async operation '{job_id}' does not exist.")
        self._use(job)
        if wait and job.running:
            await job.done.wait()
        return job.view(with_stats)

    async def close(self) -> None:
        """Stop monitoring and waiting; the processes are killed through the registry."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for job in self._jobs.values():
            job.cmd.cleanup()

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Job, proc: ExecProcess) -> None:
        try:
            outcome = await proc.wait(pipes_after_exit_s=PIPES_AFTER_EXIT_S)
        finally:
            job.cmd.cleanup()
        job.finish(outcome)
        # The real service stores the final state with a cache `set`: that is a use too.
        if job.job_id in self._jobs:
            self._use(job)

    def _use(self, job: Job) -> None:
        """Mark ``job`` most recently used (inserting it if new), then apply the limits."""
        job.last_access = time.monotonic()
        self._jobs[job.job_id] = job
        self._jobs.move_to_end(job.job_id)
        self._expire()
        excess = len(self._jobs) - self._max_jobs
        if excess > 0:
            finished = [j for j in self._jobs.values() if not j.running][:excess]
            for old in finished:
                del self._jobs[old.job_id]

    def _expire(self) -> None:
        cutoff = time.monotonic() - self._ttl_s
        for job in list(self._jobs.values()):
            if not job.running and job.last_access < cutoff:
                del self._jobs[job.job_id]

    async def _monitor(self, job: Job, pid: int) -> None:
        """Sample memory and CPU of the job's process tree until it ends."""
        try:
            proc = psutil.Process(pid)
        except psutil.Error:
            return
        started = time.monotonic()
        prev_cpu, prev_time = 0.0, started
        delay = self._first_sample_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(job.done.wait(), timeout=delay)
            if not job.running:
                return
            sample = _sample_tree(proc)
            if sample is None:
                return
            rss, cpu = sample
            now = time.monotonic()
            pct = 100.0 * (cpu - prev_cpu) / (now - prev_time) if now > prev_time else 0.0
            prev_cpu, prev_time = cpu, now
            job.stats.append(
                {"timestamp": _now_ms(), "mem_rss": rss / MIB, "cpu_pct": pct, "cpu_secs": cpu}
            )
            del job.stats[:-MAX_STATS]
            # Sample often at first, then space out to at most once a minute (as the real one).
            delay = min(max(1.0, math.floor((now - started) / 6)), MONITOR_MAX_INTERVAL_S)


def _sample_tree(proc: psutil.Process) -> tuple[float, float] | None:
    """Total RSS (bytes) and CPU seconds of ``proc`` and its descendants, None if it is gone."""
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return None
    rss = cpu = 0.0
    for member in members:
        try:
            with member.oneshot():
                rss += member.memory_info().rss
                times = member.cpu_times()
                cpu += times.user + times.system
        except psutil.Error:
            if member is proc:
                return None
    return rss, cpu
