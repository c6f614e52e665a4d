"""``system.listing``: one folder's entries, as src/packages/backend/get-listing.ts builds them.

Blocking: call it in a worker thread.
"""

from __future__ import annotations

import math
import os
import stat
from typing import Any

from .nodeerrors import fs_error, fs_message


def _as_node_reads(text: str) -> str:
    """A name as node decodes it from the filesystem: invalid bytes become U+FFFD."""
    return os.fsencode(text).decode("utf-8", "replace")


def _mtime_seconds(st: os.stat_result) -> float:
    """``stats.mtime.valueOf() / 1000`` as node computes it: mtimeMs is ``sec * 1e3 + nsec /
    1e6`` in doubles, and the Date is made of ``Math.round`` of it (lib/internal/fs/utils.js,
    msFromTimeSpec and dateFromMs)."""
    ms = st.st_mtime_ns // 1_000_000_000 * 1e3 + st.st_mtime_ns % 1_000_000_000 / 1e6
    whole = math.floor(ms)
    if ms - whole >= 0.5:  # Math.round: halves go up
        whole += 1
    seconds = whole / 1000
    # JSON.stringify writes a whole number without ".0"; an int is what json writes that way.
    return int(seconds) if seconds.is_integer() else seconds


def list_folder(folder: str, hidden: bool) -> list[dict[str, Any]]:
    """The entries of ``folder`` (already joined onto HOME), unsorted, in directory order."""
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        raise fs_error(exc, "opendir", folder) from None
    return [_entry(folder, d, hidden) for d in entries if hidden or not d.name.startswith(".")]


def _entry(folder: str, dirent: os.DirEntry[str], hidden: bool) -> dict[str, Any]:
    # Node decodes a name that is not UTF-8 with U+FFFD in place of the bad bytes, which
    # JSON.stringify takes, so get-listing.ts's "????" branch never runs; every look-up below
    # goes by that name, and so fails for such an entry (ENOENT from lstat).
    entry: dict[str, Any] = {"name": _as_node_reads(dirent.name)}
    path = f"{folder}/{entry['name']}"
    try:
        if dirent.is_symlink():
            entry["issymlink"] = True
            try:
                entry["link_target"] = _as_node_reads(os.readlink(path))
            except OSError:
                pass  # an unreadable target is left out
        try:
            st = os.stat(path)
        except OSError:
            st = _lstat(path)  # a broken link (or one we may not follow)
        entry["mtime"] = _mtime_seconds(st)
        if stat.S_ISDIR(st.st_mode):
            entry["isdir"] = True
            names = _readdir(path)
            entry["size"] = len(names) if hidden else sum(not n.startswith(".") for n in names)
        else:
            entry["size"] = st.st_size
    except _EntryError as exc:
        entry["error"] = f"Error: {exc}"
    return entry


class _EntryError(Exception):
    """A failed look-up, reported in the entry's ``error`` instead of failing the listing."""


def _lstat(path: str) -> os.stat_result:
    try:
        return os.lstat(path)
    except OSError as exc:
        raise _EntryError(fs_message(exc, "lstat", path)) from None


def _readdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError as exc:
        raise _EntryError(fs_message(exc, "scandir", path)) from None
