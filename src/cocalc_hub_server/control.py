"""Project control as single-user CoCalc does it (src/packages/server/projects/control/
single-user.ts and util.ts): state, status, start, stop, touch, with the state kept in the
``projects.state`` column."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from contextlib import AbstractAsyncContextManager
from typing import Any

from .config import HubConfig
from .jsvalues import now_iso
from .runners import ProjectRunners, RunningProject
from .store import Store, Tx

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"
# src/packages/database/postgres-server-queries.coffee (touch: ttl_s): the same account and
# project are touched at most this often.
TOUCH_INTERVAL_S = 50.0
_STABLE_STATES = ("running", "opened")


class ProjectControl:
    def __init__(self, config: HubConfig, store: Store) -> None:
        self._store = store
        self.runners = ProjectRunners(
            config.project_home,
            max_running=config.max_running_projects,
            kernel_pool_size=config.kernel_pool_size,
            on_state=self._save_state,
        )
        self._touched: dict[tuple[str | None, str], float] = {}
        self._background: set[asyncio.Task[Any]] = set()

    def state(self, project_id: str) -> dict[str, Any]:
        """``ProjectState``: the changing state alone, else ``{ip, state, time}``."""
        changing = self.runners.changing(project_id)
        if changing is not None:
            return {"state": changing}
        running = self.runners.get(project_id) is not None
        return {"ip": LOCALHOST, "state": "running" if running else "opened", "time": now_iso()}

    def status(self, project_id: str) -> dict[str, Any]:
        """``ProjectStatus``: ``{}`` unless running. The project runs inside the hub's own
        process, so ``project.pid`` is the hub's; it has no ports of its own."""
        running = self.runners.get(project_id)
        if running is None:
            return {}
        return {
            "project.pid": os.getpid(),
            "start_ts": running.start_ts,
            "session_id": running.session_id,
        }

    async def start(self, project_id: str) -> None:
        await self.runners.start(project_id)

    async def stop(self, project_id: str) -> None:
        await self.runners.stop(project_id)

    def start_in_background(self, project_id: str) -> None:
        """Start without waiting (createProject's ``start``); a failure is only logged."""
        task = asyncio.ensure_future(self.runners.start(project_id))
        self._background.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("starting a new project failed: %s", task.exception())

    async def close(self) -> None:
        """Stop every project (and any start still under way)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.runners.close()

    def using(self, project_id: str) -> AbstractAsyncContextManager[RunningProject]:
        """The project's server for the length of one call (started if need be)."""
        return self.runners.using(project_id)

    def touch(self, project_id: str, account_id: str | None) -> None:
        """Record activity: ``last_edited``, and the account's ``last_active`` (db.touch)."""
        key = (account_id, project_id)
        now = time.monotonic()
        if now - self._touched.get(key, -TOUCH_INTERVAL_S) < TOUCH_INTERVAL_S:
            return
        self._touched[key] = now
        with self._store.transaction() as tx:
            touch_project(tx, project_id, account_id)

    def forget_states(self) -> None:
        """After a restart nothing runs: every project is ``opened`` again."""
        with self._store.transaction() as tx:
            rows = tx.rows(
                "projects", "SELECT project_id, state FROM projects WHERE state IS NOT NULL"
            )
            for row in rows:
                if (row["state"] or {}).get("state") != "opened":
                    tx.update(
                        "projects",
                        {"state": _state_record("opened")},
                        "project_id = ?",
                        (row["project_id"],),
                    )

    def _save_state(self, project_id: str, state: str) -> None:
        with self._store.transaction() as tx:
            tx.update("projects", {"state": _state_record(state)}, "project_id = ?", (project_id,))


def _state_record(state: str) -> dict[str, Any]:
    # src/packages/database/postgres-server-queries.coffee (set_project_state)
    record: dict[str, Any] = {"state": state, "time": now_iso()}
    if state in _STABLE_STATES:
        record["ip"] = LOCALHOST
    return record


def touch_project(tx: Tx, project_id: str, account_id: str | None) -> None:
    now = now_iso()
    if account_id is None:
        tx.update("projects", {"last_edited": now}, "project_id = ?", (project_id,))
        return
    tx.update("accounts", {"last_active": now}, "account_id = ?", (account_id,))
    row = tx.row("projects", "SELECT last_active FROM projects WHERE project_id = ?", (project_id,))
    if row is not None:
        last_active = row["last_active"] if isinstance(row["last_active"], dict) else {}
        tx.update(
            "projects",
            {"last_edited": now, "last_active": {**last_active, account_id: now}},
            "project_id = ?",
            (project_id,),
        )


def initial_state() -> dict[str, Any]:
    """The state a new project gets (create.ts calls ``project.state()``)."""
    return _state_record("opened")
