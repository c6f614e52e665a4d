"""``editor.jupyterRunNotebook``: run every code cell of a notebook on a real kernel.

Follows src/packages/jupyter/nbgrader/jupyter-run.ts, quirks included:

- outputs are the kernel's message contents with bookkeeping keys removed (no
  ``output_type``), appended to the outputs the cell already has; ``clear_output`` empties
  them and is itself kept as ``{"wait": ...}``;
- a cell that throws (dead kernel, bad ``source``, total time used up) gets one output
  ``{"traceback": ["Error: ..."]}``; the kernel is then restarted only if a total time limit
  was given and is not used up (``global_timeout_exceeded`` is true whenever no limit is set);
- the output limits are counted per cell: jupyter-run.ts adds to a copy of its totals;
- the total time counts from before the kernel starts and is checked between cells only;
- the result is ``JSON.stringify(notebook)``.

The kernel comes from the server's :class:`~.kernels.KernelPool`, so it is listed and stopped
like every kernel of the project and a warm one can be used; like CoCalc's own pool
(src/packages/jupyter/pool/pool.ts) it is moved to the notebook's folder, and given the
notebook's environment, by code run in it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import posixpath
import queue
import signal
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import jsjson
from .errors import ProjectError, WireError
from .jupyter import shape_output
from .kernels import KernelHandle, KernelPool
from .paths import confine

log = logging.getLogger(__name__)

_POLL_S = 0.25
# execute-code.ts: SIGINT up to three times, 1 s apart growing by 1.3, then SIGKILL.
_INTERRUPT_TRIES = 3
_INTERRUPT_FIRST_DELAY_S = 1.0
_INTERRUPT_DELAY_FACTOR = 1.3


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
    max_output: int = 0
    max_output_per_cell: int = 0
    start: float = field(default_factory=time.monotonic)

    @classmethod
    def from_options(cls, raw: Mapping[str, Any] | None) -> RunLimits:
        raw = raw or {}
        return cls(
            timeout_ms=float(raw.get("max_total_time_ms") or 0),
            timeout_ms_per_cell=float(raw.get("max_time_per_cell_ms") or 0),
            max_output=int(raw.get("max_output") or 0),
            max_output_per_cell=int(raw.get("max_output_per_cell") or 0),
        )

    def total_time_used_up(self) -> bool:
        # global_timeout_exceeded: with no limit (0) this is always true.
        return 1000 * (time.monotonic() - self.start) >= self.timeout_ms


def js_round(x: float) -> int:
    """JavaScript's ``Math.round`` (halves go up)."""
    return math.floor(x + 0.5)


def _python_init_code(folder: str, env: Mapping[str, str]) -> str:
    # pool.ts runs "import os; os.chdir(...)" and setenv lines (so `os` is defined, as there);
    # the rest stands in for the environment the real kernel is started with.
    lines = [f"import os; os.chdir({folder!r})"]
    lines += [f"import os; os.environ[{k!r}] = {v!r}" for k, v in env.items()]
    if env.get("PYTHONWARNINGS") == "ignore":
        # What PYTHONWARNINGS=ignore at start-up leaves: everything ignored except the
        # DeprecationWarning filter for __main__ that IPython adds on top.
        lines.append(
            "__import__('warnings').simplefilter('ignore'); "
            "__import__('warnings').filterwarnings('default', category=DeprecationWarning, "
            "module='__main__')"
        )
    return "\n".join(lines)


class NotebookKernel:
    """The kernel of one run, with the states of CoCalc's JupyterKernel that the run sees."""

    def __init__(
        self,
        pool: KernelPool,
        name: str,
        known_names: list[str],
        folder: str,
        env: Mapping[str, str],
    ) -> None:
        self._pool = pool
        self._name = name
        self._known = known_names
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
        if self._name not in self._known:
            # launch-kernel.ts looks the name up exactly, without lower-casing it.
            available = jsjson.stringify(self._known)
            self._spawn_failed(
                f'No spec available for kernel "{self._name}".  Available specs: {available}'
            )
            return
        try:
            handle = await self._pool.acquire(self._name)
        except Exception as exc:  # noqa: BLE001 -- any spawn failure becomes the kernel's state
            self._spawn_failed(str(exc))
            return
        self._handle = handle
        if handle.language.lower().startswith(("python", "sage")):
            await self._run_silently(handle, _python_init_code(self._folder, self._env))

    def _spawn_failed(self, message: str) -> None:
        # kernel.ts setFailed text (the error is shown as `${err}`).
        self._failed_error = (
            f"**Unable to Spawn Jupyter Kernel:**\n\nError: {message} \n\nTry this in a terminal "
            "to help debug this (or contact support): "
            f"`jupyter console --kernel={self._name}`\n\n"
            "Once you fix the problem, explicitly restart this kernel to test here."
        )

    async def _run_silently(self, handle: KernelHandle, code: str) -> None:
        msg_id = handle.client.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                reply = await handle.client.get_shell_msg(timeout=_POLL_S)
            except queue.Empty:
                if not await handle.is_alive():
                    return
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                if reply.get("content", {}).get("status") != "ok":
                    log.warning("kernel set-up code failed: %s", reply.get("content"))
                return

    def close(self) -> None:
        if self._handle is not None:
            self._pool.discard(self._handle)
            self._handle = None

    async def execute(self, code: str, timeout_ms: float) -> list[dict[str, Any]]:
        """kernel.ts ``execute_code_now``: every message of the execution, in order."""
        if self._closed:
            raise CellFailed("Error: closed")
        if self._failed_error or self._handle is None:
            raise CellFailed(f"Error: {self._failed_error}")
        return await _Execution(self, self._handle, code, timeout_ms).run()

    def _mark_dead(self, failed_error: str) -> None:
        self._failed_error = failed_error
        self._closed = True
        self.close()


class _Execution:
    """One execute request: collects messages until the kernel is idle and has replied, or
    interrupts and finally kills it when the per-cell time is up (execute-code.ts)."""

    def __init__(
        self, kernel: NotebookKernel, handle: KernelHandle, code: str, timeout_ms: float
    ) -> None:
        self._kernel = kernel
        self._handle = handle
        self._code = code
        self._timeout_ms = timeout_ms
        self._finished = False
        self._killed = False

    async def run(self) -> list[dict[str, Any]]:
        client = self._handle.client
        msg_id = client.execute(self._code, store_history=True, allow_stdin=False)
        inbox: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        readers = [
            asyncio.ensure_future(self._read("iopub", client.get_iopub_msg, msg_id, inbox)),
            asyncio.ensure_future(self._read("shell", client.get_shell_msg, msg_id, inbox)),
        ]
        deadline = time.monotonic() + self._timeout_ms / 1000 if self._timeout_ms else None
        interrupter: asyncio.Task[None] | None = None
        messages: list[dict[str, Any]] = []
        iopub_done = shell_done = False
        try:
            while not (iopub_done and shell_done):
                if deadline is not None and interrupter is None and time.monotonic() >= deadline:
                    interrupter = asyncio.ensure_future(self._interrupt())
                if self._killed:
                    break  # SIGKILL ends the execution at once
                try:
                    channel, msg = await asyncio.wait_for(inbox.get(), _POLL_S)
                except TimeoutError:
                    if not await self._handle.is_alive():
                        if self._killed:
                            break
                        raise CellFailed(f"Error: {await self._death_message()}") from None
                    continue
                if channel == "shell":
                    shell_done = True
                    if msg.get("content", {}).get("status") == "ok":
                        messages.append(msg)
                    continue
                messages.append(msg)
                state = msg.get("content", {}).get("execution_state")
                # Once killing has started, any iopub message ends the iopub side.
                iopub_done = interrupter is not None or state == "idle"
        finally:
            self._finished = True
            for reader in readers:
                reader.cancel()
            if interrupter is not None and not interrupter.done():
                interrupter.cancel()
        if self._killed:
            self._kernel._mark_dead("Kernel last terminated by signal SIGKILL.")
        return messages

    @staticmethod
    async def _read(
        channel: str,
        get: Any,
        msg_id: str,
        inbox: asyncio.Queue[tuple[str, dict[str, Any]]],
    ) -> None:
        while True:
            try:
                msg = await get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                inbox.put_nowait((channel, msg))

    async def _interrupt(self) -> None:
        delay = _INTERRUPT_FIRST_DELAY_S
        for _ in range(_INTERRUPT_TRIES):
            if self._finished:
                return
            await self._signal(signal.SIGINT)
            await asyncio.sleep(delay)
            delay *= _INTERRUPT_DELAY_FACTOR
        if not self._finished:
            await self._signal(signal.SIGKILL)
            self._killed = True

    async def _signal(self, signum: int) -> None:
        with contextlib.suppress(Exception):  # the kernel may already be gone
            await self._handle.manager.signal_kernel(signum)

    async def _death_message(self) -> str:
        """kernel.ts's text for a kernel process that ended by itself."""
        code: int | None = None
        with contextlib.suppress(Exception):
            provisioner = self._handle.manager.provisioner
            code = await provisioner.poll() if provisioner is not None else None
        if code is not None and code < 0:
            message = f"Kernel last terminated by signal {signal.Signals(-code).name}."
        else:
            message = f"Kernel last exited with code {code if code is not None else 0}."
        self._kernel._mark_dead(message)
        return message


def _notice(limit_kind: str, limit: int) -> dict[str, Any]:
    text = f"Output truncated since it exceeded the {limit_kind} output limit of {limit} characters"
    return {"name": "stdout", "output_type": "stream", "text": [text]}


def _push(cell: dict[str, Any], item: dict[str, Any]) -> None:
    outputs = cell.get("outputs")
    if not isinstance(outputs, list):
        raise WireError("TypeError: cell.outputs.push is not a function")
    outputs.append(item)


def _cell_code(cell: dict[str, Any]) -> str:
    """``cell.source.join("")``, with the TypeErrors JavaScript throws for other values."""
    if "source" not in cell or cell["source"] is None:
        which = "null" if "source" in cell else "undefined"
        raise CellFailed(f"TypeError: Cannot read properties of {which} (reading 'join')")
    source = cell["source"]
    if not isinstance(source, list):
        raise CellFailed("TypeError: cell.source.join is not a function")
    return "".join(jsjson.to_js_string(part) for part in source)


async def run_cell(kernel: NotebookKernel, limits: RunLimits, cell: Any) -> None:
    """jupyter-run.ts ``run_cell``: run one cell and append its outputs to it."""
    if limits.timeout_ms and limits.total_time_used_up():
        raise CellFailed(
            f"Error: Total time limit (={js_round(limits.timeout_ms / 1000)} seconds) exceeded"
        )
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return
    code = _cell_code(cell)
    if cell.get("outputs") is None:
        cell["outputs"] = []
    messages = await kernel.execute(code, limits.timeout_ms_per_cell)
    cell_chars = total_chars = 0  # counted per cell: the real adds to a copy of its totals
    for msg in messages:
        if msg.get("msg_type") == "clear_output":
            cell["outputs"] = []
        content = msg.get("content")
        if not isinstance(content, dict):
            continue
        item = shape_output(content)
        if item is None:
            continue
        size = jsjson.utf16_length(jsjson.stringify(item))
        total_chars += size
        if limits.max_output_per_cell:
            cell_chars += size
        if item.get("traceback") is not None:
            _push(cell, item)  # tracebacks are always kept
        elif limits.max_output_per_cell and cell_chars > limits.max_output_per_cell:
            _push(cell, _notice("cell", limits.max_output_per_cell))
        elif limits.max_output and total_chars > limits.max_output:
            _push(cell, _notice("global", limits.max_output))
        else:
            _push(cell, item)


_UNDEFINED = object()


def _js_get(value: Any, key: str) -> Any:
    """``value.key`` on parsed JSON: JavaScript's TypeError on null/undefined, else the value
    or ``_UNDEFINED``."""
    if value is None or value is _UNDEFINED:
        which = "null" if value is None else "undefined"
        raise WireError(f"TypeError: Cannot read properties of {which} (reading '{key}')")
    return value.get(key, _UNDEFINED) if isinstance(value, dict) else _UNDEFINED


def _kernel_name(notebook: Any) -> str:
    """``notebook.metadata.kernelspec.name``."""
    name = _js_get(_js_get(_js_get(notebook, "metadata"), "kernelspec"), "name")
    if not isinstance(name, str) or not name:
        # kernel.ts refuses to spawn (the real service retries that for 30 s first).
        raise ProjectError("cannot spawn since no kernel is set")
    return name


def _write_text(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", errors="replace") as fh:
        fh.write(text)


async def run_notebook(
    options: Mapping[str, Any],
    *,
    root: str,
    pool: KernelPool,
    known_kernels: list[str],
) -> str:
    """The ``editor.jupyterRunNotebook`` method (``options`` already checked by the spec)."""
    ipynb: str = options["ipynb"]
    notebook = jsjson.parse(ipynb)  # a syntax error is V8's SyntaxError text
    limits = RunLimits.from_options(options.get("limits"))
    # A random file name, so that simultaneous runs in one folder do not collide.
    relative = posixpath.normpath(posixpath.join(options["path"], f"{uuid.uuid4()}.ipynb"))
    file_path = confine(root, relative)
    try:
        await asyncio.to_thread(_write_text, file_path, ipynb)
        name = _kernel_name(notebook)
        cells = notebook.get("cells") if isinstance(notebook, dict) else None
        if not isinstance(cells, list):
            raise WireError("TypeError: notebook.cells is not iterable")
        env = {
            "PYTHONWARNINGS": "ignore",
            "PLOTLY_RENDERER": "colab",
            "COCALC_JUPYTER_KERNELNAME": name,
            "COCALC_JUPYTER_FILENAME": relative,
        }
        kernel = NotebookKernel(pool, name, known_kernels, os.path.dirname(file_path), env)
        try:
            await kernel.start()
            for cell in cells:
                if cell is None:
                    raise WireError("TypeError: Cannot read properties of null (reading 'outputs')")
                try:
                    await run_cell(kernel, limits, cell)
                except CellFailed as failed:
                    if isinstance(cell, dict):
                        if cell.get("outputs") is None:
                            cell["outputs"] = []
                        _push(cell, {"traceback": [failed.text]})
                    if not limits.total_time_used_up():
                        await kernel.start()
        finally:
            kernel.close()
        return jsjson.stringify(notebook)
    finally:
        with contextlib.suppress(OSError):
            await asyncio.to_thread(os.unlink, file_path)
