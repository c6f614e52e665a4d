"""The per-project loop, written once: for each project, start it and wait until it runs, do
the operation, record the outcome; at most `concurrency` projects at a time, on one pool of
connections, each result handed out as soon as its project is done.

As the web app's run in all student projects (src/packages/frontend/course/student-projects/
run-in-all-projects.ts: `awaiting.map` over the projects with MAX_PARALLEL_TASKS = 30, each
`start_project(project_id, 60)` then `exec`), a project that fails becomes a record with its
error and the others go on. Cancelling the run (Ctrl-C in the sync API) starts nothing more
and drops the projects in flight; the results file then holds every finished one.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

import httpx2

from cocalc_api._client import AsyncProject
from cocalc_api._exceptions import CocalcError
from cocalc_api._network.http_clients import DefaultAsyncHttpxClient
from cocalc_api.course._operations import Operation
from cocalc_api.course._records import ProjectResult, failed, finished
from cocalc_api.course._results_file import ResultsFile
from cocalc_api.course._steps import (
    DEFAULT_START_TIMEOUT_S,
    StartWait,
    check_may_run,
    deleted_projects,
    projects_to_run,
)
from cocalc_api.hub import AsyncHub

# src/packages/frontend/course/student-projects/actions.ts (MAX_PARALLEL_TASKS)
DEFAULT_CONCURRENCY = 30
# Connections beyond the workers' own: the hub calls made while they work.
_SPARE_CONNECTIONS = 2


@dataclass(frozen=True)
class RunSettings:
    """How a run goes, whatever it does in each project."""

    api_key: str | None = None
    host: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    start: bool = True
    start_timeout: float = DEFAULT_START_TIMEOUT_S
    results_file: str | os.PathLike[str] | None = None
    rerun_failed: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int):
            raise TypeError("concurrency must be an int")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if not self.start_timeout > 0:
            raise ValueError("start_timeout must be positive")


class _Finished:
    """The end of the records: every worker is done (or one failed with `error`)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


async def run_each(
    project_ids: Iterable[str],
    operation: Operation,
    settings: RunSettings,
    *,
    timeout: float | None = None,
) -> AsyncIterator[ProjectResult]:
    """Each project's record, as each finishes. `timeout` is only recorded (the web app's
    `timeout` field); the operation applies it."""
    results = ResultsFile(settings.results_file) if settings.results_file is not None else None
    done = results.done(rerun_failed=settings.rerun_failed) if results is not None else set()
    todo = projects_to_run(project_ids, done)
    limits = httpx2.Limits(
        max_connections=settings.concurrency + _SPARE_CONNECTIONS,
        max_keepalive_connections=settings.concurrency + _SPARE_CONNECTIONS,
    )
    async with DefaultAsyncHttpxClient(limits=limits) as http:
        hub = AsyncHub(api_key=settings.api_key, host=settings.host, http_client=http)
        run = _Run(hub, http, operation, settings, timeout)
        await run.look_up_deleted()
        try:
            async for record in run.records(todo):
                if results is not None:
                    results.append(record)
                yield record
        finally:
            if results is not None:
                results.close()


class _Run:
    def __init__(
        self,
        hub: AsyncHub,
        http: httpx2.AsyncClient,
        operation: Operation,
        settings: RunSettings,
        timeout: float | None,
    ) -> None:
        self._hub = hub
        # projects.start waits for the start: its call needs the start's time, not 15 s.
        self._starter = hub.copy(timeout=settings.start_timeout)
        self._http = http
        self._operation = operation
        self._settings = settings
        self._timeout = timeout
        self._deleted: frozenset[str] = frozenset()
        self._began = time.monotonic()

    async def look_up_deleted(self) -> None:
        """One query for the deleted ones among the account's projects; skipped (each
        project then answers for itself) where the key may not list projects."""
        try:
            rows = await self._hub.projects.get(all=True, fields=["project_id", "deleted"])
        except CocalcError:
            return
        self._deleted = deleted_projects(rows)

    async def records(self, todo: Iterator[str]) -> AsyncIterator[ProjectResult]:
        queue: asyncio.Queue[ProjectResult | _Finished] = asyncio.Queue(
            maxsize=self._settings.concurrency
        )

        # The task that takes the records: once it is being cancelled (Ctrl-C), no worker
        # starts another project, even one it takes before the cancellation reaches it.
        consumer = asyncio.current_task()
        cancels_before = consumer.cancelling() if consumer is not None else 0

        def stopping() -> bool:
            return consumer is not None and consumer.cancelling() > cancels_before

        async def worker() -> None:
            for project_id in todo:  # shared: each worker takes the next project
                if stopping():
                    return
                await queue.put(await self.one(project_id))

        workers = [asyncio.ensure_future(worker()) for _ in range(self._settings.concurrency)]

        async def all_done() -> None:
            try:
                await asyncio.gather(*workers)
            except Exception as error:  # noqa: BLE001 - a bug, not a project: ends the run
                await queue.put(_Finished(error))
            else:
                await queue.put(_Finished())

        watcher = asyncio.ensure_future(all_done())
        try:
            while not isinstance(item := await queue.get(), _Finished):
                yield item
            if item.error is not None:
                raise item.error
        finally:
            for task in (*workers, watcher):
                task.cancel()
            await asyncio.gather(*workers, watcher, return_exceptions=True)

    async def one(self, project_id: str) -> ProjectResult:
        """Start, wait, operate, record: one project, its failure kept in its record."""
        try:
            check_may_run(project_id, self._deleted)
            if self._settings.start:
                await self._start(project_id)
            project = AsyncProject(
                api_key=self._hub.api_key,
                host=self._hub.host,
                project_id=project_id,
                http_client=self._http,
            )
            outcome = await self._operation(project)
        except Exception as error:  # noqa: BLE001 - any failure is the project's record
            return failed(project_id, error, self._elapsed(), self._timeout)
        return finished(project_id, outcome, self._elapsed(), self._timeout)

    async def _start(self, project_id: str) -> None:
        asked = time.monotonic()
        await self._starter.projects.start(project_id)
        wait = StartWait(self._settings.start_timeout)
        while True:
            state = (await self._hub.projects.state(project_id)).get("state")
            look = wait.after(state, time.monotonic() - asked)
            if look.running:
                return
            if look.start_again:
                await self._starter.projects.start(project_id)
            else:
                await asyncio.sleep(look.delay)

    def _elapsed(self) -> float:
        return time.monotonic() - self._began
