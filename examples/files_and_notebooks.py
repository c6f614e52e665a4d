"""Files and notebooks in a CoCalc project: write, read, list, move, delete; run a notebook.

Settings come from COCALC_API_KEY, COCALC_PROJECT_ID and COCALC_HOST. Run it with
`python examples/files_and_notebooks.py`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import cocalc_api

NOTEBOOK: dict[str, Any] = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": ["squares = [n * n for n in range(5)]\n", "squares"],
        }
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def main() -> int:
    with cocalc_api.Project() as project:
        project.system.write_text_file_to_project(path="examples-demo/notes.txt", content="hi\n")
        text = project.system.read_text_file_from_project(path="examples-demo/notes.txt")
        print("read back:", text.strip())

        project.system.move_files(paths=["examples-demo/notes.txt"], dest="examples-demo/old")
        names = sorted(entry["name"] for entry in project.system.listing(path="examples-demo/old"))
        print("examples-demo/old holds:", ", ".join(names))

        # A notebook runs on the kernel its metadata names; it comes back with its outputs.
        ran = json.loads(project.editor.jupyter_run_notebook(path=".", ipynb=json.dumps(NOTEBOOK)))
        for output in ran["cells"][0]["outputs"]:
            print("notebook output:", output.get("data", {}).get("text/plain"))

        project.system.delete_files(paths=["examples-demo"])
        names = [entry["name"] for entry in project.system.listing(path=".")]
        print("examples-demo deleted:", "examples-demo" not in names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
