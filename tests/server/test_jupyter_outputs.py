"""The server's bound on the Jupyter output one call holds (``--max-jupyter-output``), in
process: kernel messages are fed to the output collector and to a notebook run directly.

The bound is the local server's own (the real service has none); the items under it follow
src/packages/jupyter/nbgrader/jupyter-run.ts (run_cell).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest

from cocalc_project_server import run_notebook
from cocalc_project_server.cell_outputs import (
    CallOutputBudget,
    CellOutputs,
    OutputBoundReached,
    OutputLimits,
)
from cocalc_project_server.jupyter_cell import KernelMessage, MessageSink
from cocalc_project_server.kernels import KernelPool

NO_LIMITS = OutputLimits(max_output_per_cell=0, max_output=0)


def stream(text: str) -> KernelMessage:
    return KernelMessage("stream", {"name": "stdout", "text": text})


def item_size(text: str) -> int:
    return len(json.dumps({"name": "stdout", "text": text}, separators=(",", ":")))


def bound_notice(limit: int) -> dict[str, Any]:
    text = (
        f"Output truncated since it exceeded the local server's limit of {limit} characters "
        "per call (--max-jupyter-output); execution stopped here"
    )
    return {"name": "stdout", "output_type": "stream", "text": [text]}


def test_the_bound_ends_the_outputs_with_its_notice() -> None:
    limit = 3 * item_size("0123456789")
    cell = CellOutputs(NO_LIMITS, CallOutputBudget(limit))
    for _ in range(3):
        cell.add(stream("0123456789"))
    with pytest.raises(OutputBoundReached):
        cell.add(stream("x"))
    assert cell.items == [{"name": "stdout", "text": "0123456789"}] * 3 + [bound_notice(limit)]


def test_truncation_notices_count_towards_the_bound() -> None:
    # Past the cell limit every message becomes a notice (run_cell); notices are held too.
    cell = CellOutputs(OutputLimits(max_output_per_cell=1), CallOutputBudget(1000))
    with pytest.raises(OutputBoundReached):
        for _ in range(1000):
            cell.add(stream("x"))
    *notices, last = cell.items
    assert 1 < len(notices) < 1000
    assert last == bound_notice(1000)


def test_cleared_outputs_are_no_longer_held() -> None:
    # A progress display: clear_output(wait=True) then the new state, many times over.
    budget = CallOutputBudget(10 * item_size("step 99"))
    cell = CellOutputs(NO_LIMITS, budget)
    for step in range(100):
        cell.add(KernelMessage("clear_output", {"wait": True}))
        cell.add(stream(f"step {step}"))
    assert cell.items == [{"wait": True}, {"name": "stdout", "text": "step 99"}]
    assert cell.cleared


class _Handle:
    killed = False


class _Pool:
    """Just enough of KernelPool for a notebook run whose kernel is never really started."""

    def __init__(self) -> None:
        self.discarded: list[_Handle] = []

    async def launch(self, name: str, **kwargs: Any) -> _Handle:
        return _Handle()

    def discard(self, handle: _Handle) -> None:
        self.discarded.append(handle)


async def test_a_notebook_run_stops_at_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def flood(handle: Any, code: str, timeout_ms: float, on_message: MessageSink) -> None:
        for _ in range(100):
            on_message(stream(code))

    monkeypatch.setattr(run_notebook, "execute_code", flood)
    cells = [
        {"cell_type": "code", "source": ["first"], "outputs": [{"text": "earlier"}]},
        {"cell_type": "code", "source": ["second"], "outputs": []},
    ]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}}
    limit = 5 * item_size("first")
    pool = _Pool()
    result = await run_notebook.run_notebook(
        {"path": "", "ipynb": json.dumps(notebook)},
        root=str(tmp_path.resolve()),
        pool=cast(KernelPool, pool),
        max_output=limit,
    )
    first, second = json.loads(result)["cells"]
    kept = [{"name": "stdout", "text": "first"}] * 5
    assert first["outputs"] == [{"text": "earlier"}, *kept, bound_notice(limit)]
    assert second["outputs"] == []  # not run
    assert len(pool.discarded) == 1  # the run's kernel is stopped
