"""Files in a project folder (the `root` fixture), for the in-process tests of the server's
file code."""

from __future__ import annotations

from pathlib import Path


def fill(path: Path, text: str = "x") -> Path:
    """A file with `text`, its folders made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
