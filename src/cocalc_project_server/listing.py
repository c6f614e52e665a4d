"""``system.listing``: one folder's entries, as src/packages/backend/get-listing.ts builds them.

The folder is opened through :mod:`.beneath` (never outside the project folder) and each entry
is looked up relative to its descriptor, so a concurrent change cannot swap in another folder.
Blocking: call it in a worker thread.
"""

from __future__ import annotations

import math
import os
import stat
from typing import Any

from .beneath import Beneath
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


def list_folder(beneath: Beneath, folder: str, hidden: bool) -> list[dict[str, Any]]:
    """The entries of ``folder`` (already joined onto HOME), unsorted, in directory order."""
    try:
        fd = beneath.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise fs_error(exc, "opendir", folder) from None
    try:
        try:
            entries = list(os.scandir(fd))
        except OSError as exc:
            raise fs_error(exc, "opendir", folder) from None
        shown = [d for d in entries if hidden or not d.name.startswith(".")]
        return [_entry(fd, folder, d, hidden) for d in shown]
    finally:
        os.close(fd)


def _entry(fd: int, folder: str, dirent: os.DirEntry[str], hidden: bool) -> dict[str, Any]:
    # Node decodes a name that is not UTF-8 with U+FFFD in place of the bad bytes, which
    # JSON.stringify takes, so get-listing.ts's "????" branch never runs; every look-up below
    # goes by that name (relative to the folder's descriptor), and so fails for such an entry
    # (ENOENT from lstat). ``path`` names it in error texts.
    name = _as_node_reads(dirent.name)
    entry: dict[str, Any] = {"name": name}
    path = f"{folder}/{name}"
    try:
        if dirent.is_symlink():
            entry["issymlink"] = True
            try:
                entry["link_target"] = _as_node_reads(os.readlink(name, dir_fd=fd))
            except OSError:
                pass  # an unreadable target is left out
        try:
            st = os.stat(name, dir_fd=fd)
        except OSError:
            st = _lstat(fd, name, path)  # a broken link (or one we may not follow)
        entry["mtime"] = _mtime_seconds(st)
        if stat.S_ISDIR(st.st_mode):
            entry["isdir"] = True
            names = _readdir(fd, name, path)
            entry["size"] = len(names) if hidden else sum(not n.startswith(".") for n in names)
        else:
            entry["size"] = st.st_size
    except _EntryError as exc:
        entry["error"] = f"Error: {exc}"
    return entry


class _EntryError(Exception):
    """A failed look-up, reported in the entry's ``error`` instead of failing the listing."""


def _lstat(fd: int, name: str, path: str) -> os.stat_result:
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError as exc:
        raise _EntryError(fs_message(exc, "lstat", path)) from None


def _readdir(fd: int, name: str, path: str) -> list[str]:
    try:
        inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
    except OSError as exc:
        raise _EntryError(fs_message(exc, "scandir", path)) from None
    try:
        return os.listdir(inner)
    except OSError as exc:
        raise _EntryError(fs_message(exc, "scandir", path)) from None
    finally:
        os.close(inner)
