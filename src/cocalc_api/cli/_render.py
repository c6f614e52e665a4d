"""Results as readable text (the default) or JSON (`--json`). Nothing here knows a method: the
text form follows the shape of the value (the spec's result schemas give every shape)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _block(value: Any, indent: int) -> str:
    """A value of a `key: value` line; a text of several lines continues indented below."""
    if not isinstance(value, str):
        return _cell(value)
    lines = value.rstrip("\n").split("\n")
    return ("\n" + " " * indent).join(lines)


def to_text(value: Any) -> str:
    """A readable rendering: strings as they are, objects as `key: value` lines, lists of
    objects as a table, other lists one item a line. Empty for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        width = max((len(str(key)) for key in value), default=0)
        return "\n".join(
            f"{str(key) + ':':<{width + 1}} {_block(item, width + 2)}"
            for key, item in value.items()
        )
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        if value and all(isinstance(item, Mapping) for item in value):
            return _table(value)
        return "\n".join(_cell(item) for item in value)
    return _cell(value)


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)
    ]
    lines = ["  ".join(column.ljust(widths[i]) for i, column in enumerate(columns)).rstrip()]
    lines += [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in cells
    ]
    return "\n".join(lines)


def write(stream: TextIO, text: str) -> None:
    """`text` with a final newline unless it is empty or has one."""
    if text:
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()


def jupyter_outputs(items: Sequence[Mapping[str, Any]], out: TextIO, err: TextIO) -> bool:
    """Print Jupyter output items as a notebook shows them; True if one is an error."""
    failed = False
    for item in items:
        if "name" in item and "text" in item:  # stream (text is a list in truncation notices)
            text = item["text"]
            text = "".join(text) if isinstance(text, list) else str(text)
            (err if item["name"] == "stderr" else out).write(text)
        elif "data" in item:
            data = item["data"]
            shown = data.get("text/plain")
            if shown is None:
                shown = next((v for k, v in data.items() if k.startswith("text/")), None)
            if shown is None:
                shown = "[" + ", ".join(sorted(data)) + "]"
            write(out, "".join(shown) if isinstance(shown, list) else str(shown))
        elif "ename" in item or "traceback" in item:
            failed = True
            traceback = item.get("traceback") or [f"{item.get('ename')}: {item.get('evalue')}"]
            write(err, _ANSI.sub("", "\n".join(map(str, traceback))))
    out.flush()
    err.flush()
    return failed
