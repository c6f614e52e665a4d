"""Confining path arguments to the project folder."""

from __future__ import annotations

import os

from .errors import ProjectError


def outside(path: str, root: str) -> ProjectError:
    """The refusal of a path that leads out of the project folder ``root``."""
    return ProjectError(f"path '{path}' is outside of the project folder '{root}'")


def changed(path: str) -> ProjectError:
    """The refusal of a path that another process changed while it was being resolved."""
    return ProjectError(f"path '{path}' changed while it was being resolved; try again")


def confine(root: str, path: str, base: str | None = None) -> str:
    """Resolve ``path`` (relative to ``base``, default ``root``) and refuse anything outside ``root``.

    Symlinks are resolved first, so a link pointing out of the project is refused too.
    ``root`` must already be a real absolute path.
    """
    candidate = path if os.path.isabs(path) else os.path.join(base or root, path)
    try:
        real = os.path.realpath(candidate)
    except OSError:  # a link replaced while it was being read
        raise changed(path) from None
    if os.path.commonpath([root, real]) != root:
        raise outside(path, root)
    return real
