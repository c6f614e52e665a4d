"""Async ``system.exec`` jobs (:mod:`cocalc_project_server.jobs`), in process, on fake processes.

The oracle is src/packages/backend/execute-code.ts (and docs/wire-protocol.md, "exec"):

- ``async_call`` answers at once ``{type: "async", stdout: "", stderr: "", exit_code: 0, start,
  job_id, status: "running", pid}`` (``pid`` absent when nothing could be spawned), keeping
  ``max_output`` characters (default 1024 * 1024) of each stream;
- a finished job adds ``elapsed_s``; a failure (killed, a non-zero exit under ``err_on_exit``,
  not run) has ``status: "error"``, ``stdout: ""``, ``exit_code: 1`` and the text in ``stderr``
  (``${err}``: "No result" for an empty one); otherwise ``status: "completed"``;
- the jobs are an LRU (``asyncCache``: max 100, TTL one hour, ``updateAgeOnGet``, and
  ``asyncCacheUpdate``'s ``set`` when a job ends is a use); the local server never drops a
  running one (README, "The local server and the real service");
- ``async_get`` of an unknown id: ``Async operation '<id>' does not exist.``;
- ``stats`` (with ``async_stats``) is absent until the monitor's first sample, 1 s after the
  start; each sample is ``{timestamp, mem_rss (MiB, process-stats-scan.ts), cpu_pct, cpu_secs}``
  of the process and its children (process-stats.ts ``sumChildren``), the last 100 kept
  (``MONITOR_STATS_LENGTH_MAX``); the next sample comes ``min(max(1, floor(elapsed_s / 6)),
  60)`` seconds later.

The processes and the clock are fakes, so nothing here waits or spawns.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from cocalc_project_server import jobs
from cocalc_project_server.errors import ProjectError
from cocalc_project_server.exec_ import Outcome, SpawnFailed
from cocalc_project_server.exec_command import ExecOptions, PreparedCommand

MIB = 1024 * 1024
SERVER_CAP = 10 * MIB


class FakeProcess:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.stdout = ""
        self.stderr = ""
        self.ended: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.pipes_after_exit_s: float | None = None

    @property
    def kept(self) -> tuple[int, int]:
        return len(self.stdout), len(self.stderr)

    async def wait(self, pipes_after_exit_s: float | None = None) -> Outcome:
        self.pipes_after_exit_s = pipes_after_exit_s
        return await self.ended


class FakeContext:
    """What a JobStore needs of the server: commands made, started, and a cap on output."""

    def __init__(self) -> None:
        self.removed: list[str] = []
        self.started: list[FakeProcess] = []
        self.opts: list[ExecOptions] = []
        self.fail: BaseException | None = None
        self.commands: list[tuple[PreparedCommand, ExecOptions]] = []
        self._pids = itertools.count(1000)

    def prepare(self, opts: ExecOptions) -> PreparedCommand:
        folder = f"/tmp/cocalc-{len(self.opts)}"
        self.opts.append(opts)
        return PreparedCommand(
            "bash", (f"{folder}/a.sh",), "/", {}, opts.command, folder, self.removed.append
        )

    def output_limit(self, opts: ExecOptions) -> int:
        return SERVER_CAP if opts.max_output is None else min(opts.max_output, SERVER_CAP)

    async def start(self, cmd: PreparedCommand, opts: ExecOptions) -> FakeProcess:
        self.commands.append((cmd, opts))
        if self.fail is not None:
            raise self.fail
        proc = FakeProcess(next(self._pids))
        self.started.append(proc)
        return proc


class Clock:
    """Both clocks the jobs read, moved on by tests: ``now`` (monotonic) and ``epoch``."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.epoch: float | None = None  # None: the real time.time()

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return time.time() if self.epoch is None else self.epoch


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(jobs, "time", SimpleNamespace(monotonic=clock.monotonic, time=clock.time))
    return clock


@pytest.fixture
def no_monitor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake pids are no processes: the monitor finds none and stops."""

    def gone(pid: int) -> Any:
        raise psutil.NoSuchProcess(pid)

    monkeypatch.setattr(jobs, "psutil", SimpleNamespace(Process=gone, Error=psutil.Error))


@pytest.fixture
async def store(clock: Clock, no_monitor: None) -> Any:
    ctx = FakeContext()
    jobs_store = jobs.JobStore(ctx, max_jobs=3, ttl_s=3600)  # type: ignore[arg-type]
    jobs_store.ctx = ctx  # type: ignore[attr-defined]
    yield jobs_store
    await jobs_store.close()


def opts(**given: Any) -> ExecOptions:
    return ExecOptions(command="echo hi", async_call=True, **given)


async def finished(store: Any, outcome: Outcome, **given: Any) -> dict[str, Any]:
    job = await store.start(opts(**given))
    store.ctx.started[-1].ended.set_result(outcome)
    return dict(await store.get(job["job_id"], wait=True, with_stats=False))


def missing(job_id: str) -> str:
    return f"Async operation '{job_id}' does not exist."


async def test_the_immediate_answer(store: Any) -> None:
    before = int(time.time() * 1000)
    job = await store.start(opts())
    assert list(job) == [
        "type",
        "stdout",
        "stderr",
        "exit_code",
        "start",
        "job_id",
        "status",
        "pid",
    ]
    assert (job["type"], job["status"], job["stdout"], job["stderr"], job["exit_code"]) == (
        "async",
        "running",
        "",
        "",
        0,
    )
    assert str(uuid.UUID(job["job_id"])) == job["job_id"]
    assert before <= job["start"] <= time.time() * 1000
    assert job["pid"] == store.ctx.started[0].pid
    # The job ends at its child's exit, at most 1 s later if its pipes stay open (finish()).
    await asyncio.sleep(0)
    assert store.ctx.started[0].pipes_after_exit_s == 1.0


async def test_max_output_defaults_to_one_mebibyte(store: Any) -> None:
    await store.start(opts())
    await store.start(opts(max_output=7))
    assert [o.max_output for o in store.ctx.opts] == [1024 * 1024, 7]
    # What is started is the command made of those options.
    assert [(cmd.argv, o.max_output) for cmd, o in store.ctx.commands] == [
        (("/tmp/cocalc-0/a.sh",), 1024 * 1024),
        (("/tmp/cocalc-1/a.sh",), 7),
    ]


async def test_elapsed_s_is_the_time_from_the_start_in_seconds(store: Any, clock: Clock) -> None:
    clock.epoch = 1_700_000_000.25
    job = await store.start(opts())
    assert job["start"] == 1_700_000_000_250
    clock.epoch += 2.5
    store.ctx.started[0].ended.set_result(Outcome("", "", 0))
    final = await store.get(job["job_id"], wait=True, with_stats=False)
    assert final["elapsed_s"] == 2.5


async def test_a_running_job_shows_its_output_so_far(store: Any) -> None:
    job = await store.start(opts())
    proc = store.ctx.started[0]
    proc.stdout, proc.stderr = "first\n", "warn\n"
    seen = await store.get(job["job_id"], wait=False, with_stats=True)
    assert seen == {**job, "stdout": "first\n", "stderr": "warn\n"}
    assert "elapsed_s" not in seen and "stats" not in seen


async def test_a_completed_job(store: Any) -> None:
    job = await store.start(opts())
    store.ctx.started[0].ended.set_result(Outcome("out\n", "err\n", 0))
    final = await store.get(job["job_id"], wait=True, with_stats=False)
    assert {k: v for k, v in final.items() if k != "elapsed_s"} == {
        **job,
        "status": "completed",
        "stdout": "out\n",
        "stderr": "err\n",
    }
    assert 0 <= final["elapsed_s"] * 1000 <= time.time() * 1000 - job["start"]
    assert store.ctx.removed == ["/tmp/cocalc-0"]  # cleanUpTempDir when it ends


async def test_err_on_exit_false_completes_with_the_exit_code(store: Any) -> None:
    final = await finished(store, Outcome("out", "", 3), err_on_exit=False)
    assert (final["status"], final["stdout"], final["exit_code"]) == ("completed", "out", 3)


async def test_a_non_zero_exit_is_an_error_with_the_raw_stderr(store: Any) -> None:
    final = await finished(store, Outcome("out", "bad\n", 3))
    assert (final["status"], final["stdout"], final["stderr"], final["exit_code"]) == (
        "error",
        "",
        "bad\n",
        1,
    )


async def test_an_error_with_empty_stderr_says_no_result(store: Any) -> None:
    final = await finished(store, Outcome("out", "", 3))
    assert (final["status"], final["stderr"]) == ("error", "No result")


async def test_a_killed_job_is_an_error_naming_the_command(store: Any) -> None:
    final = await finished(store, Outcome("out", "", 0, killed=True))
    assert (final["status"], final["stdout"], final["exit_code"]) == ("error", "", 1)
    assert final["stderr"] == "killed command 'bash /tmp/cocalc-0/a.sh'"


async def test_a_job_not_run_is_an_error(store: Any) -> None:
    final = await finished(store, Outcome("", "spawn failed", 0, ran=False), err_on_exit=False)
    assert (final["status"], final["exit_code"]) == ("error", 1)
    assert final["stderr"] == "command 'echo hi' was not able to run -- stderr='spawn failed'"


async def test_output_at_the_limit_is_marked_truncated(store: Any) -> None:
    final = await finished(store, Outcome("abcde", "abcd", 0), max_output=5)
    assert final["stdout"] == "abcde (truncated at 5 characters)"
    assert final["stderr"] == "abcd"
    final = await finished(store, Outcome("abc", "vwxyz", 0), max_output=5)
    assert (final["stdout"], final["stderr"]) == ("abc", "vwxyz (truncated at 5 characters)")


async def test_output_written_after_the_end_still_shows(store: Any) -> None:
    job = await store.start(opts())
    proc = store.ctx.started[0]
    proc.stdout, proc.stderr = "a", "b"
    proc.ended.set_result(Outcome("a", "b", 0))
    await store.get(job["job_id"], wait=True, with_stats=False)
    proc.stdout = "a-later"
    seen = await store.get(job["job_id"], wait=False, with_stats=False)
    assert (seen["stdout"], seen["stderr"]) == ("a-later", "b")
    proc.stderr = "b-later"
    seen = await store.get(job["job_id"], wait=False, with_stats=False)
    assert (seen["stdout"], seen["stderr"]) == ("a-later", "b-later")


async def test_a_command_that_cannot_be_spawned(store: Any) -> None:
    # pid undefined: absent from the answer; the job is there, failed, its script removed.
    store.ctx.fail = SpawnFailed(Outcome("", "no such program", 1, ran=False))
    job = await store.start(opts())
    assert "pid" not in job and job["status"] == "running"
    final = await store.get(job["job_id"], wait=False, with_stats=False)
    assert "pid" not in final
    assert (final["status"], final["stdout"], final["exit_code"]) == ("error", "", 1)
    # Its exit code is 1, and under err_on_exit a non-zero exit comes first: the raw stderr.
    assert final["stderr"] == "no such program"
    assert store.ctx.removed == ["/tmp/cocalc-0"]


async def test_a_start_that_fails_otherwise_keeps_no_job_and_no_script(store: Any) -> None:
    store.ctx.fail = ProjectError("embedded null byte")
    with pytest.raises(ProjectError):
        await store.start(opts())
    assert store.ctx.removed == ["/tmp/cocalc-0"]
    assert store._jobs == {}


async def test_an_unknown_job(store: Any) -> None:
    with pytest.raises(ProjectError) as failure:
        await store.get("nope", wait=False, with_stats=False)
    assert str(failure.value) == missing("nope")


async def test_await_waits_for_the_end(store: Any) -> None:
    job = await store.start(opts())
    waiting = asyncio.ensure_future(store.get(job["job_id"], wait=True, with_stats=False))
    await asyncio.sleep(0)
    assert not waiting.done()
    store.ctx.started[0].ended.set_result(Outcome("x", "", 0))
    assert (await waiting)["status"] == "completed"


async def ended_job(store: Any) -> str:
    job = await store.start(opts())
    store.ctx.started[-1].ended.set_result(Outcome("", "", 0))
    await store.get(job["job_id"], wait=True, with_stats=False)
    return str(job["job_id"])


async def test_the_least_recently_used_finished_job_goes_first(store: Any) -> None:
    first, second, third = [await ended_job(store) for _ in range(3)]
    await store.get(first, wait=False, with_stats=False)  # now second is the least recent
    fourth = await ended_job(store)
    with pytest.raises(ProjectError, match=missing(second)):
        await store.get(second, wait=False, with_stats=False)
    for job_id in (first, third, fourth):
        assert (await store.get(job_id, wait=False, with_stats=False))["status"] == "completed"


async def test_finishing_counts_as_a_use(store: Any) -> None:
    slow = await store.start(opts())
    first = await ended_job(store)
    second = await ended_job(store)
    store.ctx.started[0].ended.set_result(Outcome("", "", 0))  # slow ends: now most recent
    for _ in range(3):
        await asyncio.sleep(0)
    await ended_job(store)
    with pytest.raises(ProjectError, match=missing(first)):
        await store.get(first, wait=False, with_stats=False)
    assert (await store.get(slow["job_id"], wait=False, with_stats=False))["status"] == "completed"
    assert (await store.get(second, wait=False, with_stats=False))["status"] == "completed"


async def test_running_jobs_are_never_dropped(store: Any) -> None:
    running = [await store.start(opts()) for _ in range(4)]
    for job in running:
        assert (await store.get(job["job_id"], wait=False, with_stats=False))["status"] == "running"
    quick = await ended_job(store)
    with pytest.raises(ProjectError, match=missing(quick)):
        await store.get(quick, wait=False, with_stats=False)


async def test_only_as_many_finished_jobs_go_as_are_over_the_cap(store: Any) -> None:
    ended = [await ended_job(store) for _ in range(3)]
    running = await store.start(opts())  # four jobs, one over: the least recent finished goes
    assert sorted(store._jobs) == sorted([*ended[1:], running["job_id"]])


async def test_a_finished_job_is_kept_an_hour_after_its_last_use(store: Any, clock: Clock) -> None:
    job_id = await ended_job(store)
    clock.now += 3600
    await store.get(job_id, wait=False, with_stats=False)  # exactly an hour: still there
    clock.now += 3600.001
    with pytest.raises(ProjectError, match=missing(job_id)):
        await store.get(job_id, wait=False, with_stats=False)


async def test_a_running_job_outlives_its_ttl(store: Any, clock: Clock) -> None:
    job = await store.start(opts())
    clock.now += 7200
    assert (await store.get(job["job_id"], wait=False, with_stats=False))["status"] == "running"


async def test_close_removes_every_jobs_script(store: Any) -> None:
    await store.start(opts())
    await ended_job(store)
    await store.close()
    assert set(store.ctx.removed) == {"/tmp/cocalc-0", "/tmp/cocalc-1"}
    assert store._tasks == set()


# -- the monitor ----------------------------------------------------------------------------


class FakeTree:
    """A process with children, each with RSS (bytes) and CPU seconds that tests move on."""

    def __init__(self) -> None:
        self.rss = {0: 3 * MIB, 1: 1 * MIB, 2: 5 * MIB}
        self.cpu = {0: (1.0, 0.5), 1: (0.25, 0.25), 2: (0.0, 0.0)}
        self.gone: set[int] = set()
        self.children_fail = False
        self.pid = 1  # the process's pid

    def member(self, n: int) -> Any:
        tree = self

        class Member:
            def oneshot(self) -> Any:
                return _nothing()

            def memory_info(self) -> Any:
                if n in tree.gone:
                    raise psutil.NoSuchProcess(n)
                return SimpleNamespace(rss=tree.rss[n])

            def cpu_times(self) -> Any:
                user, system = tree.cpu[n]
                return SimpleNamespace(user=user, system=system)

            def children(self, recursive: bool = False) -> list[Any]:
                assert recursive
                if tree.children_fail:
                    raise psutil.NoSuchProcess(n)
                return [tree.member(1), tree.member(2)]

        return Member()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture
def tree(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTree]:
    tree = FakeTree()
    root = tree.member(0)

    def process(pid: int) -> Any:
        if pid != tree.pid:
            raise psutil.NoSuchProcess(pid)
        return root

    monkeypatch.setattr(jobs, "psutil", SimpleNamespace(Process=process, Error=psutil.Error))
    yield tree


def test_a_sample_sums_the_process_and_its_children(tree: FakeTree) -> None:
    sample = jobs._sample_tree(jobs.psutil.Process(1))
    assert sample == (9 * MIB, 2.0)
    tree.gone = {2}  # a child gone meanwhile is not in the snapshot
    assert jobs._sample_tree(jobs.psutil.Process(1)) == (4 * MIB, 2.0)
    tree.gone = {0}  # the process itself gone: no sample (sumChildren's null)
    assert jobs._sample_tree(jobs.psutil.Process(1)) is None
    tree.gone, tree.children_fail = set(), True
    assert jobs._sample_tree(jobs.psutil.Process(1)) is None


async def test_the_monitor_samples_on_execute_codes_schedule(
    tree: FakeTree, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def wait_for(awaitable: Any, timeout: float) -> None:
        awaitable.close()
        waits.append(timeout)
        clock.now += timeout
        tree.cpu[0] = (tree.cpu[0][0] + timeout / 2, tree.cpu[0][1])  # half a core
        if len(waits) == 130:
            job.finish(Outcome("", "", 0))
        raise TimeoutError

    monkeypatch.setattr(jobs, "asyncio", SimpleNamespace(wait_for=wait_for))
    job = jobs.Job(
        "id", 0, PreparedCommand("true", (), "/", {}), ExecOptions(command="true"), limit=10
    )
    store = jobs.JobStore(FakeContext())  # type: ignore[arg-type]
    await store._monitor(job, 1)

    assert waits[0] == 1.0  # the first sample after 1 s
    # Then max(1, floor(elapsed / 6)) seconds, elapsed counted from the start, at most 60.
    elapsed = 0.0
    for before, after in itertools.pairwise(waits):
        elapsed += before
        assert after == min(max(1, elapsed // 6), 60)
    assert waits[-1] == 60
    assert len(job.stats) == 100  # the last 100 samples
    last = job.stats[-1]
    assert set(last) == {"timestamp", "mem_rss", "cpu_pct", "cpu_secs"}
    assert last["mem_rss"] == 9  # MiB
    assert last["cpu_pct"] == pytest.approx(50)
    assert last["cpu_secs"] == pytest.approx(2.0 + sum(waits[:-1]) / 2)
    assert abs(last["timestamp"] - time.time() * 1000) < 60_000
    # The first one kept is the 30th of 129 (the 130th wait ends with the job).
    assert job.stats[0]["cpu_secs"] == pytest.approx(2.0 + sum(waits[:30]) / 2)


async def test_the_monitor_stops_when_the_process_is_gone(
    tree: FakeTree, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def wait_for(awaitable: Any, timeout: float) -> None:
        awaitable.close()
        waits.append(timeout)
        clock.now += timeout
        if len(waits) == 2:
            tree.gone = {0}
        raise TimeoutError

    monkeypatch.setattr(jobs, "asyncio", SimpleNamespace(wait_for=wait_for))
    job = jobs.Job(
        "id", 0, PreparedCommand("true", (), "/", {}), ExecOptions(command="true"), limit=10
    )
    await jobs.JobStore(FakeContext())._monitor(job, 1)  # type: ignore[arg-type]
    assert len(waits) == 2 and len(job.stats) == 1


async def test_stats_are_shown_only_when_asked_and_once_sampled(store: Any) -> None:
    job = await store.start(opts())
    record = store._jobs[job["job_id"]]
    assert "stats" not in await store.get(job["job_id"], wait=False, with_stats=True)
    sample = {"timestamp": 1, "mem_rss": 2.0, "cpu_pct": 3.0, "cpu_secs": 4.0}
    record.stats.append(sample)
    assert (await store.get(job["job_id"], wait=False, with_stats=True))["stats"] == [sample]
    assert "stats" not in await store.get(job["job_id"], wait=False, with_stats=False)


async def test_by_default_100_finished_jobs_are_kept_each_for_an_hour(
    clock: Clock, no_monitor: None
) -> None:
    # execute-code.ts: ASYNC_CACHE_MAX = 100, ASYNC_CACHE_TTL_S = 60 * 60.
    store = jobs.JobStore(FakeContext())  # type: ignore[arg-type]
    store.ctx = store._ctx  # type: ignore[attr-defined]
    ended = [await ended_job(store) for _ in range(101)]
    with pytest.raises(ProjectError, match=missing(ended[0])):
        await store.get(ended[0], wait=False, with_stats=False)
    await store.get(ended[1], wait=False, with_stats=False)
    clock.now += 3600
    await store.get(ended[1], wait=False, with_stats=False)
    clock.now += 3600.001
    with pytest.raises(ProjectError, match=missing(ended[1])):
        await store.get(ended[1], wait=False, with_stats=False)
    await store.close()


async def test_each_samples_cpu_share_is_over_the_time_since_the_last(
    tree: FakeTree, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def wait_for(awaitable: Any, timeout: float) -> None:
        awaitable.close()
        waits.append(timeout)
        if len(waits) == 1:
            clock.now += 1
            tree.cpu[0] = (1.5, 0.5)
        if len(waits) == 3:
            job.finish(Outcome("", "", 0))
        raise TimeoutError

    monkeypatch.setattr(jobs, "asyncio", SimpleNamespace(wait_for=wait_for))
    job = jobs.Job(
        "id", 0, PreparedCommand("true", (), "/", {}), ExecOptions(command="true"), limit=10
    )
    await jobs.JobStore(FakeContext())._monitor(job, 1)  # type: ignore[arg-type]
    # The first: the CPU seconds used since the start (2.5) over the seconds since (1); the
    # second, at the same time as the first (the clock stood still): no share.
    assert [sample["cpu_pct"] for sample in job.stats] == [pytest.approx(250), 0.0]


async def test_a_started_job_is_sampled_by_its_pid(tree: FakeTree, clock: Clock) -> None:
    ctx = FakeContext()
    store = jobs.JobStore(ctx, first_sample_s=0.001)  # type: ignore[arg-type]
    tree.pid = 1000  # the fake context's first pid
    job = await store.start(opts())
    for _ in range(1000):  # bounded: each turn waits 1 ms for the first sample
        seen = await store.get(job["job_id"], wait=False, with_stats=True)
        if "stats" in seen:
            break
        await asyncio.sleep(0.001)
    assert seen["stats"][0]["mem_rss"] == 9
    ctx.started[0].ended.set_result(Outcome("", "", 0))
    await store.close()
