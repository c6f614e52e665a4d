"""``os`` as one module of the server sees it, with some calls replaced, for in-process tests of
failures and races: the rest of the process (the path walk of :mod:`.beneath` included) keeps
the real calls."""

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest


class ReplacedOs:
    def __init__(self, **replaced: Any) -> None:
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def replace(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str, call: Callable[..., Any]
) -> None:
    """``module``'s ``os.<name>`` becomes ``call`` (earlier replacements stay)."""
    current = module.os
    replaced = dict(vars(current)) if isinstance(current, ReplacedOs) else {}
    monkeypatch.setattr(module, "os", ReplacedOs(**{**replaced, name: call}))


def failing(
    monkeypatch: pytest.MonkeyPatch,
    module: ModuleType,
    name: str,
    when: Callable[..., bool],
    code: int,
) -> None:
    """``module``'s ``os.<name>`` fails with errno ``code`` whenever ``when(*args)``."""
    real = getattr(os, name)

    def call(*args: Any, **kwargs: Any) -> Any:
        if when(*args):
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    replace(monkeypatch, module, name, call)
