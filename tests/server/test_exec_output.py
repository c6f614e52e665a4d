"""How much output one exec call may hold: the server's cap (``--max-exec-output``), the call's
``max_output``, and the server's memory and responsiveness while a command floods its pipes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from cocalc_project_server.testing import running_server

from .conftest import Api
from .polling import wait_for

SMALL_CAP = 1000
# The documented default of --max-exec-output.
DEFAULT_MAX_EXEC_OUTPUT = 10 * 1024 * 1024
# A finite flood: ends by itself (exit 0) only if its output is read all along.
FLOOD = "head -c {n} /dev/zero | tr '\\0' y"


@pytest.fixture(scope="module")
def small_cap_api() -> Iterator[Api]:
    with (
        running_server(kernel_pool_size=0, extra_args=["--max-exec-output", str(SMALL_CAP)]) as srv,
        httpx2.Client(timeout=60) as client,
    ):
        yield Api(srv, client)


def marked(text: str, limit: int) -> str:
    # execute-code.ts appends this once a stream reached max_output characters.
    return f"{text} (truncated at {limit} characters)"


def test_default_cap_keeps_10_mi_characters_and_drains_the_rest(api: Api) -> None:
    result = api.exec(command=FLOOD.format(n=DEFAULT_MAX_EXEC_OUTPUT + 3_000_000))
    assert result["exit_code"] == 0
    assert result["stdout"] == marked("y" * DEFAULT_MAX_EXEC_OUTPUT, DEFAULT_MAX_EXEC_OUTPUT)


def test_output_under_the_cap_is_unmarked(small_cap_api: Api) -> None:
    assert small_cap_api.exec(command=FLOOD.format(n=SMALL_CAP - 1))["stdout"] == "y" * (
        SMALL_CAP - 1
    )


def test_the_cap_applies_per_stream_and_the_command_runs_to_its_end(small_cap_api: Api) -> None:
    result = small_cap_api.exec(
        command=FLOOD.format(n=5_000_000) + "; " + FLOOD.format(n=2000) + " >&2"
    )
    assert result == {
        "type": "blocking",
        "stdout": marked("y" * SMALL_CAP, SMALL_CAP),
        "stderr": marked("y" * SMALL_CAP, SMALL_CAP),
        "exit_code": 0,
    }


def test_a_smaller_max_output_wins_and_a_larger_one_is_capped(small_cap_api: Api) -> None:
    flood = FLOOD.format(n=50_000)
    assert small_cap_api.exec(command=flood, max_output=10)["stdout"] == marked("y" * 10, 10)
    larger = small_cap_api.exec(command=flood, max_output=SMALL_CAP * 10)
    assert larger["stdout"] == marked("y" * SMALL_CAP, SMALL_CAP)


def test_async_jobs_are_capped_too(small_cap_api: Api) -> None:
    job = small_cap_api.exec(command=FLOOD.format(n=100_000), async_call=True)
    final = small_cap_api.exec(async_get=job["job_id"], async_await=True)
    assert (final["status"], final["stdout"]) == ("completed", marked("y" * SMALL_CAP, SMALL_CAP))


class RssWatcher:
    """Samples a process's resident memory in a thread until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self._proc = psutil.Process(pid)
        self.start_rss = self._proc.memory_info().rss
        self.peak = self.start_rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def test_an_endless_flood_is_killed_at_its_timeout_with_memory_bounded(api: Api) -> None:
    # `yes` writes gigabytes a second; the server used to keep all of it (2.9 GB after 2 s).
    watcher = RssWatcher(api.server.pid)
    outcome: dict[str, Any] = {}

    def run() -> None:
        with httpx2.Client(timeout=60) as client:
            outcome["result"] = Api(api.server, client).exec(command="yes", timeout=2)

    caller = threading.Thread(target=run)
    caller.start()
    server = psutil.Process(api.server.pid)
    wait_for(lambda: any(p.name() == "yes" for p in server.children()), "yes to start")
    # The server answers other calls while it drains the flood.
    ping = api.call("system.ping", {})
    answered_while_running = caller.is_alive()
    caller.join(timeout=60)
    watcher.stop()
    assert set(ping) == {"now"}
    assert answered_while_running
    # Killed at its timeout although its output never stopped (no args: note the space).
    assert outcome["result"] == {"error": "killed command 'yes '"}
    # Two streams of at most 10 Mi characters, plus slack for the allocator.
    assert watcher.peak - watcher.start_rss < 200 * 1024 * 1024
