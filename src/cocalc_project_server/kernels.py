"""Jupyter kernels owned by the server: specs, a warm pool per kernel name, and shutdown.

``system.jupyterExecute`` is stateless, so every call needs a fresh kernel. Starting ipykernel
takes most of a second; the pool keeps a few started and ready so a call only pays for running
its code. A kernel is never reused: it is shut down after one call and the pool is refilled in
the background (after the caller has its kernel, so the two do not compete for the CPU).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import (
    NATIVE_KERNEL_NAME,
    KernelSpec,
    KernelSpecManager,
    NoSuchKernel,
)
from jupyter_client.manager import AsyncKernelManager

from .errors import ProjectError

log = logging.getLogger(__name__)

KERNEL_READY_TIMEOUT_S = 60.0
DEFAULT_IDLE_TIMEOUT_S = 3600.0


class ProjectKernelSpecs(KernelSpecManager):
    """Installed kernel specs, except that ``python3`` is always this interpreter's ipykernel.

    A ``python3`` spec found elsewhere on the machine could point at another Python without
    ipykernel; pinning it keeps the kernel in the server's own environment.
    """

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name == NATIVE_KERNEL_NAME:
            from ipykernel.kernelspec import RESOURCES

            return KernelSpec(
                resource_dir=RESOURCES,
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (ipykernel)",
                language="python",
            )
        spec: KernelSpec = super().get_kernel_spec(kernel_name)
        return spec


@dataclass(eq=False)
class KernelHandle:
    """One started kernel process and a client connected to it."""

    name: str
    language: str
    manager: AsyncKernelManager
    client: AsyncKernelClient
    pid: int
    connection_file: str
    closed: bool = False
    _closing: asyncio.Task[None] | None = field(default=None, repr=False)

    async def is_alive(self) -> bool:
        if self.closed:
            return False
        alive: bool = await self.manager.is_alive()
        return alive


class KernelPool:
    """Warm kernels per kernel name, plus every kernel process the server currently owns."""

    def __init__(
        self,
        *,
        cwd: str,
        env: Mapping[str, str],
        runtime_dir: str,
        size: int,
        max_size: int,
        specs: KernelSpecManager | None = None,
    ) -> None:
        self._cwd = cwd
        self._env = dict(env)
        self._runtime_dir = runtime_dir
        self._default_size = size
        self._max_size = max_size
        self._specs = specs if specs is not None else ProjectKernelSpecs()
        self._sizes: dict[str, int] = {}
        # Each slot is a kernel being started or already waiting for a caller.
        self._slots: dict[str, deque[asyncio.Task[KernelHandle]]] = {}
        self._owned: dict[int, KernelHandle] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._last_active: dict[str, float] = {}
        self._closed = False

    # -- public API -------------------------------------------------------------------------

    def language(self, name: str) -> str:
        """Language of kernel ``name``; raise ``Error: No such kernel named ...`` if unknown."""
        try:
            spec = self._specs.get_kernel_spec(name)
        except (NoSuchKernel, OSError, ValueError) as exc:  # unknown name or broken kernel.json
            raise ProjectError(str(exc)) from None
        return str(spec.language or "")

    def prewarm(self, name: str) -> None:
        """Start filling the pool for ``name`` without waiting."""
        self._refill(name)

    async def acquire(
        self, name: str, *, size: int | None = None, idle_timeout_s: float | None = None
    ) -> KernelHandle:
        """A ready kernel for one call: a warm one if there is, else a freshly started one."""
        if self._closed:
            raise ProjectError("the project server is shutting down")
        self.language(name)
        if size is not None:
            self._sizes[name] = max(0, min(size, self._max_size))
        self._note_activity(
            name, DEFAULT_IDLE_TIMEOUT_S if idle_timeout_s is None else idle_timeout_s
        )
        handle = await self._take_warm(name)
        if handle is None:
            handle = await self._start(name)
        self._refill(name)
        return handle

    def discard(self, handle: KernelHandle) -> None:
        """Shut ``handle`` down in the background (kernels are never reused)."""
        self._spawn(self._shutdown(handle))

    def kernels(self) -> list[KernelHandle]:
        """Every kernel process the server owns: warm, busy or still starting."""
        return [h for h in self._owned.values() if not h.closed]

    async def stop(self, pid: int) -> bool:
        """Stop the kernel with process id ``pid``; False if the server owns no such kernel."""
        handle = self._owned.get(pid)
        if handle is None or handle.closed:
            return False
        was_warm = self._remove_warm(handle)
        await self._shutdown(handle)
        if was_warm:
            self._refill(handle.name)
        return True

    async def close(self) -> None:
        """Shut every kernel down; no refills afterwards."""
        self._closed = True
        starting = [slot for slots in self._slots.values() for slot in slots]
        self._slots.clear()
        if starting:
            # Let starts finish rather than cancel them halfway (a half-started kernel could be
            # left running); they are shut down right after.
            await asyncio.wait(starting, timeout=KERNEL_READY_TIMEOUT_S)
            for slot in starting:
                slot.cancel()
        pending = [t for t in self._background if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=10)
        await asyncio.gather(
            *(self._shutdown(h) for h in list(self._owned.values())), return_exceptions=True
        )

    # -- internals --------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

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
            slot: asyncio.Task[KernelHandle] = asyncio.ensure_future(self._start(name))
            # Retrieve failures so they are not reported as "never retrieved".
            slot.add_done_callback(lambda t: t.cancelled() or t.exception())
            slots.append(slot)

    def _note_activity(self, name: str, idle_timeout_s: float) -> None:
        """Shrink the pool of ``name`` to one kernel when it sees no call for a while."""
        now = time.monotonic()
        self._last_active[name] = now
        if idle_timeout_s > 0:
            loop = asyncio.get_running_loop()
            loop.call_later(idle_timeout_s, self._shrink_if_idle, name, now)

    def _shrink_if_idle(self, name: str, stamp: float) -> None:
        if self._closed or self._last_active.get(name, 0.0) > stamp:
            return
        slots = self._slots.get(name, deque())
        while len(slots) > 1:
            slot = slots.popleft()
            slot.add_done_callback(
                lambda t: None if t.cancelled() or t.exception() else self.discard(t.result())
            )

    async def _start(self, name: str) -> KernelHandle:
        language = self.language(name)
        connection_file = os.path.join(self._runtime_dir, f"kernel-{uuid.uuid4()}.json")
        manager = AsyncKernelManager(
            kernel_name=name,
            kernel_spec_manager=self._specs,
            connection_file=connection_file,
            # Unix sockets in the server's private runtime folder instead of open TCP ports.
            transport="ipc",
        )
        await manager.start_kernel(cwd=self._cwd, env=dict(self._env))
        provisioner = manager.provisioner
        pid = getattr(provisioner, "pid", None)
        client: AsyncKernelClient = manager.client()
        handle = KernelHandle(
            name=name,
            language=language,
            manager=manager,
            client=client,
            pid=int(pid) if isinstance(pid, int) else -1,
            connection_file=connection_file,
        )
        if handle.pid > 0:
            self._owned[handle.pid] = handle
        try:
            client.start_channels()
            await client.wait_for_ready(timeout=KERNEL_READY_TIMEOUT_S)
        except BaseException:
            await self._shutdown(handle)
            raise
        if self._closed:
            await self._shutdown(handle)
            raise ProjectError("the project server is shutting down")
        return handle

    async def _shutdown(self, handle: KernelHandle) -> None:
        # Idempotent and shared: a stop request and the end of a call may race.
        if handle._closing is None:
            handle.closed = True
            handle._closing = asyncio.ensure_future(self._really_shutdown(handle))
        await asyncio.shield(handle._closing)

    async def _really_shutdown(self, handle: KernelHandle) -> None:
        with contextlib.suppress(Exception):
            handle.client.stop_channels()
        try:
            await handle.manager.shutdown_kernel(now=True)
        except Exception as exc:  # noqa: BLE001 -- shutdown is best effort, the pid is dropped
            log.warning("error shutting down kernel %s: %s", handle.pid, exc)
        finally:
            self._owned.pop(handle.pid, None)
