"""Keeping the file methods inside the project folder (a deliberate difference from the real
project, which may touch anything its user may): the checks made before a method runs.

Two kinds of path: one the method follows (reads or writes what a link points to) is checked
with every link resolved (:func:`.paths.confine`, used directly); one the method acts on itself
(delete, move, rename a link, not its target) is checked with only its parent folders resolved.
These checks give a refusal its text; a change made after them is caught by the operation
itself, which opens its path through :mod:`.beneath` and so never leaves the folder.
"""

from __future__ import annotations

import os

from . import nodepath
from .errors import ProjectError
from .paths import changed, outside


def confine_entry(root: str, path: str, *, may_be_root: bool = False) -> None:
    """Refuse acting on the entry ``path`` (absolute) unless it lies inside ``root``.

    The project folder itself is refused too unless ``may_be_root``: deleting it would wipe
    the whole project.
    """
    resolved = nodepath.resolve("/", path)
    parent, name = os.path.split(resolved)
    try:
        real_parent = os.path.realpath(parent)
    except OSError:  # a link replaced while it was being read
        raise changed(path) from None
    real = os.path.join(real_parent, name) if name else real_parent
    if os.path.commonpath([root, real]) != root:
        raise outside(path, root)
    if real == root and not may_be_root:
        raise ProjectError(f"refusing to act on the project folder '{root}' itself")


def confine_lexical(root: str, path: str) -> None:
    """Refuse ``path`` (absolute) if, with ``.`` and ``..`` resolved but links kept, it is
    outside ``root`` (for methods that only compute a name, such as ``system.realpath``)."""
    resolved = nodepath.resolve("/", path)
    if os.path.commonpath([root, resolved]) != root:
        raise outside(path, root)
