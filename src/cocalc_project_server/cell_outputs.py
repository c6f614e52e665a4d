"""A cell's kernel messages as output items, as src/packages/jupyter/nbgrader/jupyter-run.ts
(run_cell) makes them; ``system.jupyterExecute`` and ``editor.jupyterRunNotebook`` both use it.

Per message: a ``clear_output`` empties the outputs and is then kept itself; comm traffic is
skipped; bookkeeping keys and empty objects are dropped; each item's ``JSON.stringify`` length
counts towards the limits; tracebacks are always kept, and any other item over a limit becomes
a truncation notice (a stdout stream whose ``text`` is a LIST). Each message is dealt with as
it arrives, and what one call keeps is bounded by the server (:class:`CallOutputBudget`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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


def _json_length(item: Mapping[str, Any]) -> int:
    """``JSON.stringify(item).length``."""
    return jsjson.utf16_length(jsjson.stringify(item))


class OutputBoundReached(Exception):
    """The call holds as much output as the server allows; the cell must be stopped."""


@dataclass
class CallOutputBudget:
    """Characters of output items one call may hold (``--max-jupyter-output``).

    The server's own bound, not CoCalc's: the real service keeps whatever the limits let
    through, and a call without limits (a notebook run) keeps everything.
    """

    limit: int
    held: int = 0

    def notice(self) -> dict[str, Any]:
        """The last item of a call that reached the bound, shaped as run_cell's notices."""
        text = (
            f"Output truncated since it exceeded the local server's limit of {self.limit} "
            "characters per call (--max-jupyter-output); execution stopped here"
        )
        return {"name": "stdout", "output_type": "stream", "text": [text]}


class CellOutputs:
    """The outputs of one cell, made from its messages as they arrive.

    src/packages/jupyter/nbgrader/jupyter-run.ts (run_cell) does the same to the list of all
    messages once the cell has ended; here nothing but the kept items is held, and an item
    past a limit is not even measured when its notice is already certain.
    """

    def __init__(self, limits: OutputLimits, budget: CallOutputBudget) -> None:
        # The items since the start or the last clear_output, and whether there was one.
        self.items: list[dict[str, Any]] = []
        self.cleared = False
        self._limits = limits
        self._budget = budget
        self._total = limits.total_output
        self._cell_chars = 0
        # Characters of `items`, given back to the budget when they are dropped.
        self._held = 0
        # One object per notice text: a cell past its limit may repeat it thousands of times.
        self._notices: dict[str, tuple[dict[str, Any], int]] = {}

    def add(self, message: KernelMessage) -> None:
        """Push the item of ``message``; :class:`OutputBoundReached` once the call is full."""
        if message.msg_type == "clear_output":
            self.drop()
            self.cleared = True  # the clear_output message itself still becomes an item below
        item = output_item(message.content)
        if item is None:
            return
        if item.get("traceback") is not None:
            size = self._count(item)
            self._push(item, size)  # errors are always kept
            return
        notice = self._certain_notice()
        if notice is None:
            size = self._count(item)
            notice = self._notice_for_count()
            if notice is None:
                self._push(item, size)
                return
        self._push(*notice)

    def drop(self) -> None:
        """Forget the items (a clear_output, or a cell whose run failed)."""
        self._budget.held -= self._held
        self._held = 0
        self.items = []

    def added_to(self, outputs: Any) -> Any:
        """The cell's ``outputs`` once the items are pushed on (a new list after a clear)."""
        if self.cleared:
            return self.items
        for item in self.items:
            push_output(outputs, item)
        return outputs

    def _count(self, item: Mapping[str, Any]) -> int:
        size = _json_length(item)
        self._total += size
        if self._limits.max_output_per_cell:
            self._cell_chars += size
        return size

    def _certain_notice(self) -> tuple[dict[str, Any], int] | None:
        """The notice the next item gets whatever its size (the counts only grow), if known."""
        limits = self._limits
        if limits.max_output_per_cell and self._cell_chars > limits.max_output_per_cell:
            return self._notice("cell", limits.max_output_per_cell)
        if not limits.max_output_per_cell and limits.max_output and self._total > limits.max_output:
            return self._notice("global", limits.max_output)
        return None

    def _notice_for_count(self) -> tuple[dict[str, Any], int] | None:
        limits = self._limits
        if limits.max_output_per_cell and self._cell_chars > limits.max_output_per_cell:
            return self._notice("cell", limits.max_output_per_cell)
        if limits.max_output and self._total > limits.max_output:
            return self._notice("global", limits.max_output)
        return None

    def _notice(self, which: str, limit: float) -> tuple[dict[str, Any], int]:
        if which not in self._notices:
            notice = truncation_notice(which, limit)
            self._notices[which] = (notice, _json_length(notice))
        return self._notices[which]

    def _push(self, item: dict[str, Any], size: int) -> None:
        if self._budget.held + size > self._budget.limit:
            self.items.append(self._budget.notice())
            raise OutputBoundReached
        self.items.append(item)
        self._budget.held += size
        self._held += size
