"""Jupyter kernels owned by the server: a warm pool per kernel name for the stateless API, and
the record of every kernel launched (what ``system.listJupyterKernels`` reports).

``system.jupyterExecute`` is stateless, so every call needs a fresh kernel. Starting ipykernel
takes most of a second; the pool keeps a few started and ready so a call only pays for running
its code. A kernel is never reused: it is killed after one call and the pool is refilled in
the background (after the caller has its kernel, so the two do not compete for the CPU).
Like the real service's (src/packages/jupyter/stateless-api/kernel.ts), each stateless kernel
gets its own fresh temporary working folder and runs under the ulimits of
:data:`.kernel_process.KERNEL_RLIMITS`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from .errors import ProjectError
from .kernel_process import (
    KERNEL_READY_TIMEOUT_S,
    KernelHandle,
    kill_now,
    start_kernel,
    stop_kernel,
)
from .kernel_specs import ABSENT, ProjectKernelSpecs, check_kernel_name, kernel_json_name
from .runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT_S = 3600.0
# An idle pool shrinks to this many kernels, not to none (stateless-api/kernel.ts).
MIN_POOL_SIZE = 1


@dataclass(frozen=True)
class LaunchRecord:
    """A launched kernel as listJupyterKernels reports it (src/packages/jupyter/kernel/
    launch-kernel.ts keeps every spawned kernel, dead or alive, until it is stopped)."""

    pid: int
    connection_file: str
    kernel_name: Any  # ABSENT unless the kernel.json has a "name" key

    def as_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"pid": self.pid, "connectionFile": self.connection_file}
        if self.kernel_name is not ABSENT:
            item["kernel_name"] = self.kernel_name
        return item


class KernelPool:
    """Warm stateless kernels per kernel name, plus every kernel process the server launched."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        runtime: Runtime,
        size: int,
        max_size: int,
        specs: KernelSpecManager | None = None,
    ) -> None:
        self._env = dict(env)
        # Connection files go to its kernels folder; kernel process groups and working folders
        # are on record there, so they go with the server however it ends.
        self._runtime = runtime
        self._default_size = size
        self._max_size = max_size
        self._specs = specs if specs is not None else ProjectKernelSpecs(self._env)
        self._sizes: dict[str, int] = {}
        # Each slot is a kernel being started or already waiting for a caller.
        self._slots: dict[str, deque[asyncio.Task[KernelHandle]]] = {}
        self._records: list[LaunchRecord] = []
        self._live: dict[int, KernelHandle] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._last_active: dict[str, float] = {}
        self._closed = False

    # -- public API -------------------------------------------------------------------------

    def language(self, name: str) -> str:
        """Language of kernel ``name``; the real service's spawn error if there is none."""
        check_kernel_name(name, self._env)
        try:
            spec = self._specs.get_kernel_spec(name)
        except (NoSuchKernel, OSError, ValueError) as exc:  # broken kernel.json
            raise ProjectError(str(exc)) from None
        return str(spec.language or "")

    def prewarm(self, name: str) -> None:
        """Start filling the pool for ``name`` without waiting."""
        self._refill(name)

    async def acquire(
        self, name: str, *, size: int | None = None, idle_timeout_s: float | None = None
    ) -> KernelHandle:
        """A ready stateless kernel for one call: a warm one if there is, else a new one.

        ``size`` 0 means no pool: a new kernel, and the pool is left as it is (as in
        stateless-api/kernel.ts, getFromPool).
        """
        if self._closed:
            raise ProjectError("the project server is shutting down")
        self.language(name)
        if size == 0:
            return await self._start_stateless(name)
        if size is not None:
            self._sizes[name] = min(size, self._max_size)
        self._note_activity(
            name, DEFAULT_IDLE_TIMEOUT_S if idle_timeout_s is None else idle_timeout_s
        )
        handle = await self._take_warm(name)
        if handle is None:
            handle = await self._start_stateless(name)
        self._refill(name)
        return handle

    async def launch(
        self, name: str, *, cwd: str, env: Mapping[str, str] | None = None, limited: bool = False
    ) -> KernelHandle:
        """A new kernel outside the pool (e.g. for a notebook run); ``discard`` it after use."""
        if self._closed:
            raise ProjectError("the project server is shutting down")
        language = self.language(name)
        return await self._start(name, language, cwd=cwd, env=env or {}, limited=limited)

    def discard(self, handle: KernelHandle) -> None:
        """Kill ``handle`` now and reap it in the background (kernels are never reused)."""
        kill_now(handle)
        self._spawn(self._reap(handle))

    def launched(self) -> list[LaunchRecord]:
        """Every kernel launched and not stopped, in launch order (exited ones included)."""
        return list(self._records)

    async def stop(self, pid: int) -> bool:
        """Forget the launched kernel ``pid`` and kill it if it still runs; False if unknown.

        As launch-kernel.ts (stopKernel): the first record with that pid is removed, whether
        or not its process still runs. A warm kernel stopped this way is replaced.
        """
        record = next((r for r in self._records if r.pid == pid), None)
        if record is None:
            return False
        self._records.remove(record)
        handle = self._live.get(pid)
        if handle is not None:
            was_warm = self._remove_warm(handle)
            await self._reap(handle)
            if was_warm:
                self._refill(handle.name)
        return True

    async def close(self) -> None:
        """Kill every kernel; no refills afterwards."""
        self._closed = True
        starting = [slot for slots in self._slots.values() for slot in slots]
        self._slots.clear()
        if starting:
            # Let starts finish rather than cancel them halfway (a half-started kernel could be
            # left running); they are killed right after.
            await asyncio.wait(starting, timeout=KERNEL_READY_TIMEOUT_S)
            for slot in starting:
                slot.cancel()
        pending = [t for t in self._background if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=10)
        await asyncio.gather(
            *(self._reap(h) for h in list(self._live.values())), return_exceptions=True
        )
        self._records.clear()

    # -- internals --------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _reap(self, handle: KernelHandle) -> None:
        try:
            await stop_kernel(handle)
        finally:
            self._forget(handle)

    def _forget(self, handle: KernelHandle) -> None:
        """``handle`` is stopped: off the live list, and its group and folder off record."""
        if self._live.get(handle.pid) is handle:
            del self._live[handle.pid]
        if handle.pid > 0:
            self._runtime.release_group(handle.pid)
        if handle.own_folder is not None:
            self._runtime.remove_folder(handle.own_folder)

    async def _start_stateless(self, name: str) -> KernelHandle:
        # stateless-api/kernel.ts (init): a fresh folder from mkdtemp(tmpdir()/"cocalc") holding
        # the notional notebook "execute.ipynb"; kernel.ts (spawn) sets these variables.
        folder = self._runtime.make_kernel_folder()
        env = {
            "COCALC_JUPYTER_FILENAME": os.path.join(folder, "execute.ipynb"),
            "COCALC_JUPYTER_KERNELNAME": name,
            "PLOTLY_RENDERER": "colab",
        }
        try:
            language = self.language(name)
            return await self._start(
                name, language, cwd=folder, env=env, limited=True, own_folder=folder
            )
        except BaseException:
            self._runtime.remove_folder(folder)
            raise

    async def _start(
        self,
        name: str,
        language: str,
        *,
        cwd: str,
        env: Mapping[str, str],
        limited: bool,
        own_folder: str | None = None,
    ) -> KernelHandle:
        spawned: list[KernelHandle] = []

        def register(handle: KernelHandle) -> None:
            spawned.append(handle)
            self._register(handle)

        try:
            handle = await start_kernel(
                name,
                language,
                specs=self._specs,
                runtime_dir=self._runtime.kernels_dir,
                cwd=cwd,
                env={**self._env, **env},
                limited=limited,
                own_folder=own_folder,
                on_spawn=register,
            )
        except BaseException:
            for dead in spawned:  # stopped by start_kernel; its launch record stays
                self._forget(dead)
            raise
        if self._closed:
            await self._reap(handle)
            raise ProjectError("the project server is shutting down")
        return handle

    def _register(self, handle: KernelHandle) -> None:
        """Called as soon as the kernel process exists (launch-kernel.ts records it then)."""
        if handle.pid <= 0:
            return
        self._runtime.track_group(handle.pid)
        self._live[handle.pid] = handle
        self._records.append(
            LaunchRecord(
                handle.pid, handle.connection_file, kernel_json_name(handle.name, self._env)
            )
        )

    async def _take_warm(self, name: str) -> KernelHandle | None:
        slots = self._slots.get(name)
        while slots:
            # Prefer a kernel that is already up over one still starting.
            ready = [s for s in slots if s.done() and not s.cancelled() and not s.exception()]
            slot = ready[0] if ready else slots[0]
            slots.remove(slot)
            try:
                # Shielded: if this caller goes away the start still completes and is cleaned up.
                handle = await asyncio.shield(slot)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this call itself is being cancelled
                # The start was cut short (its kernel was stopped while starting): not warm.
                log.warning("discarding a pool kernel whose start was cancelled")
                continue
            except Exception as exc:  # noqa: BLE001 -- a failed start only means "not warm"
                log.warning("discarding a pool kernel that failed to start: %s", exc)
                continue
            if await handle.is_alive():
                return handle
            self.discard(handle)
        return None

    def _remove_warm(self, handle: KernelHandle) -> bool:
        slots = self._slots.get(handle.name, deque())
        for slot in list(slots):
            finished = slot.done() and not slot.cancelled() and slot.exception() is None
            if finished and slot.result() is handle:
                slots.remove(slot)
                return True
        return False

    def _refill(self, name: str) -> None:
        if self._closed:
            return
        slots = self._slots.setdefault(name, deque())
        target = self._sizes.get(name, self._default_size)
        while len(slots) < target:
            slot: asyncio.Task[KernelHandle] = asyncio.ensure_future(self._start_stateless(name))
            # Retrieve failures so they are not reported as "never retrieved".
            slot.add_done_callback(_retrieve)
            slots.append(slot)

    def _note_activity(self, name: str, idle_timeout_s: float) -> None:
        """Shrink the pool of ``name`` when it sees no call for a while (0: never)."""
        now = time.monotonic()
        self._last_active[name] = now
        if idle_timeout_s > 0:
            loop = asyncio.get_running_loop()
            loop.call_later(idle_timeout_s, self._shrink_if_idle, name, now)

    def _shrink_if_idle(self, name: str, stamp: float) -> None:
        if self._closed or self._last_active.get(name, 0.0) > stamp:
            return
        slots = self._slots.get(name, deque())
        while len(slots) > MIN_POOL_SIZE:
            slots.popleft().add_done_callback(self._discard_started)

    def _discard_started(self, slot: asyncio.Task[KernelHandle]) -> None:
        if not slot.cancelled() and slot.exception() is None:
            self.discard(slot.result())


def _retrieve(task: asyncio.Task[KernelHandle]) -> None:
    if not task.cancelled():
        task.exception()
