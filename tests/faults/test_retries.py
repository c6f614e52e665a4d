"""How retries are spaced: exponential backoff, Retry-After, max_retries, and which methods."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import cocalc_api
from cocalc_api import _retry
from tests.faults.harness import (
    BAD_GATEWAY_PAGE,
    NON_IDEMPOTENT,
    PROJECT_ID,
    TARGETS,
    Call,
    Outcome,
    _run_async,
    error_503,
    run,
)
from tests.faults.hostile import HostileServer, respond, respond_json

pytestmark = pytest.mark.timeout(30)

REPO = Path(__file__).resolve().parents[2]
SLACK_S = 0.25  # scheduling and request time on top of a computed wait
# The README: backoff starts at 0.5 s and doubles, plus up to 0.5 s of jitter.
INITIAL = 0.5


def bad_gateway() -> Any:
    return respond(502, BAD_GATEWAY_PAGE, content_type="text/html")


@pytest.mark.transport_independent  # spacing is _retry's; test_retry_safe_call retries on aiohttp
def test_backoff_grows_and_all_attempts_are_made(kind: str, server: HostileServer) -> None:
    server.play(bad_gateway())

    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=2))

    error = outcome.raised(cocalc_api.HTTPStatusError)
    assert error.status_code == 502
    times = server.times("system.ping")
    assert len(times) == 3  # max_retries + 1
    first, second = (b - a for a, b in pairwise(times))
    # Waits are INITIAL * 2**n plus up to INITIAL of jitter.
    assert INITIAL <= first < 2 * INITIAL + SLACK_S, first
    assert 2 * INITIAL <= second < 3 * INITIAL + SLACK_S, second
    assert second >= first - 0.05, (first, second)
    assert outcome.elapsed >= 3 * INITIAL


def test_with_options_max_retries_zero_sends_once(kind: str, server: HostileServer) -> None:
    server.play(bad_gateway())

    outcome = run(
        kind, server.url, Call(TARGETS["ping"], max_retries=2, options={"max_retries": 0})
    )

    outcome.raised(cocalc_api.HTTPStatusError)
    assert server.count("system.ping") == 1


@pytest.mark.parametrize(
    "method", ["test", "exec_status", "list_jupyter_kernels", "stop_jupyter_kernel"]
)
def test_other_retry_safe_methods_recover(
    kind: str, server: HostileServer, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only which methods retry matters here; the spacing is test_backoff_grows_...'s business.
    monkeypatch.setattr(_retry, "_wait", lambda state: 0.0)
    target = TARGETS[method]
    server.play(respond_json({"error": error_503(target)}), respond_json(target.valid))

    outcome = run(kind, server.url, Call(target, max_retries=1))

    assert outcome.error is None, outcome.error
    assert outcome.result == target.valid
    assert server.count(target.wire) == 2


def test_retry_after_is_honoured(kind: str, server: HostileServer) -> None:
    server.play(
        respond(503, "busy", content_type="text/plain", headers={"Retry-After": "1"}),
        respond_json({"now": 5}),
    )

    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=1))

    assert outcome.error is None, outcome.error
    assert outcome.result == {"now": 5}
    first, second = server.times("system.ping")
    assert second - first >= 1.0, second - first


def test_retry_after_longer_than_the_backoff_is_honoured(server: HostileServer) -> None:
    # The first backoff is at most 2 * INITIAL = 1 s: only Retry-After can explain a 2 s gap.
    # (Sync only, to save time: both clients share _retry._wait, and the 1 s case runs both.)
    server.play(
        respond(503, "busy", content_type="text/plain", headers={"Retry-After": "2"}),
        respond_json({"now": 5}),
    )

    outcome = run("sync", server.url, Call(TARGETS["ping"], max_retries=1))

    assert outcome.result == {"now": 5}
    first, second = server.times("system.ping")
    assert 2.0 <= second - first < 2.0 + 2 * SLACK_S, second - first


@pytest.mark.parametrize("method", NON_IDEMPOTENT)
def test_retry_after_does_not_make_a_non_idempotent_call_retry(
    kind: str, server: HostileServer, method: str
) -> None:
    server.play(
        respond(503, "busy", content_type="text/plain", headers={"Retry-After": "5"}),
        respond_json(TARGETS[method].valid),
    )

    outcome = run(kind, server.url, Call(TARGETS[method], max_retries=3))

    error = outcome.raised(cocalc_api.HTTPStatusError)
    assert (error.status_code, error.retry_after) == (503, 5.0)
    assert server.count() == 1
    assert outcome.elapsed < 5.0 - 2.0  # raised at once, without waiting the 5 s it was told


# -- SDK bugs ---------------------------------------------------------------------------------


def run_child(kind: str, host: str, retries: int, *, strict: bool, deadline: float) -> Any:
    """Ping `host` from a child process; its JSON outcome, or None if it missed the deadline."""
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.faults.child",
                kind,
                host,
                str(retries),
                str(int(strict)),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=deadline,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    assert done.stdout.strip(), done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_retry_after_beyond_the_cap_raises_at_once(kind: str, server: HostileServer) -> None:
    server.play(
        respond(503, "busy", content_type="text/plain", headers={"Retry-After": "3600"}),
        respond_json({"now": 5}),
    )
    deadline = 1.5
    if kind == "sync":
        # In a child process, so that the deadline can stop it.
        child = run_child(kind, server.url, 1, strict=False, deadline=deadline)
        outcome = None if child is None else (child.get("error"), child.get("status_code"))
    else:

        async def bounded() -> Outcome | None:
            try:
                return await asyncio.wait_for(
                    _run_async(server.url, Call(TARGETS["ping"], max_retries=1), kind=kind),
                    deadline,
                )
            except TimeoutError:
                return None

        result = asyncio.run(bounded())
        outcome = None
        if result is not None:
            error = result.raised(cocalc_api.HTTPStatusError)
            outcome = (type(error).__name__, error.status_code)

    assert outcome == ("HTTPStatusError", 503), f"still waiting after {deadline} s"
    assert server.count() == 1


def test_first_retry_under_warnings_as_errors(kind: str, server: HostileServer) -> None:
    server.play(bad_gateway(), respond_json({"now": 3}))

    child = run_child(kind, server.url, 1, strict=True, deadline=15)

    assert child is not None
    assert child.get("error") is None, child
    assert child["result"] == {"now": 3}
    assert server.count("system.ping") == 2


def test_child_process_helper_works(server: HostileServer) -> None:
    # Control for the tests above: the child pings this server and reports the result.
    server.play(respond_json({"now": 3}))

    child = run_child("async", server.url, 1, strict=True, deadline=15)

    assert child is not None and child["result"] == {"now": 3}, child
    assert server.received[0].payload["project_id"] == PROJECT_ID
