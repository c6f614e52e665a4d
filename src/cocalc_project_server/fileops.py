"""Moving files the way the real project does, with the same error texts, and the companion
files deleted or moved with a document (deleting itself is :mod:`.removal`).

The real project moves with fs-extra's ``move`` (never overwriting). CoCalc keeps hidden
companion files next to a document (chat, Jupyter and history data) that travel with it:
src/packages/util/delete-files.ts. The checks look at paths; what changes the tree (making
folders, renaming, copying, deleting) goes through descriptors of the project folder
(:mod:`.beneath`), so a concurrent change cannot make it act outside. All functions block: call
them in a worker thread.
"""

from __future__ import annotations

import errno
import os
import stat

from . import nodepath
from .beneath import Beneath
from .copying import copy_entry
from .errors import ProjectError
from .nodeerrors import fs_error
from .removal import remove_entry

# src/packages/util/delete-files.ts (JUPYTER_SYNCDB_EXTENSIONS is "sage-jupyter2").
MOVED_COMPANIONS = ("sage-chat", "sage-jupyter", "sage-jupyter2", "time-travel", "sage-history")
DELETED_COMPANIONS = (*MOVED_COMPANIONS, "syncdb")


def _companion(path: str, ext: str) -> str:
    """``dir/.name.ext`` for ``dir/name`` (CoCalc's ``hidden_meta_file``)."""
    head, tail = nodepath.path_split(path)
    return f"{head}/.{tail}.{ext}" if head else f".{tail}.{ext}"


def deleted_variations(path: str) -> list[str]:
    """``path`` and every companion that is deleted with it."""
    return [path, *(_companion(path, ext) for ext in DELETED_COMPANIONS)]


def moved_companions(src: str, dest: str) -> list[tuple[str, str]]:
    """The companions of ``src`` that exist, each with where it goes when ``src`` becomes
    ``dest``; none for a folder (move-files.ts, rename-file.ts)."""
    try:
        if stat.S_ISDIR(os.stat(src).st_mode):
            return []
    except OSError:
        return []
    pairs = [(_companion(src, ext), _companion(dest, ext)) for ext in MOVED_COMPANIONS]
    return [(s, d) for s, d in pairs if os.path.exists(s)]


# -- fs-extra's move (node-fs-extra lib/move/move.js, lib/util/stat.js, version 11) --------------


def move(beneath: Beneath, src: str, dest: str) -> None:
    """Move ``src`` to ``dest``, refusing to overwrite anything, with fs-extra's checks."""
    src_stat = _lstat(src)
    try:
        dest_stat: os.stat_result | None = os.lstat(dest)
    except FileNotFoundError:
        dest_stat = None
    except OSError as exc:
        raise fs_error(exc, "lstat", dest) from None
    src_is_dir = stat.S_ISDIR(src_stat.st_mode)
    changing_case = False
    if dest_stat is not None:
        if _identical(src_stat, dest_stat):
            src_name, dest_name = nodepath.basename(src), nodepath.basename(dest)
            if src_name == dest_name or src_name.lower() != dest_name.lower():
                raise ProjectError("Source and destination must not be the same.")
            changing_case = True  # a case-insensitive filesystem
        elif src_is_dir and not stat.S_ISDIR(dest_stat.st_mode):
            raise ProjectError(f"Cannot overwrite non-directory '{dest}' with directory '{src}'.")
        elif not src_is_dir and stat.S_ISDIR(dest_stat.st_mode):
            raise ProjectError(f"Cannot overwrite directory '{dest}' with non-directory '{src}'.")
    if not changing_case and src_is_dir and _is_subdir(src, dest):
        raise ProjectError(_into_itself(src, dest))
    _check_parents(src, src_stat, dest)
    parent = nodepath.dirname(dest)
    if parent != "/":
        try:
            beneath.make_folders(parent, shown=parent)
        except OSError as exc:
            raise fs_error(exc, "mkdir", parent) from None
    if not changing_case and os.path.exists(dest):
        raise ProjectError("dest already exists.")
    try:
        _rename(beneath, src, dest)
    except OSError as exc:
        raise fs_error(exc, "rename", src, dest) from None


def _rename(beneath: Beneath, src: str, dest: str) -> None:
    """Rename the entry ``src`` to ``dest``, each named relative to its folder's descriptor."""
    with (
        beneath.parent(src) as (src_folder, src_name),
        beneath.parent(dest) as (dest_folder, dest_name),
    ):
        try:
            os.rename(src_name, dest_name, src_dir_fd=src_folder, dst_dir_fd=dest_folder)
            return
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
        _move_across_devices(src_folder, src_name, dest_folder, dest_name, src, dest)


def _lstat(path: str) -> os.stat_result:
    try:
        return os.lstat(path)
    except OSError as exc:
        raise fs_error(exc, "lstat", path) from None


def _identical(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev)


def _is_subdir(src: str, dest: str) -> bool:
    """fs-extra's ``isSrcSubdir``: compares the resolved paths' components, nothing more."""
    src_parts = [p for p in nodepath.resolve("/", src).split("/") if p]
    dest_parts = [p for p in nodepath.resolve("/", dest).split("/") if p]
    return all(i < len(dest_parts) and dest_parts[i] == part for i, part in enumerate(src_parts))


def _into_itself(src: str, dest: str) -> str:
    return f"Cannot move '{src}' to a subdirectory of itself, '{dest}'."


def _check_parents(src: str, src_stat: os.stat_result, dest: str) -> None:
    """Refuse a ``dest`` whose parent chain (up to ``src``'s parent) is ``src`` itself."""
    src_parent = nodepath.resolve("/", nodepath.dirname(src))
    current = dest
    while True:
        parent = nodepath.resolve("/", nodepath.dirname(current))
        if parent in (src_parent, "/"):
            return
        try:
            parent_stat = os.stat(parent)
        except FileNotFoundError:
            current = parent
            continue
        except OSError as exc:
            raise fs_error(exc, "stat", parent) from None
        if _identical(src_stat, parent_stat):
            raise ProjectError(_into_itself(src, current))
        current = parent


def ensure_folder(beneath: Beneath, folder: str) -> None:
    """CoCalc's ``ensureDirectoryExists`` (backend/misc/ensure-containing-directory-exists.ts):
    nothing if ``folder`` is readable and writable, else create it (mode 0700); EEXIST is
    ignored (the write that follows fails instead)."""
    try:
        with beneath.folder(folder) as fd:
            if os.access(".", os.R_OK | os.W_OK, dir_fd=fd):
                return
    except OSError:
        pass  # missing (or no folder): made below, which says what is wrong
    try:
        beneath.make_folders(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise fs_error(exc, "mkdir", folder) from None


def _move_across_devices(
    src_folder: int, src_name: str, dest_folder: int, dest_name: str, src: str, dest: str
) -> None:
    """fs-extra's fallback when ``rename`` fails with EXDEV: copy (keeping times), then remove."""
    try:
        copy_entry(src_folder, src_name, dest_folder, dest_name)
    except OSError as exc:
        raise fs_error(exc, "copyfile", src, dest) from None
    remove_entry(src_folder, src_name, src)
