"""Copying an entry from one folder to another by their descriptors, as fs-extra's ``copy`` does
when a move crosses devices (node-fs-extra lib/copy/copy.js, version 11: links copied as links,
files with their mode and times, folders with their mode).

Every name is opened relative to its folder's descriptor with ``O_NOFOLLOW``, so a link swapped
in meanwhile is never followed out of the project. Blocking: call it in a worker thread.
"""

from __future__ import annotations

import os
import stat

from .errors import ProjectError

_READ_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CHUNK = 1024 * 1024


def copy_entry(src_folder: int, src_name: str, dest_folder: int, dest_name: str) -> None:
    """Copy ``src_name`` (in ``src_folder``) to the new name ``dest_name`` (in ``dest_folder``).

    Recursive, holding two descriptors per level of folders; raises ``OSError`` (and fs-extra's
    texts for what it cannot copy)."""
    info = os.stat(src_name, dir_fd=src_folder, follow_symlinks=False)
    if stat.S_ISLNK(info.st_mode):
        os.symlink(os.readlink(src_name, dir_fd=src_folder), dest_name, dir_fd=dest_folder)
    elif stat.S_ISDIR(info.st_mode):
        _copy_folder(src_folder, src_name, dest_folder, dest_name, info)
    elif stat.S_ISREG(info.st_mode):
        _copy_file(src_folder, src_name, dest_folder, dest_name)
    elif stat.S_ISSOCK(info.st_mode):
        raise ProjectError(f"Cannot copy a socket file: {dest_name}")
    elif stat.S_ISFIFO(info.st_mode):
        raise ProjectError(f"Cannot copy a FIFO pipe: {dest_name}")
    else:
        raise ProjectError(f"Unknown file: {src_name}")


def _copy_folder(
    src_folder: int, src_name: str, dest_folder: int, dest_name: str, info: os.stat_result
) -> None:
    source = os.open(src_name, _READ_FOLDER, dir_fd=src_folder)
    try:
        opened = os.fstat(source)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise ProjectError(f"'{src_name}' was replaced while being copied")
        os.mkdir(dest_name, dir_fd=dest_folder)
        copy = os.open(dest_name, _READ_FOLDER, dir_fd=dest_folder)
        try:
            for name in os.listdir(source):
                copy_entry(source, name, copy, name)
            os.chmod(copy, stat.S_IMODE(info.st_mode))
        finally:
            os.close(copy)
    finally:
        os.close(source)


def _copy_file(src_folder: int, src_name: str, dest_folder: int, dest_name: str) -> None:
    # O_NONBLOCK: a pipe swapped in meanwhile must not block the open.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    source = os.open(src_name, flags, dir_fd=src_folder)
    try:
        info = os.fstat(source)
        if not stat.S_ISREG(info.st_mode):
            raise ProjectError(f"'{src_name}' was replaced while being copied")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        copy = os.open(dest_name, flags, 0o600, dir_fd=dest_folder)
        try:
            while chunk := os.read(source, _CHUNK):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(copy, view) :]
            os.chmod(copy, stat.S_IMODE(info.st_mode))
            os.utime(copy, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(copy)
    finally:
        os.close(source)
