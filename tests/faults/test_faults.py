"""Each fault a proxy or a broken service can produce ends in its typed exception, in time.

Retry-safe calls (ping) are retried exactly for the faults that trying again may fix; the
non-idempotent calls (exec, jupyter_execute) are sent exactly once under
every fault, whatever max_retries says. Every error is also checked for the API key.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

import cocalc_api
from tests.faults.harness import (
    BAD_GATEWAY_PAGE,
    NON_IDEMPOTENT,
    TARGETS,
    Call,
    Target,
    assert_no_secret_in_error,
    assert_no_secret_in_logs,
    error_408,
    error_503,
    run,
)
from tests.faults.hostile import (
    Behaviour,
    HostileServer,
    close_without_response,
    raw,
    reset_mid_body,
    reset_without_response,
    respond,
    respond_json,
)

pytestmark = pytest.mark.timeout(30)


@dataclass(frozen=True)
class Fault:
    id: str
    behaviour: Callable[[Target], Behaviour]
    expected: type[cocalc_api.CocalcError]
    retried: bool  # for a retry-safe method
    status: int | None = None


FAULTS = [
    Fault(
        "html-502",
        lambda t: respond(502, BAD_GATEWAY_PAGE, content_type="text/html"),
        cocalc_api.HTTPStatusError,
        retried=True,
        status=502,
    ),
    Fault(
        "json-500",
        lambda t: respond_json({"error": "internal"}, status=500),
        cocalc_api.HTTPStatusError,
        retried=False,
        status=500,
    ),
    Fault(
        "text-504",
        lambda t: respond(504, "upstream timed out", content_type="text/plain"),
        cocalc_api.HTTPStatusError,
        retried=True,
        status=504,
    ),
    Fault(
        "truncated-json",
        lambda t: respond(200, json.dumps(t.valid)[:-3]),
        cocalc_api.ResponseValidationError,
        retried=False,
    ),
    Fault(
        "non-json-text",
        lambda t: respond(200, "Service temporarily overloaded", content_type="text/plain"),
        cocalc_api.ResponseValidationError,
        retried=False,
    ),
    Fault(
        "non-utf8-bytes",
        lambda t: respond(200, b"\xff\xfe\x00\x81garbage\xc3"),
        cocalc_api.ResponseValidationError,
        retried=False,
    ),
    Fault(
        "empty-200",
        lambda t: respond(200, b""),
        cocalc_api.ResponseValidationError,
        retried=False,
    ),
    Fault(
        "wrong-types",
        lambda t: respond_json(t.wrong_types),
        cocalc_api.ResponseValidationError,
        retried=False,
    ),
    Fault(
        "missing-fields",
        lambda t: respond_json(t.missing_fields),
        cocalc_api.ResponseValidationError,
        retried=False,
    ),
    Fault(
        "null",
        lambda t: respond(200, "null"),
        cocalc_api.ResponseValidationError,
        retried=False,
    ),
    Fault(
        "error-not-a-string",
        lambda t: respond_json({"error": {"code": 17}}),
        cocalc_api.ResponseValidationError,
        retried=False,
    ),
    Fault(
        "error-408-text",
        lambda t: respond_json({"error": error_408(t)}),
        cocalc_api.ServerTimeoutError,
        retried=False,
    ),
    Fault(
        "error-503-text",
        lambda t: respond_json({"error": error_503(t)}),
        cocalc_api.ProjectUnavailableError,
        retried=True,
    ),
    Fault(
        "reset-mid-body",
        lambda t: reset_mid_body(json.dumps(t.valid).encode() + b" " * 4000),
        cocalc_api.APIConnectionError,
        retried=True,
    ),
    Fault(
        "reset-without-response",
        lambda t: reset_without_response(),
        cocalc_api.APIConnectionError,
        retried=True,
    ),
    Fault(
        "close-without-response",
        lambda t: close_without_response(),
        cocalc_api.APIConnectionError,
        retried=True,
    ),
    Fault(
        "garbage-status-line",
        lambda t: raw(b"SPDY/9 banana\r\n\r\n"),
        cocalc_api.APIConnectionError,
        retried=True,
    ),
    Fault(
        "bad-gzip",
        lambda t: respond(200, b"\x1f\x8b not gzip at all", headers={"Content-Encoding": "gzip"}),
        cocalc_api.APIConnectionError,
        retried=True,
    ),
    Fault(
        # httpx's gzip decoder hands back what it could inflate ("{"), without an error.
        "truncated-gzip",
        lambda t: respond(
            200,
            gzip.compress(json.dumps(t.valid).encode())[:12],
            headers={"Content-Encoding": "gzip"},
        ),
        cocalc_api.ResponseValidationError,
        retried=False,
    ),
]
FAULT_IDS = [fault.id for fault in FAULTS]
RETRIES = 1
# Wall-clock limits: a call that is not retried answers at once; one retry waits for one backoff
# (0.5 s + up to 0.5 s of jitter).
FAST_S = 3.0
ONE_RETRY_S = 4.0


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_retry_safe_call(
    kind: str, server: HostileServer, fault: Fault, debug_logs: pytest.LogCaptureFixture
) -> None:
    target = TARGETS["ping"]
    server.play(fault.behaviour(target))

    outcome = run(kind, server.url, Call(target, max_retries=RETRIES))

    error = outcome.raised(fault.expected)
    assert type(error) is fault.expected, repr(error)  # e.g. a reset is not a timeout
    expected_requests = RETRIES + 1 if fault.retried else 1
    if fault.status is not None:
        assert isinstance(error, cocalc_api.HTTPStatusError)
        assert error.status_code == fault.status
    assert server.count("system.ping") == expected_requests, server.counts()
    if expected_requests > 1:
        first, second = server.times("system.ping")
        assert second - first >= 0.5  # it backed off (README: from 0.5 s) before trying again
        assert outcome.elapsed < ONE_RETRY_S, outcome.elapsed
    else:
        assert outcome.elapsed < FAST_S, outcome.elapsed
    assert_no_secret_in_error(error)
    assert_no_secret_in_logs(debug_logs.records)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("method", NON_IDEMPOTENT)
def test_non_idempotent_call_is_sent_once(
    kind: str, server: HostileServer, method: str, fault: Fault
) -> None:
    target = TARGETS[method]
    server.play(fault.behaviour(target))

    # Even a caller asking for retries must not get a side effect twice.
    outcome = run(kind, server.url, Call(target, max_retries=3))

    error = outcome.raised(fault.expected)
    assert type(error) is fault.expected, repr(error)
    if fault.status is not None:
        assert isinstance(error, cocalc_api.HTTPStatusError)
        assert error.status_code == fault.status
    assert server.count() == 1, server.counts()
    assert server.count(target.wire) == 1
    assert outcome.elapsed < FAST_S, outcome.elapsed
    assert_no_secret_in_error(error)


@pytest.mark.parametrize("method", [*NON_IDEMPOTENT, "ping"])
def test_extra_fields_are_accepted_and_kept(kind: str, server: HostileServer, method: str) -> None:
    target = TARGETS[method]
    if isinstance(target.valid, list):
        body: object = [{**target.valid[0], "extra": {"a": 1}}]
    else:
        body = {**target.valid, "extra": {"a": 1}}
    server.play(respond_json(body))

    outcome = run(kind, server.url, Call(target))

    assert outcome.error is None, outcome.error
    assert outcome.result == body
    assert server.count() == 1


def test_ping_extra_fields_exact(kind: str, server: HostileServer) -> None:
    server.play(respond_json({"now": 1, "extra": {"a": 1}}))

    outcome = run(kind, server.url, Call(TARGETS["ping"]))

    assert outcome.result == {"now": 1, "extra": {"a": 1}}


def test_connection_refused_is_quick(kind: str, refused_url: str) -> None:
    outcome = run(kind, refused_url, Call(TARGETS["ping"], max_retries=0))

    error = outcome.raised(cocalc_api.APIConnectionError)
    assert not isinstance(error, cocalc_api.APITimeoutError)
    assert outcome.elapsed < FAST_S, outcome.elapsed
    assert_no_secret_in_error(error)


def test_connection_refused_with_retries_is_bounded_by_the_backoff(
    kind: str, refused_url: str
) -> None:
    outcome = run(kind, refused_url, Call(TARGETS["ping"], max_retries=1))

    outcome.raised(cocalc_api.APIConnectionError)
    # One backoff: 0.5 s plus up to 0.5 s of jitter (the ceiling only catches a hang).
    assert 0.5 <= outcome.elapsed < ONE_RETRY_S, outcome.elapsed


@pytest.mark.parametrize("method", NON_IDEMPOTENT)
def test_connection_refused_non_idempotent_is_quick(
    kind: str, refused_url: str, method: str
) -> None:
    outcome = run(kind, refused_url, Call(TARGETS[method], max_retries=3))

    error = outcome.raised(cocalc_api.APIConnectionError)
    # Three retries would back off for at least 0.5 + 1 + 2 s.
    assert outcome.elapsed < FAST_S, outcome.elapsed
    assert_no_secret_in_error(error)


def test_redirect_is_not_followed(
    kind: str, server: HostileServer, other_server: HostileServer
) -> None:
    # Following it would hand the key to another host.
    server.play(respond(307, "", headers={"Location": other_server.url + "/api/conat/project"}))

    outcome = run(kind, server.url, Call(TARGETS["ping"]))

    error = outcome.raised(cocalc_api.HTTPStatusError)
    assert error.status_code == 307
    assert server.count() == 1
    assert other_server.count() == 0
