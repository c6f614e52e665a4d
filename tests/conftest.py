"""Shared fixtures: the cassette player, and a loader for the reference client."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import vcr

from tests.cassette_config import make_vcr

REPO = Path(__file__).resolve().parent.parent
REFERENCE_CLIENT_DIR = REPO / ".venv" / "reference-client" / "cocalc_api"


@pytest.fixture(scope="session")
def player() -> vcr.VCR:
    """Replays cassettes; a request that matches no recorded one fails the test."""
    return make_vcr("none")


@pytest.fixture(scope="session")
def reference_client() -> ModuleType:
    """cocalc-api 0.5.1 (installed apart by the Makefile), imported as `cocalc_api_reference`."""
    name = "cocalc_api_reference"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name,
        REFERENCE_CLIENT_DIR / "__init__.py",
        submodule_search_locations=[str(REFERENCE_CLIENT_DIR)],
    )
    assert spec is not None and spec.loader is not None, f"missing {REFERENCE_CLIENT_DIR}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
