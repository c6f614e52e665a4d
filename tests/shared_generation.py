"""One `python -m generator` per spec for the whole test run, shared by the xdist workers.

Several tests need the package generated from the same edited spec (the made-up methods of
tests/test_generator.py); generating it takes seconds of CPU, so the first worker to ask
generates it under a lock in the run's shared temporary folder and the others reuse it. The
output is only read by the tests.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.shared_run import turn
from tests.test_generator import run_generator


def shared_generated(tmp_path_factory: pytest.TempPathFactory, spec: dict[str, Any]) -> Path:
    """The folder holding `cocalc_api_generated` generated from `spec` (once per run)."""
    text = yaml.safe_dump(spec, sort_keys=False)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    with turn(tmp_path_factory, f"generated-{digest}") as shared:
        root = shared / f"generated-{digest}"
        done = root / "done"
        if not done.exists():
            root.mkdir(exist_ok=True)
            spec_path = root / "project-api.yaml"
            spec_path.write_text(text, encoding="utf-8")
            result = run_generator("--spec", str(spec_path), "--out", str(root / "out"))
            assert result.returncode == 0, result.stdout + result.stderr
            done.touch()
    return root / "out"
