"""``system.jupyterExecute``: run code statelessly on a fresh kernel and shape the outputs.

A kernel is taken from the pool, ``history`` (joined by newlines) runs as one cell whose output
is discarded, then ``input`` runs, then the kernel is shut down. Outputs are the kernel's
iopub message contents with the bookkeeping keys and empty objects removed, as in CoCalc.
"""

from __future__ import annotations

import json
import math
import queue
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ProjectError, WireError
from .kernels import KernelHandle, KernelPool
from .paths import confine

# Keys the real service deletes from every message content before returning it.
_DROPPED_KEYS = ("execution_state", "execution_count", "payload", "code", "status", "source")
# How often a wait for kernel output checks that the kernel is still alive.
_LIVENESS_POLL_S = 0.5


@dataclass
class Limits:
    """Per-call limits (milliseconds and characters); 0 means no limit except for timeouts."""

    timeout_ms: float = 30_000
    timeout_ms_per_cell: float = 30_000
    max_output: int = 5_000_000
    max_output_per_cell: int = 1_000_000
    start: float = field(default_factory=time.monotonic)
    total_output: int = 0

    @classmethod
    def from_request(cls, raw: object) -> Limits:
        """Defaults overridden by the keys given in ``limits``."""
        limits = cls()
        if raw is None:
            return limits
        if not isinstance(raw, dict):
            raise ProjectError("'limits' must be an object")
        for key in ("timeout_ms", "timeout_ms_per_cell", "max_output", "max_output_per_cell"):
            value = raw.get(key)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ProjectError(f"'limits.{key}' must be a non-negative number")
            setattr(limits, key, int(value) if key.startswith("max_") else float(value))
        return limits

    def cell_timeout_s(self) -> float:
        """Time allowed for the next cell: per-cell limit, capped by what is left in total."""
        per_cell = self.timeout_ms_per_cell or self.timeout_ms or 30_000
        if self.timeout_ms:
            left = self.timeout_ms - 1000 * (time.monotonic() - self.start)
            per_cell = min(per_cell, max(left, 0.0))
        return per_cell / 1000


@dataclass(frozen=True)
class ExecuteRequest:
    """Validated ``args[0]`` of ``system.jupyterExecute``."""

    input: str
    kernel: str
    history: tuple[str, ...]
    path: str | None
    pool_size: int | None
    pool_timeout_s: float | None
    limits: Limits

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ExecuteRequest:
        code = raw.get("input")
        if not isinstance(code, str):
            raise ProjectError("'input' must be a string")
        kernel = raw.get("kernel")
        if not isinstance(kernel, str) or not kernel:
            raise ProjectError("'kernel' must be a kernel name such as 'python3'")
        history = raw.get("history")
        if history is None:
            history = []
        if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            raise ProjectError("'history' must be a list of strings")
        path = raw.get("path")
        if path is not None and not isinstance(path, str):
            raise ProjectError("'path' must be a string")
        pool = raw.get("pool")
        size: int | None = None
        pool_timeout: float | None = None
        if pool is not None:
            if not isinstance(pool, dict):
                raise ProjectError("'pool' must be an object")
            size_raw, timeout_raw = pool.get("size"), pool.get("timeout_s")
            if size_raw is not None:
                if isinstance(size_raw, bool) or not isinstance(size_raw, int) or size_raw < 0:
                    raise ProjectError("'pool.size' must be a non-negative integer")
                size = size_raw
            if timeout_raw is not None:
                if (
                    isinstance(timeout_raw, bool)
                    or not isinstance(timeout_raw, int | float)
                    or not math.isfinite(timeout_raw)
                    or timeout_raw < 0
                ):
                    raise ProjectError("'pool.timeout_s' must be a non-negative number")
                pool_timeout = float(timeout_raw)
        return cls(
            input=code,
            kernel=kernel,
            history=tuple(history),
            path=path,
            pool_size=size,
            pool_timeout_s=pool_timeout,
            limits=Limits.from_request(raw.get("limits")),
        )


def shape_output(content: Mapping[str, Any]) -> dict[str, Any] | None:
    """One iopub message as an output item, or None if nothing of it is kept."""
    if content.get("comm_id") is not None:
        return None  # widget traffic is not output
    item = {k: v for k, v in content.items() if k not in _DROPPED_KEYS}
    item = {k: v for k, v in item.items() if not (isinstance(v, dict) and not v)}
    return item or None


def merge_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join consecutive chunks of the same stream, so one ``print`` is one item."""
    merged: list[dict[str, Any]] = []
    for item in outputs:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and set(prev) == {"name", "text"} == set(item)
            and prev["name"] == item["name"]
            and isinstance(prev["text"], str)
            and isinstance(item["text"], str)
        ):
            merged[-1] = {"name": prev["name"], "text": prev["text"] + item["text"]}
        else:
            merged.append(item)
    return merged


async def run_cell(handle: KernelHandle, code: str, limits: Limits) -> list[dict[str, Any]]:
    """Execute one cell and collect its outputs, enforcing the time and output limits."""
    if limits.timeout_ms and 1000 * (time.monotonic() - limits.start) >= limits.timeout_ms:
        raise ProjectError(
            f"Total time limit (={round(limits.timeout_ms / 1000)} seconds) exceeded"
        )
    timeout_s = limits.cell_timeout_s()
    deadline = time.monotonic() + timeout_s
    msg_id = handle.client.execute(code, store_history=True, allow_stdin=False)
    outputs: list[dict[str, Any]] = []
    cell_chars = 0
    truncated = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            # The kernel is discarded after the call, which kills the runaway code.
            raise WireError(f"Timeout Error: execution time limit = {round(timeout_s)} seconds")
        try:
            msg = await handle.client.get_iopub_msg(timeout=min(remaining, _LIVENESS_POLL_S))
        except queue.Empty:
            if not await handle.is_alive():
                raise WireError("kernel crashed") from None
            continue
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        msg_type = msg.get("msg_type") or msg.get("header", {}).get("msg_type", "")
        content: Mapping[str, Any] = msg.get("content", {})
        if msg_type == "status" and content.get("execution_state") == "idle":
            return outputs
        if msg_type == "clear_output":
            outputs = []
            continue
        item = shape_output(content)
        if item is None:
            continue
        size = len(json.dumps(item, separators=(",", ":")))
        limits.total_output += size
        cell_chars += size
        if "traceback" in item:
            outputs.append(item)  # errors are always kept
        elif limits.max_output_per_cell and cell_chars > limits.max_output_per_cell:
            if not truncated:
                truncated = True
                outputs.append(
                    _notice(
                        "Output truncated since it exceeded the cell output limit of "
                        f"{limits.max_output_per_cell} characters"
                    )
                )
        elif limits.max_output and limits.total_output > limits.max_output:
            if not truncated:
                truncated = True
                outputs.append(
                    _notice(
                        "Output truncated since it exceeded the global output limit of "
                        f"{limits.max_output} characters"
                    )
                )
        else:
            outputs.append(item)


def _notice(text: str) -> dict[str, Any]:
    return {"name": "stdout", "text": text}


async def _change_directory(handle: KernelHandle, folder: str) -> str | None:
    """chdir the kernel; returns an error text instead of raising (it becomes stderr output)."""
    if handle.language != "python":
        return f"changing the directory is not supported for kernel '{handle.name}'"
    msg_id = handle.client.execute(
        f"import os as _os; _os.chdir({folder!r}); del _os", silent=True, store_history=False
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            reply = await handle.client.get_shell_msg(timeout=_LIVENESS_POLL_S)
        except queue.Empty:
            if not await handle.is_alive():
                return "kernel crashed"
            continue
        if reply.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        content = reply.get("content", {})
        if content.get("status") == "ok":
            return None
        return f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
    return "timeout changing directory"


async def jupyter_execute(pool: KernelPool, root: str, raw: Mapping[str, Any]) -> list[Any]:
    """The ``system.jupyterExecute`` method."""
    request = ExecuteRequest.parse(raw)
    folder = confine(root, request.path) if request.path is not None else None
    handle = await pool.acquire(
        request.kernel, size=request.pool_size, idle_timeout_s=request.pool_timeout_s
    )
    # The total time limit counts from here: waiting for a kernel is not the code's fault.
    request.limits.start = time.monotonic()
    try:
        outputs: list[dict[str, Any]] = []
        if folder is not None:
            problem = await _change_directory(handle, folder)
            if problem:
                outputs.append({"name": "stderr", "text": problem})
        if request.history:
            await run_cell(handle, "\n".join(request.history), request.limits)
        outputs.extend(await run_cell(handle, request.input, request.limits))
        return merge_streams(outputs)
    finally:
        pool.discard(handle)
