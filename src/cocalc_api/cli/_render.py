"""Results as readable text (the default) or JSON (`--json`). Nothing here knows a method: the
text form follows the shape of the value (the spec's result schemas give every shape)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
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


# Images a notebook shows, and the extension a saved one gets; the binary ones arrive in
# base64 (Jupyter's message spec), SVG as text.
IMAGES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/svg+xml": "svg"}


class Images:
    """Where the images of Jupyter outputs go: saved in `folder`, or, without one, named as
    left out (a terminal cannot show them)."""

    def __init__(self, folder: Path | None) -> None:
        self._folder = folder
        self._count = 0

    def take(self, mime: str, value: Any, err: TextIO) -> None:
        self._count += 1
        if self._folder is None:
            write(err, f"[{mime} output left out: --save-images DIR saves it]")
            return
        text = "".join(value) if isinstance(value, list) else str(value)
        data = text.encode() if mime == "image/svg+xml" else base64.b64decode(text)
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"output-{self._count}.{IMAGES[mime]}"
        path.write_bytes(data)
        write(err, f"[{mime} output saved to {path}]")


def jupyter_outputs(
    items: Sequence[Mapping[str, Any]], out: TextIO, err: TextIO, images: Images | None = None
) -> bool:
    """Print Jupyter output items as a notebook shows them; True if one is an error. Images
    go to `images` (each one said on `err`)."""
    images = images or Images(None)
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
            pictures = [mime for mime in IMAGES if mime in data]
            if shown is None and not pictures:
                shown = "[" + ", ".join(sorted(data)) + "]"
            if shown is not None:
                write(out, "".join(shown) if isinstance(shown, list) else str(shown))
            out.flush()
            for mime in pictures:
                images.take(mime, data[mime], err)
        elif "ename" in item or "traceback" in item:
            failed = True
            traceback = item.get("traceback") or [f"{item.get('ename')}: {item.get('evalue')}"]
            write(err, _ANSI.sub("", "\n".join(map(str, traceback))))
    out.flush()
    err.flush()
    return failed
