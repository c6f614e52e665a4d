"""`raise_for_cell_error`: Jupyter code that raised, as an exception, on request.

The service answers a cell that raised with an error item among its outputs, not with an
error (`jupyter_execute`: `{"ename", "evalue", "traceback"}`; a notebook run: also
`{"traceback": ["Error: ..."]}` for a cell the run itself failed). A cell interrupted at its
time limit ends with a `KeyboardInterrupt` item (src/packages/jupyter/execute/execute-code.ts
sends the kernel SIGINT; src/packages/jupyter/stateless-api/kernel.ts returns the outputs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from cocalc_api._exceptions import CellError, InvalidArgumentError

__all__ = ["raise_for_cell_error"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
INTERRUPTED = "KeyboardInterrupt"
# A cell's limit: 30 s without `limits` (src/packages/jupyter/stateless-api/kernel.ts, execute).
TIME_LIMIT_NOTE = (
    "the cell ran past its time limit (30 s by default) and was interrupted: give it longer "
    'with limits={"timeout_ms_per_cell": ...} (jupyter_execute) or '
    'limits={"max_time_per_cell_ms": ...} (jupyter_run_notebook)'
)

Outputs = TypeVar("Outputs", bound=object)


def raise_for_cell_error(outputs: Outputs) -> Outputs:
    """Raise CellError for the first error item of `outputs`; else return `outputs`.

    `outputs` is what `jupyter_execute` returns (a list of output items), or a notebook as
    `jupyter_run_notebook` returns it (its JSON text, or the parsed dict): its cells are
    looked through in order.

    >>> out = raise_for_cell_error(project.system.jupyter_execute(input="1/0", kernel="python3"))
    Traceback (most recent call last):
    cocalc_api.CellError: ZeroDivisionError: division by zero
    """
    if isinstance(outputs, str | Mapping):
        _check_notebook(outputs)
    elif isinstance(outputs, Sequence):
        _check_items(outputs, None)
    else:
        raise InvalidArgumentError(
            "raise_for_cell_error() takes a list of output items or a notebook, got "
            f"{type(outputs).__name__}"
        )
    return outputs


def _check_notebook(notebook: str | Mapping[str, Any]) -> None:
    if isinstance(notebook, str):
        try:
            notebook = json.loads(notebook)
        except ValueError:
            raise InvalidArgumentError("raise_for_cell_error(): the text is not JSON") from None
    cells = notebook.get("cells") if isinstance(notebook, Mapping) else None
    if not isinstance(cells, list):
        raise InvalidArgumentError("raise_for_cell_error(): the notebook has no list of cells")
    for index, cell in enumerate(cells):
        if isinstance(cell, Mapping) and isinstance(cell.get("outputs"), list):
            _check_items(cell["outputs"], index)


def _check_items(items: Sequence[Any], cell: int | None) -> None:
    for item in items:
        if isinstance(item, Mapping) and ("ename" in item or "traceback" in item):
            raise _cell_error(item, cell)


def _cell_error(item: Mapping[str, Any], cell: int | None) -> CellError:
    traceback = [str(line) for line in item.get("traceback") or []]
    ename = str(item.get("ename") or "")
    evalue = str(item.get("evalue") or "")
    if ename:
        headline = f"{ename}: {evalue}" if evalue else ename
    else:  # a notebook run's own failure: {"traceback": ["Error: ..."]}
        headline = _ANSI.sub("", traceback[-1]) if traceback else "an error output"
    interrupted = ename == INTERRUPTED
    where = f"cell {cell}: " if cell is not None else ""
    note = f" ({TIME_LIMIT_NOTE})" if interrupted else ""
    return CellError(
        f"{where}{headline}{note}",
        ename=ename,
        evalue=evalue,
        traceback=traceback,
        cell=cell,
        interrupted=interrupted,
    )
