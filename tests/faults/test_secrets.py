"""The API key (and its Basic token) never shows: not in reprs, errors, tracebacks or logs,
even when a server echoes it back. And a plain-http remote host is warned about."""

from __future__ import annotations

import asyncio
import base64
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import cocalc_api
from cocalc_api import _caller
from tests.faults.harness import (
    KEY,
    PROJECT_ID,
    TARGETS,
    TOKEN,
    Call,
    assert_no_secret_in_error,
    assert_no_secret_in_logs,
    leaks,
    run,
)
from tests.faults.hostile import Behaviour, Exchange, HostileServer, respond, respond_json

pytestmark = pytest.mark.timeout(30)


def test_reprs_hide_the_key() -> None:
    with cocalc_api.Project(KEY, host="http://127.0.0.1:9", project_id=PROJECT_ID) as project:
        clone = project.with_options(timeout=3, max_retries=0, extra_headers={"X-A": "b"})
        objects: list[Any] = [project, clone, project.system, clone.system]
        objects += [project._caller, project._caller.policy, clone._caller.policy]
        for thing in objects:
            for text in (repr(thing), str(thing)):
                assert not leaks(text), text


def test_async_reprs_hide_the_key() -> None:
    async def check() -> None:
        async with cocalc_api.AsyncProject(
            KEY, host="http://127.0.0.1:9", project_id=PROJECT_ID
        ) as project:
            clone = project.with_options(timeout=3, max_retries=0)
            objects: list[Any] = [project, clone, project.system, clone.system]
            objects += [project._caller, project._caller.policy]
            for thing in objects:
                for text in (repr(thing), str(thing)):
                    assert not leaks(text), text

    asyncio.run(check())


def _echo(make: Callable[[str, str], Behaviour]) -> Behaviour:
    """Answer with what `make` builds from the Authorization header and the key inside it."""

    def behave(exchange: Exchange) -> None:
        auth = exchange.request.headers.get("authorization", "")
        key = base64.b64decode(auth.removeprefix("Basic ")).decode()
        make(auth, key)(exchange)

    return behave


ECHOES: dict[str, tuple[Callable[[str, str], Behaviour], type[cocalc_api.CocalcError]]] = {
    "error": (
        lambda auth, key: respond_json({"error": f"Error: bad header {auth!r} (key {key!r})"}),
        cocalc_api.APIError,
    ),
    "auth-error": (
        lambda auth, key: respond_json({"error": f"Unknown authorization type '{auth}'"}),
        cocalc_api.AuthenticationError,
    ),
    "502-page": (
        lambda auth, key: respond(502, f"<pre>{auth}\n{key}</pre>", content_type="text/html"),
        cocalc_api.HTTPStatusError,
    ),
    "non-json-200": (
        lambda auth, key: respond(200, f"you sent {auth} = {key}", content_type="text/plain"),
        cocalc_api.ResponseValidationError,
    ),
    "in-a-result-field": (
        lambda auth, key: respond_json({"now": f"{auth} {key}"}),
        cocalc_api.ResponseValidationError,
    ),
}


@pytest.mark.parametrize("where", ECHOES)
def test_echoed_key_is_redacted(
    kind: str, server: HostileServer, where: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    make, expected = ECHOES[where]
    server.play(_echo(make))

    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=0))

    assert server.received[0].headers["authorization"] == f"Basic {TOKEN}"  # it was sent
    error = outcome.raised(expected)
    # Not the frame locals: read_response's `data` is the parsed body, echo included, and
    # `pytest --showlocals` or an error tracker capturing locals would show it (see report).
    assert_no_secret_in_error(error, frame_locals=False)
    assert_no_secret_in_logs(debug_logs.records)
    shown = str(error) + getattr(error, "body", "")
    if where != "in-a-result-field":  # the validator names the field, not its value
        assert "<redacted>" in shown, shown


@pytest.mark.parametrize("status", [502, 200])
def test_key_cut_by_the_excerpt_is_still_redacted(
    kind: str, server: HostileServer, status: int
) -> None:
    # The key starts 14 characters before the cut: all but its last 2 characters fit.
    padding = "." * (_caller.BODY_EXCERPT_CHARS - len(KEY) + 2)
    server.play(respond(status, padding + KEY + " and more", content_type="text/plain"))

    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=0))

    error = outcome.raised(
        cocalc_api.HTTPStatusError if status == 502 else cocalc_api.ResponseValidationError
    )
    shown = str(error) + getattr(error, "body", "")
    assert KEY[:-2] not in shown, shown[-60:]


def _warnings_of(build: Callable[[], object]) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build()
    return [w for w in caught if issubclass(w.category, cocalc_api.InsecureHostWarning)]


def _construct(kind: str, host: str) -> Callable[[], object]:
    def build() -> object:
        if kind == "sync":
            return cocalc_api.Project(KEY, host=host, project_id=PROJECT_ID)
        return cocalc_api.AsyncProject(KEY, host=host, project_id=PROJECT_ID)

    return build


@pytest.mark.transport_independent
@pytest.mark.parametrize("host", ["http://example.com", "http://10.0.0.5:8080", "http://0.0.0.0"])
def test_plain_http_remote_host_warns(kind: str, host: str) -> None:
    caught = _warnings_of(_construct(kind, host))

    assert len(caught) == 1
    assert not leaks(str(caught[0].message))


@pytest.mark.transport_independent
@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1:8080", "http://localhost:5000", "http://[::1]:80", "https://example.com"],
)
def test_loopback_or_https_does_not_warn(kind: str, host: str) -> None:
    assert _warnings_of(_construct(kind, host)) == []


@pytest.mark.transport_independent
def test_insecure_host_warning_points_at_the_caller(kind: str) -> None:
    (caught,) = _warnings_of(_construct(kind, "http://example.com"))

    assert caught.filename == __file__, f"{caught.filename}:{caught.lineno}"
