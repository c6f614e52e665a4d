"""``system.jupyterExecute``: run code statelessly on a fresh kernel and shape the outputs.

As src/packages/jupyter/stateless-api/execute.ts: a kernel is taken from the pool, moved to
``path`` if one is given, ``history`` (joined by newlines) runs as one cell whose output is
discarded, then ``input`` runs, then the kernel is killed. Each cell's messages become output
items as src/packages/jupyter/nbgrader/jupyter-run.ts (run_cell) makes them, as they arrive.
The kernel is killed however the call ends: answered, failed, or cancelled because its caller
stopped waiting.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import nodepath
from .cell_outputs import (
    CallOutputBudget,
    CellOutputs,
    OutputBoundReached,
    OutputLimits,
    total_time_exceeded,
)
from .chdir_commands import chdir_command
from .errors import ProjectError
from .jupyter_cell import discard, execute_code
from .kernel_process import KernelHandle
from .kernels import KernelPool

# src/packages/util/jupyter/nbgrader-types.ts (DEFAULT_LIMITS): under every cell's limits.
DEFAULT_LIMITS: dict[str, float] = {
    "timeout_ms_per_cell": 60_000,
    "max_output_per_cell": 500_000,
    "max_output": 4_000_000,
    "total_output": 10_000_000,
}
# src/packages/jupyter/stateless-api/kernel.ts (Kernel.execute): a call without ``limits``
# runs each cell with these (and ``start_time`` = when that cell starts).
LIMITS_WITHOUT_REQUEST: dict[str, float] = {
    "timeout_ms": 30_000,
    "timeout_ms_per_cell": 30_000,
    "max_output": 5_000_000,
    "max_output_per_cell": 1_000_000,
    "total_output": 0,
}


@dataclass(frozen=True)
class CellLimits:
    """The limits one cell runs with; 0 turns a limit off."""

    timeout_ms_per_cell: float
    max_output_per_cell: float
    max_output: float
    total_output: float  # where the count of the call's output starts
    timeout_ms: float | None
    start_time: float | None  # ms since the epoch


def cell_limits(requested: Mapping[str, Any] | None, now_ms: float) -> CellLimits:
    """The limits of one cell of a call that gave ``limits=requested`` (None: not given)."""
    if requested is None:
        given: dict[str, Any] = {**LIMITS_WITHOUT_REQUEST, "start_time": now_ms}
    else:
        # Kernel.execute fills in a missing total_output with 0.
        given = dict(requested)
        if given.get("total_output") is None:
            given["total_output"] = 0
    merged = {**DEFAULT_LIMITS, **given}
    return CellLimits(
        timeout_ms_per_cell=merged["timeout_ms_per_cell"],
        max_output_per_cell=merged["max_output_per_cell"],
        max_output=merged["max_output"],
        total_output=merged["total_output"],
        timeout_ms=merged.get("timeout_ms"),
        start_time=merged.get("start_time"),
    )


@dataclass(frozen=True)
class ExecuteRequest:
    """``args[0]`` of ``system.jupyterExecute`` (already checked against the spec)."""

    input: str
    kernel: str
    history: tuple[str, ...]
    path: str | None
    pool_size: int | None
    pool_timeout_s: float | None
    limits: Mapping[str, Any] | None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ExecuteRequest:
        pool = raw.get("pool") or {}
        return cls(
            input=str(raw.get("input", "")),
            kernel=str(raw.get("kernel", "")),
            history=tuple(raw.get("history") or ()),
            path=raw.get("path"),
            pool_size=pool.get("size"),
            pool_timeout_s=pool.get("timeout_s"),
            limits=raw.get("limits"),
        )


async def run_cell(
    handle: KernelHandle,
    code: str,
    requested: Mapping[str, Any] | None,
    budget: CallOutputBudget | None,
) -> list[dict[str, Any]]:
    """Run one cell under the call's limits and return its output items.

    ``budget`` None: the outputs are dropped as they arrive. At the server's bound on output
    the items so far are returned, the bound's notice last; the cell is left running for the
    caller to kill the kernel.
    """
    now_ms = time.time() * 1000
    limits = cell_limits(requested, now_ms)
    if (
        limits.timeout_ms
        and limits.start_time is not None
        and now_ms - limits.start_time >= limits.timeout_ms
    ):
        raise ProjectError(total_time_exceeded(limits.timeout_ms))
    if budget is None:
        await execute_code(handle, code, limits.timeout_ms_per_cell, discard)
        return []
    output_limits = OutputLimits(limits.max_output_per_cell, limits.max_output, limits.total_output)
    cell = CellOutputs(output_limits, budget)
    try:
        await execute_code(handle, code, limits.timeout_ms_per_cell, cell.add)
    except OutputBoundReached:
        pass
    return cell.items


async def change_directory(handle: KernelHandle, root: str, path: str) -> str | None:
    """Move the kernel to ``path`` (relative to HOME); an error text for a stderr item, or None.

    As kernel.ts (chdir): the language's chdir code runs as an ordinary cell whose outputs
    are dropped, so a folder that cannot be entered is silently ignored. Deliberately, a
    folder outside the project is ignored the same way (the kernel stays in its own folder).
    """
    # src/packages/jupyter/util/fs.ts (getAbsolutePathFromHome)
    target = path if path.startswith("/") else nodepath.resolve(root, path)
    real = os.path.realpath(target)
    if os.path.commonpath([root, real]) != root:
        return None
    try:
        code = chdir_command(handle.language, target)
        if code:
            await execute_code(handle, code, 0, discard)
    except (ValueError, ProjectError) as exc:
        return f"Error: {exc}"
    return None


async def jupyter_execute(
    pool: KernelPool, root: str, raw: Mapping[str, Any], *, max_output: int
) -> list[Any]:
    """The ``system.jupyterExecute`` method; ``max_output``: characters of output it may hold."""
    request = ExecuteRequest.parse(raw)
    handle = await pool.acquire(
        request.kernel, size=request.pool_size, idle_timeout_s=request.pool_timeout_s
    )
    try:
        outputs: list[dict[str, Any]] = []
        if request.path is not None:
            problem = await change_directory(handle, root, request.path)
            if problem:
                outputs.append({"name": "stderr", "text": problem})
        if request.history:
            # Its outputs are ignored: dropped as they arrive.
            await run_cell(handle, "\n".join(request.history), request.limits, None)
        budget = CallOutputBudget(max_output)
        outputs.extend(await run_cell(handle, request.input, request.limits, budget))
        return outputs
    finally:
        pool.discard(handle)
