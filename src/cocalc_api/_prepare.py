"""What the client does to a call's arguments before it checks and sends them: rules of the
real service that the SDK knows, so that a valid call does not fail there. The method table
names a method's rules (`prepare`), as it names its error rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Prepare = Callable[[list[Any]], list[Any]]


def notebook_sources_as_lists(args: list[Any]) -> list[Any]:
    """A notebook whose cells have `source` as one string (valid nbformat) sent with each such
    source as its list of lines: the same notebook. The service runs `cell.source.join("")`
    (src/packages/jupyter/nbgrader/jupyter-run.ts), which fails every cell of a string source
    ("cell.source.join is not a function"). Text that is not such a notebook is sent as is."""
    options = args[0] if args else None
    if not isinstance(options, dict) or not isinstance(options.get("ipynb"), str):
        return args
    try:
        notebook = json.loads(options["ipynb"])
    except ValueError:
        return args
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return args
    changed = False
    for cell in cells:
        if isinstance(cell, dict) and isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(keepends=True)
            changed = True
    if not changed:
        return args
    ipynb = json.dumps(notebook, ensure_ascii=False)
    return [{**options, "ipynb": ipynb}, *args[1:]]


PREPARE_RULES: dict[str, Prepare] = {rule.__name__: rule for rule in (notebook_sources_as_lists,)}


def prepared(names: tuple[str, ...], args: list[Any]) -> list[Any]:
    """`args` after the named rules, in order."""
    for name in names:
        args = PREPARE_RULES[name](args)
    return args
