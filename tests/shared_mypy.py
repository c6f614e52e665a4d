"""One mypy cache for the type-checking tests of a run, taken in turns by the xdist workers.

Before the few lines a test checks, mypy analyses the standard library, httpx2, attrs and
the SDK: 8 s of CPU with an empty cache, under 1 s with a warm one. Each test's run used to
start from an empty cache of its own; they now take turns on one (mypy's incremental cache
checks each module's source again, so a module that differs in a run, such as a package
generated from an edited spec, is analysed afresh)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.shared_run import turn

REPO = Path(__file__).resolve().parent.parent


def run_mypy(
    tmp_path_factory: pytest.TempPathFactory,
    *files: str | Path,
    cwd: Path = REPO,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` over `files` (with the repository's config), on the run's cache."""
    with turn(tmp_path_factory, "mypy") as folder:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--config-file",
                str(REPO / "pyproject.toml"),
                "--strict",
                "--cache-dir",
                str(folder / "mypy-cache"),
                "--no-color-output",
                "--no-pretty",
                *map(str, files),
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
