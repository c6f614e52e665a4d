"""A pytest plugin for `make mutate` only: a test's time includes the set-up of its fixtures.

mutmut estimates each test's time from its call phase alone and stops a mutant's run at 3
times its tests' estimate. A test whose fixture does the work (tests/test_generator.py
generates the package in a module fixture, ~4 s, then compares it in 0.03 s) would then time
out under every mutant, a timeout counting as killed whether or not the test would have
failed. Adding the set-up to the call's duration, as it is measured, makes the estimate the
time the test really takes when run alone.
"""

from __future__ import annotations

from typing import Any

import pytest

_SETUP = pytest.StashKey[float]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> None:
    if call.when == "setup":
        item.stash[_SETUP] = call.duration
    elif call.when == "call":
        call.duration += item.stash.get(_SETUP, 0.0)
