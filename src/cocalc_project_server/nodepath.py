"""Node.js path arithmetic (POSIX), so paths come out exactly as the real project computes them.

``posixpath`` differs in ways the wire shows: node keeps a trailing slash (``join("/h", "a/")`` is
``/h/a/``), turns a leading ``//`` into ``/``, and its ``dirname``/``basename`` ignore trailing
slashes. Only the functions the file methods need, plus CoCalc's ``path_split`` and
``filename_extension``.
"""

from __future__ import annotations

import re

_EXTENSION = re.compile(r"(?:\.([^.]+))?$")  # filename_extension_re


def _collapse(path: str, allow_above_root: bool) -> str:
    """The segments of ``path`` with ``.``, ``..`` and empty ones resolved, joined by ``/``."""
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif allow_above_root:
                parts.append("..")
            continue
        parts.append(segment)
    return "/".join(parts)


def normalize(path: str) -> str:
    """node's ``path.normalize``."""
    if not path:
        return "."
    absolute = path.startswith("/")
    trailing = path.endswith("/")
    body = _collapse(path, not absolute)
    if not body:
        if absolute:
            return "/"
        return "./" if trailing else "."
    if trailing:
        body += "/"
    return "/" + body if absolute else body


def join(*parts: str) -> str:
    """node's ``path.join``: an absolute later part does NOT restart the path."""
    joined = "/".join(part for part in parts if part)
    return normalize(joined) if joined else "."


def resolve(cwd: str, path: str) -> str:
    """node's ``path.resolve(path)`` for a process whose working folder is ``cwd``."""
    full = path if path.startswith("/") else f"{cwd}/{path}"
    return "/" + _collapse(full, False)


def dirname(path: str) -> str:
    """node's ``path.dirname`` (trailing slashes do not count)."""
    if not path:
        return "."
    rooted = path.startswith("/")
    end = -1
    seen_name = False
    for i in range(len(path) - 1, 0, -1):
        if path[i] == "/":
            if seen_name:
                end = i
                break
        else:
            seen_name = True
    if end == -1:
        return "/" if rooted else "."
    if rooted and end == 1:
        return "//"
    return path[:end]


def basename(path: str) -> str:
    """node's ``path.basename`` (trailing slashes do not count)."""
    stripped = path.rstrip("/")
    return stripped.rsplit("/", 1)[-1] if stripped else ""


def path_split(path: str) -> tuple[str, str]:
    """CoCalc's ``path_split`` (src/packages/util/misc.ts): ``(head, tail)`` around the last ``/``."""
    head, _, tail = path.rpartition("/")
    return head, tail


def filename_extension(path: str) -> str:
    """CoCalc's ``filename_extension`` (src/packages/util/misc.ts): what follows the last dot
    of the file name, or ""."""
    match = _EXTENSION.search(path_split(path)[1])
    return (match.group(1) if match else None) or ""
