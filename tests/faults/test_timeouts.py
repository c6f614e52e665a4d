"""Servers that stall, trickle or send too much: the call ends at its deadline, typed.

A call's deadline is its envelope limit (what the server is asked to stop at) plus a margin
of a quarter of it, at least 2 s and at most 10 s, so that the server's own 408 arrives first;
it covers every attempt and backoff (README, "Timeouts"). The numbers below are that table's,
written out. Tests that only need *some* stall shrink the margin's floor with monkeypatch.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest

import cocalc_api
from cocalc_api import _timeouts
from tests.faults.harness import (
    KINDS,
    NON_IDEMPOTENT,
    TARGETS,
    Call,
    Outcome,
    assert_no_secret_in_error,
    run,
)
from tests.faults.hostile import (
    Behaviour,
    HostileServer,
    reset_without_response,
    respond,
    respond_json,
    stall_after_headers,
    trickle,
    trickle_headers,
)

pytestmark = pytest.mark.timeout(30)

HUGE = 20_000_000  # characters


def side_by_side(runs: dict[str, Callable[[], Outcome]]) -> dict[str, Outcome]:
    """Run calls at once, each in its own thread, so slow limits are paid once."""
    outcomes: dict[str, Outcome] = {}

    def one(label: str) -> None:
        outcomes[label] = runs[label]()

    threads = [threading.Thread(target=one, args=(label,)) for label in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_stall_after_headers_ends_at_the_deadline(server: HostileServer) -> None:
    # timeout=1: the envelope asks for 1000 ms; the deadline is 1 s + the 2 s minimum margin.
    server.play(stall_after_headers(content_length=64))
    call = Call(TARGETS["ping"], options={"timeout": 1, "max_retries": 0})

    outcomes = side_by_side({kind: lambda kind=kind: run(kind, server.url, call) for kind in KINDS})

    for kind in KINDS:
        outcome = outcomes[kind]
        print(f"\n[{kind}] stall after headers: {outcome.error!r} after {outcome.elapsed:.2f} s")
        error = outcome.raised(cocalc_api.APITimeoutError)
        assert 3.0 - 0.3 <= outcome.elapsed < 3.0 + 1.5, (kind, outcome.elapsed)
        assert_no_secret_in_error(error)
    assert server.count() == len(KINDS)  # one each: max_retries=0
    assert [r.payload["timeout"] for r in server.received] == [1000] * len(KINDS)  # ms


# `Project(timeout=4)` against each stalling fault, retries on: the call ends by its deadline.
# ping: envelope 4 s, deadline 4 + 2 = 6 s. exec: the 4 s become the command's own limit (sent
# in args), the envelope adds a 1 s grace (5 s), and the deadline 5 + 2 = 7 s.
DEADLINE_S = {"ping": 6.0, "exec": 7.0}
STALLING: dict[str, Callable[[], Behaviour]] = {
    "stall": lambda: stall_after_headers(content_length=64),
    "trickle": lambda: trickle(b'{"now":1}' + b" " * 60, interval=0.25),  # 17 s in all
    "reset": reset_without_response,
}


def test_a_timeout_of_4_s_is_the_calls_deadline_whatever_the_server_does() -> None:
    servers = {fault: HostileServer() for fault in STALLING}
    try:
        for fault, behaviour in STALLING.items():
            servers[fault].play(behaviour())
        runs: dict[str, Callable[[], Outcome]] = {}
        for fault in STALLING:
            for method in DEADLINE_S:
                for kind in KINDS:
                    call = Call(TARGETS[method], max_retries=2)

                    def start(kind: str = kind, fault: str = fault, call: Call = call) -> Outcome:
                        return run(kind, servers[fault].url, call, client_timeout=4)

                    runs[f"{fault}/{method}/{kind}"] = start
        outcomes = side_by_side(runs)
    finally:
        for server in servers.values():
            server.close()
    for label, outcome in sorted(outcomes.items()):
        fault, method, kind = label.split("/")
        print(f"\n[{label}] {type(outcome.error).__name__} after {outcome.elapsed:.2f} s")
        assert isinstance(outcome.error, cocalc_api.APIConnectionError), (label, outcome.error)
        assert outcome.elapsed < DEADLINE_S[method] + 1.0, (label, outcome.elapsed)
        if fault != "reset":  # a stall or trickle is waited out to the deadline itself
            assert outcome.elapsed >= DEADLINE_S[method] - 0.3, (label, outcome.elapsed)
    for fault, server in servers.items():
        for request in server.received:
            if request.name == "system.exec":
                assert request.payload["args"][0]["timeout"] == 4, fault  # the command's limit
                assert request.payload["timeout"] == 5000, fault
            else:
                assert request.payload["timeout"] == 4000, fault
    # Only ping is retried; a reset fails at once, so its retries fit in the deadline.
    assert servers["reset"].count("system.ping") == 3 * len(KINDS)
    assert servers["reset"].count("system.exec") == len(KINDS)
    assert servers["stall"].count("system.ping") == len(KINDS)  # no time left to retry


def test_a_stall_shorter_than_the_deadline_is_retried(kind: str, server: HostileServer) -> None:
    # The server gives up on its own after 0.5 s (a cut body): time is left, so ping retries.
    server.play(stall_after_headers(content_length=64, seconds=0.5), respond_json({"now": 7}))

    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=1, options={"timeout": 2}))

    assert outcome.error is None, outcome.error
    assert outcome.result == {"now": 7}
    assert server.count("system.ping") == 2


@pytest.mark.parametrize("method", NON_IDEMPOTENT)
def test_stall_non_idempotent_is_sent_once(
    kind: str, server: HostileServer, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_timeouts, "MIN_MARGIN_S", 0.3)
    monkeypatch.setattr(_timeouts, "MIN_GRACE_S", 0.0)
    target = TARGETS[method]
    server.play(stall_after_headers())
    if target.timeout_param:
        call = Call(target, args={"timeout": 0.2}, max_retries=3)
    else:
        call = Call(target, max_retries=3, options={"timeout": 0.2})

    outcome = run(kind, server.url, call)

    error = outcome.raised(cocalc_api.APITimeoutError)
    assert server.count() == 1
    # exec: 0.2 s + a grace of a quarter of it; jupyter_execute: the envelope is its timeout.
    assert server.received[0].payload["timeout"] == (250 if method == "exec" else 200)
    # The deadline is 0.25 s + the 0.3 s margin; the server stalls for 60 s.
    assert outcome.elapsed < 0.55 + 2.5, outcome.elapsed
    assert_no_secret_in_error(error)


def test_trickling_body_ends_at_the_call_limit(
    kind: str, server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_timeouts, "MIN_MARGIN_S", 0.5)
    # 4 s in all (JSON allows the trailing spaces), and no read waits more than 0.2 s.
    server.play(trickle(b'{"now":12}' + b" " * 10, interval=0.2))

    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=0, options={"timeout": 0.5}))

    print(f"\n[{kind}] trickle: {outcome.result or outcome.error!r} after {outcome.elapsed:.2f} s")
    outcome.raised(cocalc_api.APITimeoutError)
    assert outcome.elapsed < 1.0 + 2.0  # the deadline, well before the trickle's end


def test_trickling_headers_end_at_the_call_limit(
    kind: str, server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_timeouts, "MIN_MARGIN_S", 0.5)
    server.play(trickle_headers(interval=0.2, count=20))  # 4 s in all, no read waits > 0.2 s

    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=0, options={"timeout": 0.5}))

    outcome.raised(cocalc_api.APITimeoutError)
    assert outcome.elapsed < 1.0 + 2.0  # the deadline, well before the trickle's end


def test_huge_exec_output_is_returned(kind: str, server: HostileServer) -> None:
    body = {"type": "blocking", "stdout": "x" * HUGE, "stderr": "", "exit_code": 0}
    server.play(respond_json(body))

    outcome = run(kind, server.url, Call(TARGETS["exec"], max_retries=3))

    assert outcome.error is None, outcome.error
    assert len(outcome.result["stdout"]) == HUGE
    assert outcome.elapsed < 10.0
    assert server.count() == 1
    print(f"\n[{kind}] 20 MB exec result in {outcome.elapsed:.2f} s")


def test_huge_non_json_body_is_a_short_validation_error(kind: str, server: HostileServer) -> None:
    server.play(respond(200, "<" * HUGE, content_type="text/html"))

    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=0))

    error = outcome.raised(cocalc_api.ResponseValidationError)
    assert len(str(error)) < 2_000
    assert outcome.elapsed < 10.0


def test_huge_error_page_is_an_http_error_with_a_short_body(
    kind: str, server: HostileServer
) -> None:
    server.play(respond(502, "<p>" * (HUGE // 3), content_type="text/html"))

    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=0))

    error = outcome.raised(cocalc_api.HTTPStatusError)
    assert error.status_code == 502
    assert len(error.body) <= 500  # the excerpt the README promises
    assert outcome.elapsed < 10.0


def test_huge_json_string_where_an_object_belongs(kind: str, server: HostileServer) -> None:
    server.play(respond(200, json.dumps("y" * HUGE)))

    started = time.monotonic()
    outcome = run(kind, server.url, Call(TARGETS["stop_jupyter_kernel"], max_retries=3))

    error = outcome.raised(cocalc_api.ResponseValidationError)
    assert len(str(error)) < 2_000
    assert time.monotonic() - started < 10.0
    assert server.count() == 1


def test_ping_success_after_stall_free_server(kind: str, server: HostileServer) -> None:
    # Control: the same server and client settings answer normally when the server behaves.
    server.play(respond_json({"now": 42}))

    outcome = run(kind, server.url, Call(TARGETS["ping"], options={"timeout": 1}))

    assert outcome.result == {"now": 42}
