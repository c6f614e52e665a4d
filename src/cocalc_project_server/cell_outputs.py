"""A cell's kernel messages as output items, as src/packages/jupyter/nbgrader/jupyter-run.ts
(run_cell) makes them; ``system.jupyterExecute`` and ``editor.jupyterRunNotebook`` both use it.

Per message: a ``clear_output`` empties the outputs and is then kept itself; comm traffic is
skipped; bookkeeping keys and empty objects are dropped; each item's ``JSON.stringify`` length
counts towards the limits; tracebacks are always kept, and any other item over a limit becomes
a truncation notice (a stdout stream whose ``text`` is a LIST).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import jsjson
from .errors import WireError
from .jupyter_cell import KernelMessage

# Keys run_cell deletes from every message content.
_DROPPED_KEYS = ("execution_state", "execution_count", "payload", "code", "status", "source")


@dataclass(frozen=True)
class OutputLimits:
    """The output limits of one cell; 0 turns a limit off."""

    max_output_per_cell: float = 0
    max_output: float = 0
    # Where this cell's count of the run's output starts (run_cell adds to a copy of it).
    total_output: float = 0


def js_round(x: float) -> int:
    """JavaScript's ``Math.round`` (halves go up)."""
    return math.floor(x + 0.5)


def total_time_exceeded(timeout_ms: float) -> str:
    """run_cell's message when the run's total time is used up."""
    return f"Total time limit (={js_round(timeout_ms / 1000)} seconds) exceeded"


def truncation_notice(which: str, limit: float) -> dict[str, Any]:
    text = (
        f"Output truncated since it exceeded the {which} output limit of "
        f"{jsjson.number(limit)} characters"
    )
    return {"name": "stdout", "output_type": "stream", "text": [text]}


def output_item(content: Mapping[str, Any]) -> dict[str, Any] | None:
    """One message's content as an output item, or None if nothing of it is kept."""
    if content.get("comm_id") is not None:
        return None  # widget traffic is not output
    item = {
        k: v
        for k, v in content.items()
        if k not in _DROPPED_KEYS and not (isinstance(v, dict) and not v)
    }
    return item or None


def push_output(outputs: Any, item: dict[str, Any]) -> None:
    """``outputs.push(item)``: JavaScript's TypeError when a notebook's outputs is no array."""
    if not isinstance(outputs, list):
        raise WireError("TypeError: cell.outputs.push is not a function")
    outputs.append(item)


def add_outputs(outputs: Any, messages: Iterable[KernelMessage], limits: OutputLimits) -> Any:
    """``outputs`` with the items of ``messages`` pushed on; a new list after a clear_output."""
    total = limits.total_output
    cell_chars = 0
    for message in messages:
        if message.msg_type == "clear_output":
            outputs = []  # the clear_output message itself still becomes an item below
        item = output_item(message.content)
        if item is None:
            continue
        size = jsjson.utf16_length(jsjson.stringify(item))
        total += size
        if limits.max_output_per_cell:
            cell_chars += size
        if item.get("traceback") is not None:
            push_output(outputs, item)  # errors are always kept
        elif limits.max_output_per_cell and cell_chars > limits.max_output_per_cell:
            push_output(outputs, truncation_notice("cell", limits.max_output_per_cell))
        elif limits.max_output and total > limits.max_output:
            push_output(outputs, truncation_notice("global", limits.max_output))
        else:
            push_output(outputs, item)
    return outputs
