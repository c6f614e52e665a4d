"""Run Python code on a Jupyter kernel of a CoCalc project and print its outputs.

`jupyter_execute` is stateless: `history` runs first (its output discarded), then `input`,
on a fresh kernel from the project's pool. Settings come from COCALC_API_KEY,
COCALC_PROJECT_ID and COCALC_HOST. Run it with `python examples/jupyter_code.py`.
"""

from __future__ import annotations

import sys

import cocalc_api
from cocalc_api.types import JupyterOutputItem


def show(items: list[JupyterOutputItem]) -> None:
    """Print each output item by its kind (the result types tell them apart by key)."""
    for item in items:
        if "data" in item:  # a value or a display: one entry per MIME type
            print("result:", item["data"].get("text/plain"))
        elif "ename" in item:  # an exception in the cell
            print(f"error: {item['ename']}: {item['evalue']}")
        elif "wait" in item:  # clear_output() was called
            print("(output cleared)")
        elif "output_type" in item:  # the output went over a limit
            print("".join(item["text"]))
        else:  # printed text
            print(f"{item['name']}: {item['text']}", end="")


def main() -> int:
    with cocalc_api.Project() as project:
        show(project.system.jupyter_execute(input="sum(range(100))", kernel="python3"))
        show(project.system.jupyter_execute(input="print('hello'); 6 * 7", kernel="python3"))
        # State from earlier inputs: pass them as `history`.
        show(project.system.jupyter_execute(input="x ** 2", history=["x = 12"], kernel="python3"))
        show(project.system.jupyter_execute(input="1 / 0", kernel="python3"))
        kernels = project.system.list_jupyter_kernels()
        print("running kernels:", len(kernels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
