"""``editor.jupyterRunNotebook``: run every code cell of a notebook on a real kernel.

Follows src/packages/jupyter/nbgrader/jupyter-run.ts, quirks included:

- outputs are made from the kernel's messages as run_cell makes them (:mod:`.cell_outputs`),
  appended to the outputs the cell already has, as the messages arrive;
- a cell that throws (dead kernel, bad ``source``, total time used up) gets one output
  ``{"traceback": ["Error: ..."]}``; the kernel is then restarted only if a total time limit
  was given and is not used up (``global_timeout_exceeded`` is true whenever no limit is set);
- the output limits are counted per cell: jupyter-run.ts adds to a copy of its totals;
- the total time counts from before the kernel starts and is checked between cells only;
- the result is ``JSON.stringify(notebook)``.

Deliberately, the outputs the run holds are bounded (``--max-jupyter-output``) even without
limits: the cell that reaches the bound gets its notice and the run ends there, the later cells
left as they were; and however the call ends, its kernel is killed.

The kernel is launched by the server's :class:`~.kernels.KernelPool` outside its stateless pool
and without the stateless ulimits, in the notebook's folder with the notebook's environment, so
``system.listJupyterKernels`` lists it, as the real service lists its notebook kernels
(src/packages/jupyter/kernel/kernel.ts, spawn, through launch-kernel.ts). Deliberately, every
run starts a fresh kernel, where the real service may take one prepared by
src/packages/jupyter/pool/pool.ts and move it to the folder; the kernel ends up the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import jsjson, nodepath
from .beneath import Beneath
from .cell_outputs import (
    CallOutputBudget,
    CellOutputs,
    OutputBoundReached,
    OutputLimits,
    push_output,
    total_time_exceeded,
)
from .errors import ProjectError, WireError, wire_message
from .jupyter_cell import MessageSink, execute_code
from .kernel_process import KernelHandle
from .kernel_slots import KernelCapReached
from .kernel_specs import KernelSpawnError, spawn_failure
from .kernels import KernelPool
from .nodeerrors import fs_error
from .paths import confine


class CellFailed(Exception):
    """A cell that threw; ``text`` is what jupyter-run.ts puts in the traceback (``${err}``)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass
class RunLimits:
    """jupyter-run.ts ``Limits``; 0 means no limit."""

    timeout_ms: float = 0
    timeout_ms_per_cell: float = 0
    max_output: float = 0
    max_output_per_cell: float = 0
    start: float = field(default_factory=time.monotonic)

    @classmethod
    def from_options(cls, raw: Mapping[str, Any] | None) -> RunLimits:
        raw = raw or {}
        return cls(
            timeout_ms=float(raw.get("max_total_time_ms") or 0),
            timeout_ms_per_cell=float(raw.get("max_time_per_cell_ms") or 0),
            max_output=float(raw.get("max_output") or 0),
            max_output_per_cell=float(raw.get("max_output_per_cell") or 0),
        )

    def total_time_used_up(self) -> bool:
        # global_timeout_exceeded: with no limit (0) this is always true.
        return 1000 * (time.monotonic() - self.start) >= self.timeout_ms


class NotebookKernel:
    """The kernel of one run, with the states of CoCalc's JupyterKernel that the run sees."""

    def __init__(self, pool: KernelPool, name: str, folder: str, env: Mapping[str, str]) -> None:
        self._pool = pool
        self._name = name
        self._folder = folder
        self._env = dict(env)
        self._handle: KernelHandle | None = None
        self._closed = False
        self._failed_error = ""

    async def start(self) -> None:
        """Spawn; like kernel.ts ``spawn`` a failure is remembered, not raised."""
        self.close()
        self._closed = False
        self._failed_error = ""
        try:
            self._handle = await self._pool.launch(self._name, cwd=self._folder, env=self._env)
        except KernelCapReached:
            raise  # the local server's own limit: the whole call fails, in its words
        except KernelSpawnError as exc:  # already in setFailed's words
            self._failed_error = str(exc)
        except Exception as exc:  # noqa: BLE001 -- any spawn failure becomes the kernel's state
            self._failed_error = str(spawn_failure(self._name, f"Error: {exc}"))

    def close(self) -> None:
        if self._handle is not None:
            self._pool.discard(self._handle)
            self._handle = None

    async def execute(self, code: str, timeout_ms: float, on_message: MessageSink) -> None:
        """kernel.ts ``execute_code_now``: every message of the execution, in order."""
        if self._closed:
            raise CellFailed("Error: closed")
        if self._failed_error or self._handle is None:
            raise CellFailed(f"Error: {self._failed_error}")
        handle = self._handle
        try:
            await execute_code(handle, code, timeout_ms, on_message)
        except ProjectError as exc:  # the kernel died: its death message
            self._mark_dead(str(exc))
            raise CellFailed(f"Error: {exc}") from None
        if handle.killed:  # SIGKILLed at the per-cell limit: kernel.ts's exit handler closes it
            self._mark_dead(handle.death_message())

    def _mark_dead(self, failed_error: str) -> None:
        self._failed_error = failed_error
        self._closed = True
        self.close()


def _cell_code(cell: dict[str, Any]) -> str:
    """``cell.source.join("")``, with the TypeErrors JavaScript throws for other values."""
    if "source" not in cell or cell["source"] is None:
        which = "null" if "source" in cell else "undefined"
        raise CellFailed(f"TypeError: Cannot read properties of {which} (reading 'join')")
    source = cell["source"]
    if not isinstance(source, list):
        raise CellFailed("TypeError: cell.source.join is not a function")
    return jsjson.join(source, "")


async def run_cell(
    kernel: NotebookKernel, limits: RunLimits, budget: CallOutputBudget, cell: Any
) -> None:
    """jupyter-run.ts ``run_cell``: run one cell and append its outputs to it.

    :class:`OutputBoundReached` when the run holds as much output as the server allows.
    """
    if limits.timeout_ms and limits.total_time_used_up():
        raise CellFailed(f"Error: {total_time_exceeded(limits.timeout_ms)}")
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return
    code = _cell_code(cell)
    if cell.get("outputs") is None:
        cell["outputs"] = []
    # Counted per cell from 0: the real adds to a copy of its totals.
    output_limits = OutputLimits(limits.max_output_per_cell, limits.max_output)
    outputs = CellOutputs(output_limits, budget)
    try:
        await kernel.execute(code, limits.timeout_ms_per_cell, outputs.add)
    except OutputBoundReached:
        cell["outputs"] = outputs.added_to(cell["outputs"])
        raise
    except CellFailed:
        outputs.drop()  # as execute_code_now's rejection: none of the cell's outputs are added
        raise
    cell["outputs"] = outputs.added_to(cell["outputs"])


_UNDEFINED = object()


def _js_get(value: Any, key: str) -> Any:
    """``value.key`` on parsed JSON: JavaScript's TypeError on null/undefined, else the value
    or ``_UNDEFINED``."""
    if value is None or value is _UNDEFINED:
        which = "null" if value is None else "undefined"
        raise WireError(f"TypeError: Cannot read properties of {which} (reading '{key}')")
    return value.get(key, _UNDEFINED) if isinstance(value, dict) else _UNDEFINED


def _kernel_name(notebook: Any) -> Any:
    """``notebook.metadata.kernelspec.name`` (``_UNDEFINED`` when absent)."""
    return _js_get(_js_get(_js_get(notebook, "metadata"), "kernelspec"), "name")


def _falsy(value: Any) -> bool:
    """JavaScript's ``!value`` for a JSON value (or ``_UNDEFINED``)."""
    if value is _UNDEFINED or value is None or value is False or value == "":
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


async def retry_until_success(
    attempt: Callable[[], Awaitable[Any]],
    *,
    start_delay_ms: float,
    max_delay_ms: float,
    factor: float,
    max_time_ms: float,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """src/packages/util/async-utils.ts ``retry_until_success`` (no ``desc``): call
    ``attempt`` until it does not raise, waiting longer each time, and give up with its
    "maximum time exceeded" error once the next try would start past ``max_time_ms``."""
    next_delay = start_delay_ms
    start = clock()
    last: Exception | None = None
    while True:
        try:
            return await attempt()
        except Exception as exc:  # noqa: BLE001 -- any failure is retried, as there
            next_delay = min(max_delay_ms, factor * next_delay)
            if next_delay + 1000 * (clock() - start) > max_time_ms:
                tail = f"last error was '{wire_message(last)}' -- " if last is not None else ""
                raise ProjectError(f"maximum time exceeded -- {tail}undefined") from None
            last = exc
            await sleep(next_delay / 1000)


async def _spawn_without_a_kernel() -> None:
    # kernel.ts spawn(): a kernel without a name may not be spawned.
    raise ProjectError("cannot spawn since no kernel is set")


def _cell_type_name(cell: Any) -> str | None:
    """JavaScript's ``typeof`` of a primitive cell, whose ``outputs`` cannot be set."""
    if isinstance(cell, bool):
        return "boolean"
    if isinstance(cell, int | float):
        return "number"
    return "string" if isinstance(cell, str) else None


def _write_notebook(beneath: Beneath, file_path: str, shown: str, text: str) -> None:
    """jupyter-run.ts: ``mkdir(dirname(path), {recursive: true})``, then ``writeFile``; errors
    in node's words, with the path as the call gave it (``shown``). Both from a descriptor of
    the project folder, so a link swapped in meanwhile cannot send them outside."""
    try:
        beneath.make_folders(os.path.dirname(file_path), shown=nodepath.dirname(shown))
    except OSError as exc:
        raise fs_error(exc, "mkdir", nodepath.dirname(shown)) from None
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    try:
        with open(beneath.open(file_path, flags, shown=shown), "w", encoding="utf-8") as fh:
            fh.write(jsjson.well_formed(text))
    except OSError as exc:
        raise fs_error(exc, "open", shown) from None


def _remove_notebook(beneath: Beneath, file_path: str) -> None:
    """jupyter-run.ts's ``finally``: the temporary notebook goes, whatever happened (a link
    swapped in for its folder meanwhile removes nothing outside)."""
    with contextlib.suppress(OSError, ProjectError), beneath.parent(file_path) as (fd, name):
        os.unlink(name, dir_fd=fd)


async def run_notebook(
    options: Mapping[str, Any],
    *,
    root: str,
    pool: KernelPool,
    max_output: int,
) -> str:
    """The ``editor.jupyterRunNotebook`` method (``options`` already checked by the spec);
    ``max_output``: characters of output the run may hold."""
    ipynb: str = options["ipynb"]
    notebook = jsjson.parse(ipynb)  # a syntax error is V8's SyntaxError text
    limits = RunLimits.from_options(options.get("limits"))
    budget = CallOutputBudget(max_output)
    # A random file name, so that simultaneous runs in one folder do not collide.
    relative = nodepath.join(options["path"], f"{uuid.uuid4()}.ipynb")
    file_path = confine(root, relative)
    beneath = Beneath(root)
    try:
        await asyncio.to_thread(_write_notebook, beneath, file_path, relative, ipynb)
        raw_name = _kernel_name(notebook)
        if _falsy(raw_name):
            # init_jupyter retries the refused spawn for 30 s (jupyter-run.ts), then fails.
            await retry_until_success(
                _spawn_without_a_kernel,
                start_delay_ms=1000,
                max_delay_ms=5000,
                factor=1.4,
                max_time_ms=30000,
            )
        name = jsjson.to_js_string(raw_name)
        cells = notebook.get("cells") if isinstance(notebook, dict) else None
        if isinstance(cells, str):
            cells = list(cells)  # for...of a string: its characters, each a cell
        if not isinstance(cells, list):
            raise WireError("TypeError: notebook.cells is not iterable")
        env = {
            "PYTHONWARNINGS": "ignore",
            "PLOTLY_RENDERER": "colab",
            "COCALC_JUPYTER_KERNELNAME": name,
            "COCALC_JUPYTER_FILENAME": relative,
        }
        kernel = NotebookKernel(pool, name, os.path.dirname(file_path), env)
        try:
            await kernel.start()
            for cell in cells:
                if cell is None:
                    raise WireError("TypeError: Cannot read properties of null (reading 'outputs')")
                try:
                    await run_cell(kernel, limits, budget, cell)
                except OutputBoundReached:
                    break
                except CellFailed as failed:
                    kind = _cell_type_name(cell)
                    if kind is not None:  # strict mode: a primitive takes no property
                        raise WireError(
                            "TypeError: Cannot create property 'outputs' on "
                            f"{kind} '{jsjson.to_js_string(cell)}'"
                        ) from None
                    if isinstance(cell, dict):
                        if cell.get("outputs") is None:
                            cell["outputs"] = []
                        push_output(cell["outputs"], {"traceback": [failed.text]})
                    if not limits.total_time_used_up():
                        await kernel.start()
        finally:
            kernel.close()
        return jsjson.stringify(notebook)
    finally:
        await asyncio.to_thread(_remove_notebook, beneath, file_path)
