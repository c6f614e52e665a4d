"""Confining path arguments to the project folder."""

from __future__ import annotations

import os

from .errors import ProjectError


def confine(root: str, path: str, base: str | None = None) -> str:
    """Resolve ``path`` (relative to ``base``, default ``root``) and refuse anything outside ``root``.

    Symlinks are resolved first, so a link pointing out of the project is refused too.
    ``root`` must already be a real absolute path.
    """
    candidate = path if os.path.isabs(path) else os.path.join(base or root, path)
    real = os.path.realpath(candidate)
    if os.path.commonpath([root, real]) != root:
        raise ProjectError(f"path '{path}' is outside of the project folder '{root}'")
    return real
