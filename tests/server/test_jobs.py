"""system.exec async jobs: async_call, async_get, async_await, async_stats, and how many are kept.

Each test starts its own jobs and, where the number of kept jobs matters, its own server.
"""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from cocalc_project_server.testing import running_server

from .conftest import Api
from .polling import wait_for

BUSY_1_5_S = "python3 -c 'import time\nt = time.time()\nwhile time.time() - t < 1.5: pass'"
# Runs until the file `go` appears in the working folder: a test decides when it ends.
UNTIL_GO = "echo first; while [ ! -e {go} ]; do sleep 0.02; done; echo second"


@contextmanager
def own_server(*extra_args: str) -> Iterator[Api]:
    with (
        running_server(kernel_pool_size=0, extra_args=extra_args) as server,
        httpx2.Client(timeout=60) as client,
    ):
        yield Api(server, client)


def missing(job_id: str) -> dict[str, str]:
    return {"error": f"Error: Async operation '{job_id}' does not exist."}


def test_async_call_returns_at_once_and_await_gives_the_final_state(api: Api) -> None:
    go = Path(api.server.root) / f"go-{uuid.uuid4()}"
    before = int(time.time() * 1000)
    # The command cannot end before the test says so: the answer comes back while it runs.
    job = api.exec(command=UNTIL_GO.format(go=go.name), async_call=True)
    assert set(job) == {"type", "job_id", "status", "start", "pid", "stdout", "stderr", "exit_code"}
    assert job["type"] == "async" and job["status"] == "running"
    assert (job["stdout"], job["stderr"], job["exit_code"]) == ("", "", 0)
    assert str(uuid.UUID(job["job_id"])) == job["job_id"]
    assert isinstance(job["pid"], int) and job["pid"] > 0
    assert before <= job["start"] <= time.time() * 1000

    running = wait_for(
        lambda: (r := api.exec(async_get=job["job_id"]))["stdout"] and r, "the first line"
    )
    assert running["status"] == "running"
    assert running["stdout"] == "first\n"
    assert "elapsed_s" not in running

    go.touch()
    released = time.time() * 1000
    final = api.exec(async_get=job["job_id"], async_await=True)
    assert final["status"] == "completed"
    assert final["stdout"] == "first\nsecond\n"
    assert final["exit_code"] == 0
    assert final["job_id"] == job["job_id"] and final["start"] == job["start"]
    # It ran at least until the test released it.
    assert final["elapsed_s"] * 1000 >= released - job["start"] - 50
    assert "stats" not in final


def test_stats_are_absent_until_the_first_sample_and_unless_asked(api: Api) -> None:
    go = Path(api.server.root) / f"go-{uuid.uuid4()}"
    job = api.exec(command=BUSY_1_5_S + f"; {UNTIL_GO.format(go=go.name)}", async_call=True)
    # The first sample is taken one second after the start: not yet (absent, not []).
    early = api.exec(async_get=job["job_id"], async_stats=True)
    assert early["status"] == "running" and "stats" not in early
    sampled = wait_for(
        lambda: (r := api.exec(async_get=job["job_id"], async_stats=True)).get("stats") and r,
        "the first sample",
    )
    for sample in sampled["stats"]:
        assert set(sample) == {"timestamp", "mem_rss", "cpu_pct", "cpu_secs"}
        assert job["start"] < sample["timestamp"] <= time.time() * 1000
        assert 0 < sample["mem_rss"] < 4096  # MiB
        assert sample["cpu_pct"] >= 0
    # Not asked for: absent even though there are samples.
    assert "stats" not in api.exec(async_get=job["job_id"])
    go.touch()
    final = api.exec(async_get=job["job_id"], async_await=True, async_stats=True)
    assert final["status"] == "completed"
    # A busy loop has used CPU by the time of the last sample (loosely: the machine may be busy).
    assert final["stats"][-1]["cpu_secs"] > 0.05
    assert "stats" not in api.exec(async_get=job["job_id"], async_await=True)


def test_failed_async_job(api: Api) -> None:
    job = api.exec(command="echo out; echo bad >&2; exit 3", async_call=True)
    final = api.exec(async_get=job["job_id"], async_await=True)
    assert final["status"] == "error"
    assert (final["stdout"], final["stderr"], final["exit_code"]) == ("", "bad\n", 1)
    assert "elapsed_s" in final


def test_failed_async_job_with_empty_stderr_says_no_result(api: Api) -> None:
    # execute-code.ts: the callback gets stderr as the error; "" is falsy, so "No result".
    job = api.exec(command="exit 3", async_call=True)
    final = api.exec(async_get=job["job_id"], async_await=True)
    assert (final["status"], final["stdout"], final["stderr"]) == ("error", "", "No result")


def test_async_job_with_err_on_exit_false_completes(api: Api) -> None:
    job = api.exec(command="echo out; exit 3", async_call=True, err_on_exit=False)
    final = api.exec(async_get=job["job_id"], async_await=True)
    assert final["status"] == "completed"
    assert (final["stdout"], final["exit_code"]) == ("out\n", 3)


def test_async_job_timeout_kills_it(api: Api) -> None:
    job = api.exec(command="sleep", args=["20"], async_call=True, timeout=1)
    final = api.exec(async_get=job["job_id"], async_await=True)
    assert final["status"] == "error"
    assert final["stderr"] == "killed command 'sleep 20'"
    assert (final["stdout"], final["exit_code"]) == ("", 1)
    assert 1 <= final["elapsed_s"] < 20


def test_a_job_whose_bash_is_killed_completes_while_its_child_runs_on(api: Api) -> None:
    # execute-code.ts: the job ends on the child's "exit" event, finish() forces completion
    # 1 s later although a grandchild holds the pipes, and a signal death is `code ?? 0`; what
    # the grandchild writes afterwards still lands in the stored stdout (update_async).
    go = Path(api.server.root) / f"go-{uuid.uuid4()}"
    # The grandchild writes the first line itself: once it shows, the grandchild runs and
    # holds the pipes. (Written by bash before it started the grandchild, as this test once
    # had it, a slow fork let the kill below come first: no grandchild, no late line.)
    grandchild = f"sh -c 'echo first; while [ ! -e {go.name} ]; do sleep 0.02; done; echo late'"
    job = api.exec(command=grandchild, async_call=True)
    wait_for(lambda: api.exec(async_get=job["job_id"])["stdout"], "the first line")
    assert api.call("system.signal", {"signal": 9, "pid": job["pid"]}) is None
    final = api.exec(async_get=job["job_id"], async_await=True)
    assert (final["status"], final["exit_code"]) == ("completed", 0)
    assert (final["stdout"], final["stderr"]) == ("first\n", "")
    go.touch()
    later = wait_for(
        lambda: (r := api.exec(async_get=job["job_id"]))["stdout"] != "first\n" and r,
        "the grandchild's line",
    )
    assert (later["status"], later["stdout"], later["exit_code"]) == (
        "completed",
        "first\nlate\n",
        0,
    )


def test_an_id_is_echoed_by_start_and_poll(api: Api) -> None:
    job = api.exec(command="echo hi", async_call=True, id="mine")
    assert list(job)[:2] == ["id", "type"] and job["id"] == "mine"
    final = api.exec(async_get=job["job_id"], async_await=True, id=5)
    assert final["id"] == 5 and final["stdout"] == "hi\n"
    assert "id" not in api.exec(async_get=job["job_id"])


def test_async_await_is_bounded_by_the_envelope_timeout(api: Api) -> None:
    go = Path(api.server.root) / f"go-{uuid.uuid4()}"
    job = api.exec(command=UNTIL_GO.format(go=go.name), async_call=True)
    result = api.call("system.exec", {"async_get": job["job_id"], "async_await": True}, timeout=300)
    assert result["error"].startswith("timeout - callHub: ")
    assert result["error"].endswith("name='system.exec', code='408' ")
    # The job itself was not affected by the caller giving up.
    go.touch()
    assert api.exec(async_get=job["job_id"], async_await=True)["status"] == "completed"


def test_a_finished_jobs_script_folder_is_removed_when_it_ends(api: Api) -> None:
    # execute-code.ts: the async job's callback ends with cleanUpTempDir(tempDir) in a
    # `finally`, when the job ends, not when the project stops. bash is run as `bash a.sh`,
    # so $0 is the script.
    job = api.exec(command="echo $0", async_call=True)
    final = api.exec(async_get=job["job_id"], async_await=True)
    script = Path(final["stdout"].strip())
    assert script.name == "a.sh" and script.parent.name.startswith("cocalc-"), final
    wait_for(lambda: not script.parent.exists(), "the script folder to go", timeout=10)


def test_unknown_job_id(api: Api) -> None:
    assert api.exec(async_get="nope") == missing("nope")


def test_by_default_100_jobs_are_kept_least_recently_used_dropped_first() -> None:
    # execute-code.ts: LRU with max ASYNC_CACHE_MAX = 100 and updateAgeOnGet.
    with own_server() as api:
        job_ids = []
        for _ in range(100):
            job = api.exec(command="true", async_call=True)
            api.exec(async_get=job["job_id"], async_await=True)
            job_ids.append(job["job_id"])
        api.exec(async_get=job_ids[0])  # used again: now job_ids[1] is the least recent
        newest = api.exec(command="true", async_call=True)
        api.exec(async_get=newest["job_id"], async_await=True)
        assert api.exec(async_get=job_ids[1]) == missing(job_ids[1])
        for job_id in [job_ids[0], *job_ids[2:]]:
            assert api.exec(async_get=job_id)["status"] == "completed"


def test_the_cap_is_a_setting_and_many_jobs_started_together_are_all_kept() -> None:
    with own_server("--async-jobs-max", "200") as api:
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            jobs = list(pool.map(lambda _: api.exec(command="true", async_call=True), range(200)))
        for job in jobs:
            assert api.exec(async_get=job["job_id"], async_await=True)["status"] == "completed"


def test_running_jobs_are_never_dropped() -> None:
    with own_server("--async-jobs-max", "2") as api:
        # cat waits on its stdin, which stays open: these run until the server stops.
        running = [api.exec(command="cat", timeout=0, async_call=True) for _ in range(3)]
        quick = api.exec(command="true", async_call=True)
        # Four jobs for a cap of two: the one that finishes goes, the running ones stay.
        wait_for(
            lambda: api.exec(async_get=quick["job_id"]) == missing(quick["job_id"]), "eviction"
        )
        for job in running:
            assert api.exec(async_get=job["job_id"])["status"] == "running"


def test_finishing_counts_as_a_use() -> None:
    # asyncCacheUpdate stores the final state with a `set`, which makes the job most recent.
    with own_server("--async-jobs-max", "2") as api:
        slow = api.exec(command=UNTIL_GO.format(go="go"), async_call=True)
        first = api.exec(command="true", async_call=True)
        api.exec(async_get=first["job_id"], async_await=True)
        (Path(api.server.root) / "go").touch()
        # Not polled (a poll is a use too): wait for its process to end instead.
        psutil.Process(slow["pid"]).wait(timeout=30)
        third = api.exec(command="true", async_call=True)
        api.exec(async_get=third["job_id"], async_await=True)
        assert api.exec(async_get=first["job_id"]) == missing(first["job_id"])
        assert api.exec(async_get=slow["job_id"])["stdout"] == "first\nsecond\n"


@pytest.mark.parametrize("async_call", [True, False])
def test_a_command_that_cannot_start_leaves_no_script_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, async_call: bool
) -> None:
    # Bash mode writes the script to a temporary folder; a NUL byte in the environment makes
    # the spawn fail after that, and the folder must still go.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with own_server() as api:
        answer = api.exec(command="echo hi", bash=True, env={"A": "x\0y"}, async_call=async_call)
        assert answer == {"error": "Error: embedded null byte"}
        ping = api.call("system.ping", {})
        assert set(ping) == {"now"} and isinstance(ping["now"], int)  # still serving
        assert list(tmp_path.glob("cocalc-*/a.sh")) == []
