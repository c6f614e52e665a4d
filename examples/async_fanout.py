"""Many calls at once with AsyncProject: fan out, bound the concurrency, gather the results.

One AsyncProject shares its pool of connections among all the calls in flight (docs/async.md).
Settings come from COCALC_API_KEY, COCALC_PROJECT_ID and COCALC_HOST. Run it with
`python examples/async_fanout.py`.
"""

from __future__ import annotations

import asyncio
import sys
import time

import cocalc_api

# Commands in flight at once; the rest wait for a free slot.
CONCURRENCY = 8


async def square(project: cocalc_api.AsyncProject, slots: asyncio.Semaphore, n: int) -> int:
    async with slots:
        out = await project.system.exec(command=f"echo $(({n} * {n}))")
        return int(out["stdout"])


async def main() -> int:
    async with cocalc_api.AsyncProject() as project:
        start = time.monotonic()
        pings = await asyncio.gather(*(project.ping() for _ in range(50)))
        print(f"{len(pings)} pings in {time.monotonic() - start:.2f} s")

        slots = asyncio.Semaphore(CONCURRENCY)
        start = time.monotonic()
        squares = await asyncio.gather(*(square(project, slots, n) for n in range(20)))
        print(f"{len(squares)} commands in {time.monotonic() - start:.2f} s")
        print("sum of squares 0..19:", sum(squares))

        # One failure does not cancel the others with return_exceptions=True.
        results = await asyncio.gather(
            project.system.exec(command="true"),
            project.system.exec(command="false"),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, cocalc_api.ExecError):
                print("failed with exit code", result.exit_code)
            elif isinstance(result, BaseException):
                raise result
            else:
                print("succeeded with exit code", result["exit_code"])
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
