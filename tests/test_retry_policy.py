"""Which failures are retried, how often, and how long between tries, without waiting.

The numbers are the README's ("Differences from the reference client", Retries): retry-safe
methods only (docs/wire-protocol.md §4's S and I: safe and idempotent), by default 2 more times, on connection errors, HTTP 408/429/502/503/504 and the
project-unavailable error (`code='503'`, docs/wire-protocol.md §2); exponential backoff from 0.5 s doubling
up to 8 s, each wait plus up to 0.5 s of jitter; `Retry-After` honoured up to 60 s, a longer one
raised at once; and never a retry that would start past the call's deadline.

Answers come from httpx2.MockTransport; the waits are recorded instead of slept (tenacity sleeps
with time.sleep, or asyncio.sleep for AsyncProject), and the jitter is pinned through random.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

import cocalc_api

PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
OK = {"now": 1}
UNREACHABLE = (
    f"request -- no subscribers matching 'project.{PROJECT}.0.api.-' - callHub: "
    f"subject='project.{PROJECT}.0.api.-', name='system.ping', code='503' "
)

Reply = int | dict[str, Any] | httpx2.Response | Exception


class Script:
    """Answers the calls in order with `replies` (a status, a JSON body, a response, or an
    exception to raise); the last reply repeats."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx2.Response):
            return reply
        if isinstance(reply, int):
            return httpx2.Response(reply, content=b"<html>busy</html>")
        return httpx2.Response(200, content=json.dumps(reply).encode())

    @property
    def count(self) -> int:
        return len(self.requests)


def project(replies: list[Reply], **settings: Any) -> tuple[cocalc_api.Project, Script]:
    script = Script(replies)
    http = httpx2.Client(transport=httpx2.MockTransport(script))
    made = cocalc_api.Project(
        "sk-test", host="https://cocalc.com", project_id=PROJECT, http_client=http, **settings
    )
    return made, script


@pytest.fixture
def naps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between tries, recorded instead of slept; no jitter."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    monkeypatch.setattr(random, "random", lambda: 0.0)
    return slept


# -- which failures --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_a_transient_status_is_retried(status: int, naps: list[float]) -> None:
    made, script = project([status, status, OK])
    assert made.ping() == OK
    assert script.count == 3
    assert len(naps) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500, 501, 505])
def test_any_other_status_is_raised_at_once(status: int, naps: list[float]) -> None:
    made, script = project([status, OK])
    with pytest.raises(cocalc_api.HTTPStatusError) as raised:
        made.ping()
    assert raised.value.status_code == status
    assert script.count == 1 and naps == []


def test_by_default_a_call_is_tried_three_times(naps: list[float]) -> None:
    made, script = project([502])
    with pytest.raises(cocalc_api.HTTPStatusError):
        made.ping()
    assert script.count == 1 + 2
    assert made.max_retries == 2


def test_max_retries_is_how_many_more_tries(naps: list[float]) -> None:
    made, script = project([503], max_retries=4)
    with pytest.raises(cocalc_api.HTTPStatusError):
        made.ping()
    assert script.count == 5
    _, once = project([503], max_retries=0)
    with pytest.raises(cocalc_api.HTTPStatusError):
        _.ping()
    assert once.count == 1


def test_the_project_unavailable_error_is_retried(naps: list[float]) -> None:
    made, script = project([{"error": UNREACHABLE}, OK])
    assert made.ping() == OK
    assert script.count == 2


@pytest.mark.parametrize(
    "failure",
    [httpx2.ConnectError("refused"), httpx2.RemoteProtocolError("reset"), httpx2.ReadTimeout("t")],
    ids=["refused", "reset", "read-timeout"],
)
def test_a_connection_failure_is_retried(failure: Exception, naps: list[float]) -> None:
    made, script = project([failure, OK])
    assert made.ping() == OK
    assert script.count == 2


@pytest.mark.parametrize(
    "reply",
    [
        {"error": "must sign in as project or account"},
        {"error": "Error: unknown function 'system.ping'"},
        {"error": "Error: something else"},
        {"unexpected": True},
        httpx2.Response(200, content=b"not json"),
    ],
    ids=["auth", "unknown-function", "api-error", "bad-shape", "not-json"],
)
def test_an_answer_is_never_retried(reply: Reply, naps: list[float]) -> None:
    made, script = project([reply, OK])
    with pytest.raises(cocalc_api.CocalcError):
        made.ping()
    assert script.count == 1 and naps == []


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.system.exec(command="true"),
        lambda p: p.system.jupyter_execute(input="1", kernel="python3"),
    ],
    ids=["exec", "jupyter_execute"],
)
def test_a_method_that_is_not_retry_safe_is_sent_once(
    call: Callable[[cocalc_api.Project], Any], naps: list[float]
) -> None:
    made, script = project([502, httpx2.ConnectError("refused")])
    with pytest.raises(cocalc_api.HTTPStatusError):
        call(made)
    assert script.count == 1 and naps == []


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.ping(),
        lambda p: p.system.test(),
        lambda p: p.system.list_jupyter_kernels(),
        lambda p: p.system.exec_status("job"),
        # idempotent (docs/wire-protocol.md §4: repeating it gives the same end state)
        lambda p: p.system.stop_jupyter_kernel(pid=1),
    ],
    ids=["ping", "test", "list_jupyter_kernels", "exec_status", "stop_jupyter_kernel"],
)
def test_the_retry_safe_methods_are_retried(
    call: Callable[[cocalc_api.Project], Any], naps: list[float]
) -> None:
    made, script = project([502])
    with pytest.raises(cocalc_api.HTTPStatusError):
        call(made)
    assert script.count == 3


# -- how long between tries ------------------------------------------------------------------


def test_the_backoff_doubles_from_half_a_second_up_to_8_s(naps: list[float]) -> None:
    made, script = project([502], max_retries=7, timeout=100)
    with pytest.raises(cocalc_api.HTTPStatusError):
        made.ping()
    assert script.count == 8
    assert naps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_the_jitter_adds_up_to_half_a_second(
    naps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(random, "random", lambda: 1.0)
    made, _ = project([502], max_retries=5, timeout=100)
    with pytest.raises(cocalc_api.HTTPStatusError):
        made.ping()
    assert naps == [1.0, 1.5, 2.5, 4.5, 8.5]


def _retry_after(value: str) -> httpx2.Response:
    return httpx2.Response(503, headers={"Retry-After": value}, content=b"busy")


def test_retry_after_is_waited_for_when_longer_than_the_backoff(naps: list[float]) -> None:
    made, script = project([_retry_after("3"), _retry_after("0"), OK], timeout=100)
    assert made.ping() == OK
    assert script.count == 3
    assert naps == [3.0, 1.0]  # at least the backoff


def test_a_retry_after_of_60_s_is_waited_for(naps: list[float]) -> None:
    made, _script = project([_retry_after("60"), OK], timeout=100)
    assert made.ping() == OK
    assert naps == [60.0]


def test_a_retry_after_over_60_s_is_raised_at_once(naps: list[float]) -> None:
    made, script = project([_retry_after("61"), OK], timeout=1000)
    with pytest.raises(cocalc_api.HTTPStatusError) as raised:
        made.ping()
    assert raised.value.retry_after == 61.0
    assert script.count == 1 and naps == []


def test_retry_after_may_be_an_http_date(naps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    made, _script = project([_retry_after(when), OK], timeout=100)
    assert made.ping() == OK
    (nap,) = naps
    assert 27 <= nap <= 30


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("2.5", 2.5), ("-3", 0.0), ("soon", None), ("", None)],
)
def test_retry_after_is_read_as_seconds(
    header: str, expected: float | None, naps: list[float]
) -> None:
    made, _ = project([_retry_after(header)], max_retries=0)
    with pytest.raises(cocalc_api.HTTPStatusError) as raised:
        made.ping()
    assert raised.value.retry_after == expected


def test_a_past_http_date_means_now(naps: list[float]) -> None:
    when = email.utils.formatdate(time.time() - 3600, usegmt=True)
    made, _ = project([_retry_after(when)], max_retries=0)
    with pytest.raises(cocalc_api.HTTPStatusError) as raised:
        made.ping()
    assert raised.value.retry_after == 0.0


def test_no_retry_starts_past_the_calls_deadline(naps: list[float]) -> None:
    # Project(timeout=1): the call ends 1 s + a 2 s margin after it starts; a 5 s wait would
    # start the next try after that.
    made, script = project([_retry_after("5"), OK], timeout=1)
    with pytest.raises(cocalc_api.HTTPStatusError):
        made.ping()
    assert script.count == 1 and naps == []


def test_each_retry_is_logged_with_its_wait(
    naps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    made, _ = project([502, 502, OK])
    with caplog.at_level("INFO", logger="cocalc_api"):
        made.ping()
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert retries == [
        "retrying in 0.50 s (attempt 2 of 3) after HTTPStatusError",
        "retrying in 1.00 s (attempt 3 of 3) after HTTPStatusError",
    ]


# -- AsyncProject: the same policy ---------------------------------------------------------


@pytest.fixture
def async_naps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def nap(seconds: float, *args: Any) -> None:
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", nap)
    monkeypatch.setattr(random, "random", lambda: 0.0)
    yield slept


async def test_async_retries_the_same_way(async_naps: list[float]) -> None:
    script = Script([502, _retry_after("3"), 504, 502, OK])
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(script))
    async with cocalc_api.AsyncProject(
        "sk-test", host="https://cocalc.com", http_client=http, max_retries=4, timeout=100
    ) as made:
        assert await made.ping() == OK
    assert script.count == 5
    assert async_naps == [0.5, 3.0, 2.0, 4.0]
    await http.aclose()


async def test_async_exec_is_sent_once(async_naps: list[float]) -> None:
    script = Script([502])
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(script))
    made = cocalc_api.AsyncProject("sk-test", host="https://cocalc.com", http_client=http)
    with pytest.raises(cocalc_api.HTTPStatusError):
        await made.system.exec(command="true")
    assert script.count == 1 and async_naps == []
    await http.aclose()


async def test_async_no_retry_starts_past_the_deadline(async_naps: list[float]) -> None:
    script = Script([_retry_after("5"), OK])
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(script))
    made = cocalc_api.AsyncProject(
        "sk-test", host="https://cocalc.com", http_client=http, timeout=1
    )
    with pytest.raises(cocalc_api.HTTPStatusError):
        await made.ping()
    assert script.count == 1 and async_naps == []
    await http.aclose()
