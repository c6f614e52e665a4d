"""jupyterRunNotebook's kernel start retries, as src/packages/util/async-utils.ts
``retry_until_success`` makes them with jupyter-run.ts's options (start_delay 1000 ms,
factor 1.4, max_delay 5000 ms, max_time 30000 ms, no desc): the next delay is
min(max_delay, factor * delay); it gives up when that delay would end past max_time, with
"maximum time exceeded -- last error was '<the error before>' -- undefined". Run here on a
fake clock, so the 30 s take no time.
"""

from __future__ import annotations

import asyncio

import pytest

from cocalc_project_server.errors import ProjectError, wire_message
from cocalc_project_server.run_notebook import retry_until_success


def run(fail_times: int) -> tuple[list[float], int, object]:
    now = [0.0]
    sleeps: list[float] = []
    attempts = [0]

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds * 1000)
        now[0] += seconds

    async def attempt() -> str:
        attempts[0] += 1
        if attempts[0] <= fail_times:
            raise ProjectError("cannot spawn since no kernel is set")
        return "spawned"

    async def main() -> object:
        try:
            return await retry_until_success(
                attempt,
                sleep=sleep,
                clock=lambda: now[0],
                start_delay_ms=1000,
                max_delay_ms=5000,
                factor=1.4,
                max_time_ms=30000,
            )
        except ProjectError as error:
            return wire_message(error)

    outcome = asyncio.run(main())
    return sleeps, attempts[0], outcome


def test_a_spawn_that_never_works_is_given_up_after_about_30_s() -> None:
    sleeps, attempts, outcome = run(fail_times=100)
    assert sleeps == pytest.approx([1400, 1960, 2744, 3841.6, 5000, 5000, 5000, 5000])
    assert sum(sleeps) == pytest.approx(29945.6) and attempts == 9
    assert outcome == (
        "Error: maximum time exceeded -- last error was "
        "'Error: cannot spawn since no kernel is set' -- undefined"
    )


def test_a_spawn_that_works_at_last_returns_its_result() -> None:
    sleeps, attempts, outcome = run(fail_times=2)
    assert sleeps == pytest.approx([1400, 1960])
    assert (attempts, outcome) == (3, "spawned")


def test_a_try_that_would_start_exactly_at_max_time_is_made() -> None:
    # check_done: `next_delay + Date.now() - start_time > max_time` (strictly): with 1 s delays
    # and 3 s at most, the try at 3 s (1 s after the one at 2 s) is made, the one at 4 s not.
    now = [0.0]
    attempts: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def attempt() -> None:
        attempts.append(now[0])
        raise ProjectError("not yet")

    async def main() -> None:
        with pytest.raises(ProjectError):
            await retry_until_success(
                attempt,
                sleep=sleep,
                clock=lambda: now[0],
                start_delay_ms=1000,
                max_delay_ms=1000,
                factor=1,
                max_time_ms=3000,
            )

    asyncio.run(main())
    assert attempts == [0, 1, 2, 3]
