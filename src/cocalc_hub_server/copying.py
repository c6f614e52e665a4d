"""``copyPath`` between project folders, as single-user CoCalc's rsync does it
(src/packages/server/projects/control/util.ts, copyPath: ``rsync -zaxs --omit-link-times
--update``, ``--delete`` with ``delete_missing``): folders are merged, links copied as links,
times and modes kept, and a file newer at the target is left alone unless
``overwrite_newer``."""

from __future__ import annotations

import os
import shutil
import stat

from .errors import HubError


def resolve_inside(home: str, path: str, what: str) -> str:
    """``resolve(join(home, path))``, which must stay inside ``home``."""
    absolute = os.path.normpath(os.path.join(home, path))
    if not absolute.startswith(home):
        raise HubError(f"{what} path must be contained in {what} project home dir")
    return absolute


def copy_path(
    source: str, target: str, *, overwrite_newer: bool = False, delete_missing: bool = False
) -> None:
    """Copy ``source`` (a file or folder, which must exist) to ``target``."""
    if source == target:
        return
    try:
        info = os.stat(source)
    except FileNotFoundError:
        # Node's fs.stat error, as it reaches the caller.
        raise HubError(f"ENOENT: no such file or directory, stat '{source}'") from None
    if stat.S_ISDIR(info.st_mode):
        _copy_tree(source, target, overwrite_newer, delete_missing)
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.isdir(target):
        target = os.path.join(target, os.path.basename(source))
    _copy_entry(source, target, overwrite_newer)


def _copy_tree(source: str, target: str, overwrite_newer: bool, delete_missing: bool) -> None:
    os.makedirs(target, exist_ok=True)
    names = set()
    with os.scandir(source) as entries:
        for entry in entries:
            names.add(entry.name)
            there = os.path.join(target, entry.name)
            if entry.is_dir(follow_symlinks=False):
                _copy_tree(entry.path, there, overwrite_newer, delete_missing)
            elif entry.is_file(follow_symlinks=False) or entry.is_symlink():
                _copy_entry(entry.path, there, overwrite_newer)
    if delete_missing:
        for name in os.listdir(target):
            if name not in names:
                _remove(os.path.join(target, name))
    shutil.copystat(source, target, follow_symlinks=False)


def _copy_entry(source: str, target: str, overwrite_newer: bool) -> None:
    if os.path.lexists(target):
        if not overwrite_newer and os.lstat(target).st_mtime > os.lstat(source).st_mtime:
            return  # rsync --update: the receiver's newer file stays
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        else:
            os.unlink(target)
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
    else:
        shutil.copy2(source, target)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)
