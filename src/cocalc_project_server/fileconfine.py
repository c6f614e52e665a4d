"""Keeping the file methods inside the project folder (a deliberate difference from the real
project, which may touch anything its user may).

Two kinds of path: one the method follows (reads or writes what a link points to) is checked
with every link resolved (:func:`.paths.confine`, used directly); one the method acts on itself (delete, move,
rename a link, not its target) is checked with only its parent folders resolved.
"""

from __future__ import annotations

import os

from . import nodepath
from .errors import ProjectError


def _outside(path: str, root: str) -> ProjectError:
    return ProjectError(f"path '{path}' is outside of the project folder '{root}'")


def confine_entry(root: str, path: str, *, may_be_root: bool = False) -> None:
    """Refuse acting on the entry ``path`` (absolute) unless it lies inside ``root``.

    The project folder itself is refused too unless ``may_be_root``: deleting it would wipe
    the whole project.
    """
    resolved = nodepath.resolve("/", path)
    parent, name = os.path.split(resolved)
    real = os.path.join(os.path.realpath(parent), name) if name else os.path.realpath(parent)
    if os.path.commonpath([root, real]) != root:
        raise _outside(path, root)
    if real == root and not may_be_root:
        raise ProjectError(f"refusing to act on the project folder '{root}' itself")


def confine_lexical(root: str, path: str) -> None:
    """Refuse ``path`` (absolute) if, with ``.`` and ``..`` resolved but links kept, it is
    outside ``root`` (for methods that only compute a name, such as ``system.realpath``)."""
    resolved = nodepath.resolve("/", path)
    if os.path.commonpath([root, resolved]) != root:
        raise _outside(path, root)
