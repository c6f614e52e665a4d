"""Running projects: one project server (the local project server's ``ProjectApi`` and
``Dispatcher``) per running project, at most ``max_running`` at once.

Past the cap, starting a project first stops the least recently used one, as a site with
limited room would. Stopping answers the stopped project's calls in flight with the real
"no subscribers" text, kills its commands and shuts down its kernels.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
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

    async def start(self, project_id: str) -> RunningProject:
        async with self._lock(project_id):
            running = self._running.get(project_id)
            if running is not None:
                return running
            while len(self._running) >= self._max_running:
                await self.stop(next(iter(self._running)))
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
            return True

    def stop_calls(self) -> None:
        """The hub is going away: answer every project's calls in flight now."""
        for running in self._running.values():
            running.dispatcher.stop()

    async def close(self) -> None:
        for project_id in list(self._running):
            await self.stop(project_id)

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
