"""What the xdist workers of one test run share: a folder of the run, and turns on it.

Under xdist each worker's base temporary folder is a child of the run's; without xdist the
base folder is the run's own (its parent holds earlier runs, whose leftovers must not be
taken for this run's)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this run sees, and no other run."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


@contextmanager
def turn(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """Hold the run's lock called `name` (one worker at a time) and yield the run's folder."""
    folder = run_folder(tmp_path_factory)
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder
