"""system.exec async jobs: async_call, async_get, async_await, async_stats."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from cocalc_project_server.testing import running_server

from .conftest import Api

BUSY_1_5_S = "python3 -c 'import time\nt = time.time()\nwhile time.time() - t < 1.5: pass'"


def test_async_call_returns_at_once_and_await_gives_the_final_state(api: Api) -> None:
    before = int(time.time() * 1000)
    started = time.monotonic()
    job = api.exec(command="echo first; sleep 1.5; echo second", async_call=True)
    assert time.monotonic() - started < 1.0
    assert set(job) == {"type", "job_id", "status", "start", "pid", "stdout", "stderr", "exit_code"}
    assert job["type"] == "async" and job["status"] == "running"
    assert (job["stdout"], job["stderr"], job["exit_code"]) == ("", "", 0)
    assert str(uuid.UUID(job["job_id"])) == job["job_id"]
    assert isinstance(job["pid"], int) and job["pid"] > 0
    assert before - 1000 <= job["start"] <= time.time() * 1000

    time.sleep(0.5)
    running = api.exec(async_get=job["job_id"])
    assert running["status"] == "running"
    assert running["stdout"] == "first\n"
    assert "elapsed_s" not in running

    final = api.exec(async_get=job["job_id"], async_await=True)
    assert final["status"] == "completed"
    assert final["stdout"] == "first\nsecond\n"
    assert final["exit_code"] == 0
    assert final["job_id"] == job["job_id"] and final["start"] == job["start"]
    assert 1.4 <= final["elapsed_s"] < 10
    assert "stats" not in final


def test_async_stats_samples_the_running_process(api: Api) -> None:
    job = api.exec(command=BUSY_1_5_S, async_call=True)
    final = api.exec(async_get=job["job_id"], async_await=True, async_stats=True)
    assert final["status"] == "completed"
    stats = final["stats"]
    assert len(stats) >= 1
    for sample in stats:
        assert set(sample) == {"timestamp", "mem_rss", "cpu_pct", "cpu_secs"}
        assert job["start"] < sample["timestamp"] <= time.time() * 1000
        assert 0 < sample["mem_rss"] < 4096  # MiB
        assert sample["cpu_pct"] >= 0
    # A busy loop has used CPU by the time of the last sample (loosely: the machine may be busy).
    assert stats[-1]["cpu_secs"] > 0.05
    assert stats[-1]["cpu_pct"] > 1


def test_failed_async_job(api: Api) -> None:
    job = api.exec(command="echo out; echo bad >&2; exit 3", async_call=True)
    final = api.exec(async_get=job["job_id"], async_await=True)
    assert final["status"] == "error"
    assert (final["stdout"], final["stderr"], final["exit_code"]) == ("", "bad\n", 1)
    assert "elapsed_s" in final


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
    assert final["exit_code"] == 1
    assert final["elapsed_s"] < 5


def test_async_await_is_bounded_by_the_envelope_timeout(api: Api) -> None:
    job = api.exec(command="sleep", args=["3"], async_call=True)
    result = api.call("system.exec", {"async_get": job["job_id"], "async_await": True}, timeout=300)
    assert result["error"].startswith("timeout - callHub: ")
    assert result["error"].endswith("name='system.exec', code='408' ")
    # The job itself was not affected by the caller giving up.
    assert api.exec(async_get=job["job_id"], async_await=True)["status"] == "completed"


def test_unknown_job_id(api: Api) -> None:
    assert api.exec(async_get="nope") == {"error": "Error: Async operation 'nope' does not exist."}


def test_at_most_100_jobs_are_kept_oldest_finished_first(api: Api) -> None:
    job_ids = []
    for _ in range(100):
        job = api.exec(command="true", async_call=True)
        api.exec(async_get=job["job_id"], async_await=True)
        job_ids.append(job["job_id"])
    # All 100 are kept (older jobs of other tests were evicted before them).
    assert api.exec(async_get=job_ids[0])["status"] == "completed"
    for job_id in job_ids[1:]:
        api.exec(async_get=job_id)  # touch: job_ids[0] is now the least recently used
    newest = api.exec(command="sleep", args=["1"], async_call=True)
    assert api.exec(async_get=job_ids[0]) == {
        "error": f"Error: Async operation '{job_ids[0]}' does not exist."
    }
    assert api.exec(async_get=job_ids[1])["status"] == "completed"
    assert api.exec(async_get=newest["job_id"], async_await=True)["status"] == "completed"


@pytest.mark.parametrize("async_call", [True, False])
def test_a_command_that_cannot_start_leaves_no_script_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, async_call: bool
) -> None:
    # Bash mode writes the script to a temporary folder; a NUL byte in the environment makes
    # the spawn fail after that, and the folder must still go.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with running_server(kernel_pool_size=0) as server, httpx.Client(timeout=30) as client:
        api = Api(server, client)
        answer = api.exec(command="echo hi", bash=True, env={"A": "x\0y"}, async_call=async_call)
        assert answer == {"error": "Error: embedded null byte"}
        assert api.call("system.ping", {})  # still serving
        assert list(tmp_path.glob("cocalc-*/a.sh")) == []
