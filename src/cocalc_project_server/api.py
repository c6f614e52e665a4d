"""The project's methods, by wire name, and the resources they share (jobs, kernels).

The registry must serve exactly the methods of the spec's table (a test compares the two), and
every call's arguments are checked with the SDK's own generated validators before a handler
sees them (see :mod:`.dispatch`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
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
from .runtime import Runtime

Method = Callable[..., Awaitable[Any]]
PREWARMED_KERNEL = "python3"


@dataclass(frozen=True)
class Handler:
    """A method's implementation. ``lenient`` handlers get their arguments unchecked, because
    the real service answers some arguments the spec refuses (CONTRACT.md §4a).

    ``ends_with_caller`` handlers are cancelled once nobody waits for their answer (the
    envelope timeout passed, the client disconnected), so that the kernel they run is killed;
    the real service lets every call run on.
    """

    call: Method
    lenient: bool = False
    ends_with_caller: bool = False


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
            max_kernels=config.max_kernels,
        )
        self._files = ProjectFiles(self._root, self._env, self._processes)
        self._max_jupyter_output = config.max_jupyter_output
        self._notebooks = Notebooks(
            self._exec, self._kernels, max_jupyter_output=config.max_jupyter_output
        )
        files, notebooks = self._files, self._notebooks
        self.methods: dict[str, Handler] = {
            "system.ping": Handler(self.ping),
            "system.test": Handler(self.test),
            "system.exec": Handler(self.exec),
            "system.jupyterExecute": Handler(self.jupyter_execute, ends_with_caller=True),
            "system.listJupyterKernels": Handler(self.list_jupyter_kernels),
            # The real service compares the pid with ===: a string pid answers success false.
            "system.stopJupyterKernel": Handler(self.stop_jupyter_kernel, lenient=True),
            "system.version": Handler(files.version),
            "system.listing": Handler(files.listing),
            "system.deleteFiles": Handler(files.delete_files),
            "system.moveFiles": Handler(files.move_files),
            "system.renameFile": Handler(files.rename_file),
            "system.realpath": Handler(files.realpath),
            "system.canonicalPaths": Handler(files.canonical_paths),
            "system.writeTextFileToProject": Handler(files.write_text_file),
            "system.readTextFileFromProject": Handler(files.read_text_file),
            # An object instead of the aspect silently answers null in the real service.
            "system.configuration": Handler(files.configuration, lenient=True),
            "system.signal": Handler(files.signal),
            "editor.newFile": Handler(files.new_file),
            "editor.jupyterStripNotebook": Handler(files.jupyter_strip_notebook),
            "editor.jupyterNbconvert": Handler(notebooks.nbconvert),
            "editor.jupyterRunNotebook": Handler(notebooks.run_notebook, ends_with_caller=True),
            "editor.jupyterKernelLogo": Handler(notebooks.kernel_logo),
            "editor.jupyterKernels": Handler(notebooks.kernel_specs),
            "editor.formatterString": Handler(notebooks.format_string),
            "sync.close": Handler(files.sync_close),
        }

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

    async def ping(self, *args: Any) -> dict[str, Any]:
        return {"now": _now_ms()}

    async def test(self, *args: Any) -> dict[str, Any]:
        return {"project_id": self._project_id, "server_time": _now_ms()}

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

    async def jupyter_execute(self, *args: Any) -> list[Any]:
        return await jupyter_execute(
            self._kernels, self._root, _options(args), max_output=self._max_jupyter_output
        )

    async def list_jupyter_kernels(self, *args: Any) -> list[dict[str, Any]]:
        # src/packages/jupyter/kernel/launch-kernel.ts (listRunningKernels)
        return [record.as_json() for record in self._kernels.launched()]

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
