"""Running projects: one project server (the local project server's ``ProjectApi`` and
``Dispatcher``) per running project, at most ``max_running`` at once.

Past the cap, starting a project first stops the least recently used one that has no call
in flight, as a site with limited room would; while every running project has calls in flight,
the start waits for one to finish, so a fan-out over more projects than the cap queues rather
than fails. Stopping (``projects.stop``, or making room) answers the stopped project's calls
in flight with the real "no subscribers" text, kills its commands and shuts down its kernels.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cocalc_project_server.api import ProjectApi
from cocalc_project_server.config import ServerConfig
from cocalc_project_server.dispatch import Dispatcher

StateListener = Callable[[str, str], None]


@dataclass
class RunningProject:
    project_id: str
    api: ProjectApi
    dispatcher: Dispatcher
    # src/packages/server/projects/control/util.ts (getStatus): start_ts, session_id
    start_ts: int = field(default_factory=lambda: int(time.time() * 1000))
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class ProjectRunners:
    """Starts and stops the project servers of one hub."""

    def __init__(
        self,
        home: Callable[[str], Path],
        *,
        max_running: int,
        kernel_pool_size: int,
        on_state: StateListener,
    ) -> None:
        self._home = home
        self._max_running = max_running
        self._kernel_pool_size = kernel_pool_size
        self._on_state = on_state
        # Least recently used first.
        self._running: OrderedDict[str, RunningProject] = OrderedDict()
        self._changing: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # Calls in flight per running project: such a project is not stopped to make room.
        self._busy: dict[str, int] = {}
        # Set (and replaced) whenever a running project becomes idle or stops.
        self._room = asyncio.Event()

    def get(self, project_id: str) -> RunningProject | None:
        return self._running.get(project_id)

    def changing(self, project_id: str) -> str | None:
        """``starting`` or ``stopping`` while the project is changing state, else None."""
        return self._changing.get(project_id)

    def running_ids(self) -> list[str]:
        return list(self._running)

    async def ensure_running(self, project_id: str) -> RunningProject:
        """The project's server, started if need be; it becomes the most recently used."""
        running = self._running.get(project_id)
        if running is None:
            running = await self.start(project_id)
        self._running.move_to_end(project_id)
        return running

    @asynccontextmanager
    async def using(self, project_id: str) -> AsyncIterator[RunningProject]:
        """The project's server for one call: started if need be, and not stopped to make
        room for another project until the call is done."""
        running = await self.ensure_running(project_id)
        # No await between the start and this count: room cannot be made with it in between.
        self._busy[project_id] = self._busy.get(project_id, 0) + 1
        try:
            yield running
        finally:
            left = self._busy[project_id] - 1
            if left:
                self._busy[project_id] = left
            else:
                del self._busy[project_id]
                self._made_room()

    async def start(self, project_id: str) -> RunningProject:
        async with self._lock(project_id):
            running = self._running.get(project_id)
            if running is not None:
                return running
            while len(self._running) >= self._max_running:
                room = self._room
                idle = next((p for p in self._running if not self._busy.get(p)), None)
                if idle is None:
                    await room.wait()
                else:
                    await self.stop(idle)
            self._set_changing(project_id, "starting")
            try:
                running = self._launch(project_id)
                try:
                    await running.api.open()
                except BaseException:
                    await running.api.close()
                    raise
            except BaseException:
                self._changing.pop(project_id, None)
                self._on_state(project_id, "opened")
                raise
            self._running[project_id] = running
            self._changing.pop(project_id, None)
            self._on_state(project_id, "running")
            return running

    async def stop(self, project_id: str) -> bool:
        """Stop the project's server; False if it was not running."""
        async with self._lock(project_id):
            running = self._running.pop(project_id, None)
            if running is None:
                return False
            self._set_changing(project_id, "stopping")
            try:
                running.dispatcher.stop()
                await running.dispatcher.close()
                await running.api.close()
            finally:
                self._changing.pop(project_id, None)
                self._on_state(project_id, "opened")
                self._made_room()
            return True

    def _made_room(self) -> None:
        self._room.set()
        self._room = asyncio.Event()

    def stop_calls(self) -> None:
        """The hub is going away: answer every project's calls in flight now."""
        for running in self._running.values():
            running.dispatcher.stop()

    async def close(self) -> None:
        # All at once: the hub's shutdown is not held up project by project.
        await asyncio.gather(*(self.stop(project_id) for project_id in list(self._running)))

    def _launch(self, project_id: str) -> RunningProject:
        home = self._home(project_id)
        home.mkdir(parents=True, exist_ok=True)
        config = ServerConfig(
            # Calls reach the dispatcher only through the hub's own checks: no key of its own.
            api_key="",
            project_id=project_id,
            # Real path: the project server's confinement checks compare resolved paths.
            root=home.resolve(),
            kernel_pool_size=self._kernel_pool_size,
        )
        api = ProjectApi(config)
        return RunningProject(project_id, api, Dispatcher(api.methods, project_id))

    def _set_changing(self, project_id: str, state: str) -> None:
        self._changing[project_id] = state
        self._on_state(project_id, state)

    def _lock(self, project_id: str) -> asyncio.Lock:
        return self._locks.setdefault(project_id, asyncio.Lock())
