"""The sync API over the async engine: a run's records collected into a list on an event loop
of its own, and Ctrl-C (or cancelling) ending the run with the records that finished."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from cocalc_api.course._records import ProjectResult, succeeded

T = TypeVar("T")


class RunResults(list[ProjectResult]):
    """The records of a run, in the order the projects finished. `interrupted` is True when
    the run was stopped (Ctrl-C) before every project was done: the list then holds the
    finished ones, and a results file lets you resume."""

    interrupted: bool = False

    @property
    def failures(self) -> list[ProjectResult]:
        """The records of the projects whose operation did not succeed."""
        return [record for record in self if not succeeded(record)]

    @property
    def ok(self) -> bool:
        """Every project of the run succeeded (and it was not interrupted)."""
        return not self.interrupted and not self.failures


async def collect(records: AsyncIterator[ProjectResult]) -> RunResults:
    """Every record of a run; on cancellation, those that finished, marked interrupted."""
    results = RunResults()
    try:
        async for record in records:
            results.append(record)
    except asyncio.CancelledError:
        results.interrupted = True
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # handled here: the run ends with what it has
    finally:
        aclose = getattr(records, "aclose", None)
        if aclose is not None:
            await aclose()
    return results


def drive(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine `make()` gives to its end from sync code.

    With no event loop running in this thread, asyncio.run (whose Ctrl-C cancels the
    coroutine); inside one (a notebook), on a loop of its own in a helper thread, Ctrl-C
    cancelling it there. Either way a coroutine that handles its cancellation returns."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    return _in_thread(make)


def _in_thread(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="cocalc-course-run", daemon=True)
    thread.start()
    started: Future[asyncio.Task[T]] = Future()

    def begin() -> None:
        started.set_result(loop.create_task(make()))

    loop.call_soon_threadsafe(begin)
    task = started.result()
    done: Future[T] = Future()

    def finish(ended: asyncio.Task[T]) -> None:
        if ended.cancelled():
            done.set_exception(asyncio.CancelledError())
        elif ended.exception() is not None:
            done.set_exception(ended.exception())
        else:
            done.set_result(ended.result())

    loop.call_soon_threadsafe(task.add_done_callback, finish)
    try:
        try:
            return done.result()
        except KeyboardInterrupt:
            loop.call_soon_threadsafe(task.cancel)
            return done.result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
