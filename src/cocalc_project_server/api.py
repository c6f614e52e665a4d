"""The project's methods and the resources they share (jobs, kernels).

Its handlers, and those of the files and notebooks it owns, are marked with the wire name
they serve (:mod:`.registry`): the server serves exactly the spec's method table or does not
start. Every call's arguments are checked with the SDK's own generated validators before a
handler sees them (see :mod:`.dispatch`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from .config import MAX_KERNEL_POOL_SIZE, ServerConfig
from .environment import project_environment
from .errors import ProjectError, WireError
from .exec_ import ExecContext, ProcessRegistry, run_blocking
from .exec_command import parse_exec_options
from .files import ProjectFiles
from .jobs import JobStore
from .jupyter import jupyter_execute
from .kernels import KernelPool
from .notebooks import Notebooks
from .registry import Handler, bind, declared_handlers, handles
from .runtime import Runtime

PREWARMED_KERNEL = "python3"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _options(args: tuple[Any, ...]) -> Mapping[str, Any]:
    """``args[0]`` as an options object (absent or null means no options)."""
    first = args[0] if args else None
    if first is None:
        return {}
    if not isinstance(first, dict):
        raise ProjectError("the first argument must be an object of options")
    return first


class ProjectApi:
    """One project: its folder, environment, async jobs and Jupyter kernels."""

    def __init__(self, config: ServerConfig) -> None:
        # Checked before anything starts: a method of the table without a handler stops here.
        declared = declared_handlers((ProjectApi, ProjectFiles, Notebooks))
        self._root = str(config.root)
        self._project_id = config.project_id
        self._pool_size = config.kernel_pool_size
        self._env = project_environment(self._root, config.project_id)
        # Everything this server leaves on the machine is on record there, so that even a
        # server killed outright has its commands killed and its folders removed.
        self._runtime = Runtime.create(
            config.project_id, temporary_root=config.root if config.root_is_temporary else None
        )
        self._processes = ProcessRegistry(self._runtime)
        self._exec = ExecContext(
            self._root, self._env, self._processes, max_output=config.max_exec_output
        )
        self._jobs = JobStore(self._exec, max_jobs=config.async_jobs_max)
        self._kernels = KernelPool(
            env=self._env,
            # Kernel connection files and sockets stay out of the user's folder.
            runtime=self._runtime,
            size=config.kernel_pool_size,
            max_size=MAX_KERNEL_POOL_SIZE,
        )
        self._files = ProjectFiles(
            self._root, self._env, self._processes, max_read_bytes=config.max_read_bytes
        )
        self._notebooks = Notebooks(self._exec, self._kernels)
        self.methods: dict[str, Handler] = bind(declared, (self, self._files, self._notebooks))

    async def open(self) -> None:
        """Start warming the default kernel so the first call is fast too."""
        if self._pool_size > 0:
            self._kernels.prewarm(PREWARMED_KERNEL)

    async def close(self) -> None:
        """Kill running commands, shut down kernels, remove temporary files."""
        await self._processes.close()
        await self._jobs.close()
        await self._kernels.close()
        await asyncio.to_thread(self._runtime.close)

    # -- methods (arguments arrive spread from the envelope's ``args``) ---------------------

    @handles("system.ping")
    async def ping(self, *args: Any) -> dict[str, Any]:
        return {"now": _now_ms()}

    @handles("system.test")
    async def test(self, *args: Any) -> dict[str, Any]:
        return {"project_id": self._project_id, "server_time": _now_ms()}

    @handles("system.exec")
    async def exec(self, *args: Any) -> dict[str, Any]:
        raw = _options(args)
        if raw.get("compute_server_id"):
            # exec-code.ts forwards to the compute server; none is ever connected here
            # (src/packages/sync-fs/lib/handle-api-call.ts callComputeServerApi).
            raise ProjectError("no connection to compute server -- please start or restart it")
        job_id = raw.get("async_get")
        if isinstance(job_id, str):
            # Only literal ``true`` counts, as in the real service.
            result = await self._jobs.get(
                job_id,
                wait=raw.get("async_await") is True,
                with_stats=raw.get("async_stats") is True,
            )
        else:
            opts = parse_exec_options(raw)
            if opts.async_call:
                result = await self._jobs.start(opts)
            else:
                result = await run_blocking(opts, self._exec)
        if "id" in raw:
            # handleExecShellCode (src/packages/project/exec_shell_code.ts) puts the caller's
            # `id` first in every answer.
            result = {"id": raw["id"], **result}
        return result

    @handles("system.jupyterExecute")
    async def jupyter_execute(self, *args: Any) -> list[Any]:
        return await jupyter_execute(self._kernels, self._root, _options(args))

    @handles("system.listJupyterKernels")
    async def list_jupyter_kernels(self, *args: Any) -> list[dict[str, Any]]:
        # src/packages/jupyter/kernel/launch-kernel.ts (listRunningKernels)
        return [record.as_json() for record in self._kernels.launched()]

    # The real service compares the pid with ===: a string pid answers success false.
    @handles("system.stopJupyterKernel", lenient=True)
    async def stop_jupyter_kernel(self, *args: Any) -> dict[str, bool]:
        """Lenient: ``args`` arrive unchecked, answered as the real ``stopJupyterKernel({pid})``.

        src/project/conat/api/system.ts destructures ``{pid}`` from ``args[0]`` (a TypeError
        for null or no argument) and launch-kernel.ts (stopKernel) compares it with ``===``:
        anything but a number equal to a launched kernel's pid is ``{"success": false}``.
        """
        if not args or args[0] is None:
            shown = "undefined" if not args else "null"
            raise WireError(
                f"TypeError: Cannot destructure property 'pid' of '{shown}' as it is {shown}."
            )
        pid = args[0].get("pid") if isinstance(args[0], dict) else None
        if isinstance(pid, float) and pid.is_integer():
            pid = int(pid)  # JSON has one number type: 42.0 is the number 42, as in JavaScript
        if isinstance(pid, bool) or not isinstance(pid, int):
            return {"success": False}
        return {"success": await self._kernels.stop(pid)}
