"""Deleting like ``rm -rf``, as the real project does with rimraf
(src/packages/backend/files/delete-files.ts): a missing path is fine, every path and every
entry is tried, then the first failure is raised in node's words. Blocks: call it in a worker
thread.

Each path's folder is opened through :mod:`.beneath` (so never outside the project folder)
and the entry is removed relative to that folder's descriptor, never through its own link. A
folder is walked with a loop, not recursion, so any depth works (one ``writeTextFileToProject``
call can make a folder hundreds of levels deep). The walk goes
through file descriptors: each entry is opened or removed relative to its folder's descriptor,
never through a link (``O_NOFOLLOW``), so a link swapped in during the walk cannot lead it out
of the folder. Only the current folder's descriptor is open: going back up opens ``..`` and
checks it is the folder the walk came from (same device and inode), so depth costs no
descriptors.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .beneath import Beneath
from .errors import ProjectError
from .nodeerrors import fs_error

_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# What opening a folder says when its name is now a file or a link (replaced meanwhile).
_NOT_A_FOLDER = (errno.ENOTDIR, errno.ELOOP)


def remove_all(beneath: Beneath, paths: Iterable[str]) -> None:
    """Remove every path like ``rm -rf``; every path is tried, then the first failure raised."""
    failures: list[ProjectError] = []
    for path in paths:
        try:
            _remove(beneath, path)
        except ProjectError as exc:
            failures.append(exc)
    if failures:
        raise failures[0]


def _remove(beneath: Beneath, path: str) -> None:
    try:
        with beneath.parent(path) as (folder, name):
            remove_entry(folder, name, path)
    except FileNotFoundError:
        return
    except OSError as exc:  # finding the entry's folder failed: what lstat would have said
        raise fs_error(exc, "lstat", path) from None


def remove_entry(folder: int, name: str, path: str) -> None:
    """Remove ``name`` in the folder open as ``folder`` (``path`` names it in error texts),
    everything inside first if it is a folder; missing is fine."""
    try:
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise fs_error(exc, "lstat", path) from None
    if not stat.S_ISDIR(info.st_mode):
        _ignore_missing(os.unlink, "unlink", folder, name, path)
        return
    try:
        fd = os.open(name, _FOLDER_FLAGS, dir_fd=folder)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno in _NOT_A_FOLDER:
            _ignore_missing(os.unlink, "unlink", folder, name, path)
            return
        raise fs_error(exc, "scandir", path) from None
    failure = _empty(fd, path)
    if failure is not None:
        raise failure
    _ignore_missing(os.rmdir, "rmdir", folder, name, path)


def _ignore_missing(
    remove: Callable[..., None], syscall: str, folder: int, name: str, path: str
) -> None:
    try:
        remove(name, dir_fd=folder)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise fs_error(exc, syscall, path) from None


@dataclass
class _Folder:
    """A folder on the walk's path: what is left to remove in it, and whether anything failed
    (then the folder and those above it stay, as with ``rm -rf``)."""

    path: str  # for error texts
    name: str  # its name in the folder above
    identity: tuple[int, int]  # (st_dev, st_ino), to recognise it when coming back up
    pending: list[tuple[str, bool]]  # (name, is a folder), last one next
    failed: bool = False


def _entries(fd: int) -> list[tuple[str, bool]]:
    with os.scandir(fd) as listing:
        entries = [(entry.name, _is_folder(entry)) for entry in listing]
    entries.reverse()  # popped from the end: removed in listing order
    return entries


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False  # unlinking it says what is wrong


def _identity(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _empty(fd: int, path: str) -> ProjectError | None:
    """Remove everything inside the folder open as ``fd`` (named ``path``); closes ``fd``.
    Returns the first failure, if any."""
    first: list[ProjectError] = []

    def failed(folder: _Folder, error: ProjectError) -> None:
        folder.failed = True
        if not first:
            first.append(error)

    try:
        try:
            top = _Folder(path, "", _identity(fd), _entries(fd))
        except OSError as exc:
            return fs_error(exc, "scandir", path)
        stack = [top]
        while stack:
            folder = stack[-1]
            if folder.pending:
                name, is_folder = folder.pending.pop()
                entry_path = f"{folder.path}/{name}"
                if not is_folder:
                    try:
                        os.unlink(name, dir_fd=fd)
                    except FileNotFoundError:
                        pass
                    except IsADirectoryError:
                        folder.pending.append((name, True))  # became a folder meanwhile
                    except OSError as exc:
                        failed(folder, fs_error(exc, "unlink", entry_path))
                    continue
                try:
                    inner = os.open(name, _FOLDER_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    if exc.errno in _NOT_A_FOLDER:
                        folder.pending.append((name, False))  # became a file or link meanwhile
                    else:
                        failed(folder, fs_error(exc, "scandir", entry_path))
                    continue
                try:
                    below = _Folder(entry_path, name, _identity(inner), _entries(inner))
                except OSError as exc:
                    os.close(inner)
                    failed(folder, fs_error(exc, "scandir", entry_path))
                    continue
                os.close(fd)
                fd = inner
                stack.append(below)
                continue
            stack.pop()
            if not stack:
                break
            above = stack[-1]
            try:
                outer = os.open("..", _FOLDER_FLAGS, dir_fd=fd)
            except OSError as exc:
                failed(above, fs_error(exc, "open", f"{folder.path}/.."))
                break
            if _identity(outer) != above.identity:
                os.close(outer)
                failed(above, ProjectError(f"'{folder.path}' was moved while being deleted"))
                break
            os.close(fd)
            fd = outer
            if folder.failed:
                above.failed = True
                continue
            try:
                os.rmdir(folder.name, dir_fd=fd)
            except FileNotFoundError:
                pass
            except OSError as exc:
                failed(above, fs_error(exc, "rmdir", folder.path))
    finally:
        os.close(fd)
    return first[0] if first else None
