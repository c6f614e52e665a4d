"""Waiting for what no event announces (a process ending, a file appearing, a kernel listed):
poll, with a deadline that only guards against hangs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import psutil  # type: ignore[import-untyped, unused-ignore]

CEILING_S = 30.0
POLL_INTERVAL_S = 0.02

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], what: str, timeout: float = CEILING_S) -> T:
    """The first truthy value of ``predicate()``; past ``timeout`` an AssertionError that
    names ``what`` was waited for."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL_INTERVAL_S)
    return value


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def wait_gone(*pids: int, timeout: float = CEILING_S) -> None:
    """Wait until none of ``pids`` runs."""
    wait_for(lambda: not any(alive(pid) for pid in pids), f"processes {pids} to end", timeout)
