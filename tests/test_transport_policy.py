"""What a call sends and how its answer is read, and the settings and copies of a client.

The numbers are the contract's, written out: the envelope (docs/wire-protocol.md §1: `timeout` in
milliseconds, 15 s when absent), the Basic auth header with the key as user name (§1), exec's
60 s default command limit plus a 5 s grace (README), the HTTP limit outlasting the envelope by a
quarter of it, 2 to 10 s, and the 500-character body excerpt of an HTTPStatusError. Answers come
from httpx2.MockTransport.
"""

from __future__ import annotations

import asyncio
import base64
import json
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

import cocalc_api

PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
KEY = "sk-test-key-0123456789"
ENDPOINT = "https://cocalc.com/api/conat/project"


class Recorder:
    def __init__(self, answer: Callable[[httpx2.Request], httpx2.Response] | None = None) -> None:
        self.requests: list[httpx2.Request] = []
        self.answer = answer or (lambda request: httpx2.Response(200, json={"now": 1}))

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.answer(request)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def project(
    answer: Callable[[httpx2.Request], httpx2.Response] | None = None, **settings: Any
) -> tuple[cocalc_api.Project, Recorder]:
    recorder = Recorder(answer)
    settings.setdefault("project_id", PROJECT)
    settings.setdefault("max_retries", 0)
    made = cocalc_api.Project(
        KEY,
        host="https://cocalc.com",
        http_client=httpx2.Client(transport=httpx2.MockTransport(recorder)),
        **settings,
    )
    return made, recorder


def status(code: int, body: bytes, **headers: str) -> Callable[[httpx2.Request], httpx2.Response]:
    return lambda request: httpx2.Response(code, content=body, headers=headers)


# -- the request -----------------------------------------------------------------------------


def test_a_call_is_one_post_of_the_envelope_with_basic_auth() -> None:
    made, recorder = project()
    made.ping()
    (request,) = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == ENDPOINT
    assert request.headers["authorization"] == "Basic " + base64.b64encode(
        f"{KEY}:".encode()
    ).decode("ascii")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("cocalc-sdk/")
    assert " python/" in request.headers["user-agent"]
    assert recorder.bodies == [{"name": "system.ping", "args": [{}], "project_id": PROJECT}]


def test_the_host_may_end_with_a_slash_and_have_a_path() -> None:
    recorder = Recorder()
    for host in ("https://example.org/prefix/", "https://example.org/XX"):
        made = cocalc_api.Project(
            KEY, host=host, http_client=httpx2.Client(transport=httpx2.MockTransport(recorder))
        )
        made.ping()
    assert [str(r.url) for r in recorder.requests] == [
        "https://example.org/prefix/api/conat/project",
        "https://example.org/XX/api/conat/project",
    ]
    assert "project_id" not in recorder.bodies[0]  # a project-scoped key needs none


def test_extra_headers_are_sent_and_with_options_adds_to_them() -> None:
    made, recorder = project(extra_headers={"X-A": "1"})
    made.ping()
    made.with_options(extra_headers={"X-B": "2"}).ping()
    made.with_options(extra_headers={"X-A": "3"}).ping()
    made.with_options(extra_headers=None).ping()
    seen = [(r.headers.get("x-a"), r.headers.get("x-b")) for r in recorder.requests]
    assert seen == [("1", None), ("1", "2"), ("3", None), ("1", None)]


@pytest.mark.parametrize(
    ("timeout", "envelope_ms", "read_s"),
    [
        # no timeout: no envelope field (the server's 15 s), read limit 15 + 15/4
        (None, None, 18.75),
        (4, 4000, 4 + 2),  # a margin of at least 2 s
        (2.0001, 2001, 2.0001 + 2),  # whole milliseconds, rounded up
        (60, 60000, 60 + 10),  # and at most 10 s
        (20, 20000, 25),  # a quarter in between
    ],
)
def test_the_envelope_timeout_and_the_http_limit(
    timeout: float | None, envelope_ms: int | None, read_s: float
) -> None:
    made, recorder = project(timeout=timeout)
    made.ping()
    assert recorder.bodies[0].get("timeout") == envelope_ms
    limits = recorder.requests[0].extensions["timeout"]
    assert limits["read"] == pytest.approx(read_s)
    assert limits["write"] == pytest.approx(read_s)
    assert limits["pool"] == pytest.approx(read_s)
    # "A call cannot hang" (README): not even while connecting. The connect limit is bounded,
    # and never outlasts the call's own limit.
    assert limits["connect"] is not None and 0 < limits["connect"] <= read_s


def test_exec_sends_its_limit_plus_a_grace_by_default() -> None:
    made, recorder = project(
        lambda request: httpx2.Response(
            200, json={"type": "blocking", "stdout": "", "stderr": "", "exit_code": 0}
        )
    )
    made.system.exec(command="true")
    made.system.exec(command="true", timeout=10)
    made.with_options(timeout=4).system.exec(command="true")
    first, second, third = recorder.bodies
    # 60 s (docs/wire-protocol.md §3) + 5 s: the command's own outcome comes back before the 408.
    assert first["timeout"] == 65000 and "timeout" not in first["args"][0]
    assert second["timeout"] == 12500 and second["args"][0]["timeout"] == 10
    # A client timeout becomes the command's limit, sent in its own unit (seconds).
    assert third["args"] == [{"command": "true", "timeout": 4}] and third["timeout"] == 5000


@pytest.mark.parametrize(
    ("timeout", "message"),
    [
        (0, "timeout must be bigger than 0"),  # the spec's exclusiveMinimum
        (-1, "timeout must be bigger than 0"),
        (float("inf"), "timeout must be positive"),  # no envelope can say it
        (float("nan"), "timeout must be positive"),
    ],
)
def test_a_call_limit_that_is_not_positive_is_refused(timeout: float, message: str) -> None:
    made, recorder = project(lambda request: httpx2.Response(200, json=[]))
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        made.system.jupyter_execute(input="1", kernel="python3", timeout=timeout)
    assert str(raised.value) == f"jupyter_execute(): {message}"
    assert recorder.requests == []


def test_bad_arguments_are_refused_before_sending() -> None:
    made, recorder = project()
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        made.system.exec(command=5)  # type: ignore[arg-type]
    assert str(raised.value) == "exec(): command must be string"
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        made.system.exec(command="x", env={"A": float("nan")})  # type: ignore[dict-item]
    assert str(raised.value) == "exec(): Out of range float values are not JSON compliant"
    assert recorder.requests == []


def test_the_body_is_json_as_the_reference_clients_httpx_writes_it() -> None:
    # cocalc-api 0.5.1 posts json= through httpx 0.28.1, whose encode_json (httpx/_content.py)
    # writes compact separators and leaves non-ASCII text unescaped: the same bytes here.
    import httpx

    answer = {"type": "blocking", "stdout": "", "stderr": "", "exit_code": 0}
    made, recorder = project(lambda request: httpx2.Response(200, json=answer))
    made.system.exec(command="echo", args=["café", "日本"], env={"K": "ü"})
    (request,) = recorder.requests
    written_by_httpx = httpx.Request("POST", ENDPOINT, json=json.loads(request.content)).content
    assert request.content == written_by_httpx
    assert "café".encode() in request.content


# -- the answer ------------------------------------------------------------------------------


def test_a_status_error_keeps_500_characters_of_the_body() -> None:
    body = ("<html>" + "x" * 2000).encode()
    made, _ = project(status(502, body))
    with pytest.raises(cocalc_api.HTTPStatusError) as raised:
        made.ping()
    error = raised.value
    assert str(error) == f"HTTP 502 Bad Gateway from {ENDPOINT}"
    assert error.status_code == 502
    assert error.body == ("<html>" + "x" * 2000)[:500]
    assert len(error.body) == 500
    assert error.retry_after is None


def test_the_excerpt_is_500_characters_however_many_bytes_they_take() -> None:
    body = ("\U0001f600" * 600).encode()  # 4 bytes each in UTF-8
    made, _ = project(status(502, body, **{"content-type": "text/html; charset=utf-8"}))
    with pytest.raises(cocalc_api.HTTPStatusError) as raised:
        made.ping()
    assert raised.value.body == "\U0001f600" * 500


def test_a_result_of_the_wrong_type_says_so() -> None:
    made, _ = project(lambda request: httpx2.Response(200, json=[]))
    with pytest.raises(cocalc_api.ResponseValidationError) as raised:
        made.ping()
    assert str(raised.value).endswith(": must be object")


def test_a_short_body_is_kept_whole_and_decoded_by_its_charset() -> None:
    made, _ = project(
        status(
            503, "réessayez".encode("latin-1"), **{"content-type": "text/plain; charset=latin-1"}
        )
    )
    with pytest.raises(cocalc_api.HTTPStatusError) as raised:
        made.ping()
    assert raised.value.body == "réessayez"


def test_the_key_is_cut_out_of_the_excerpt_even_across_the_cut() -> None:
    # The key starts 10 characters before the 500th: redacted before cutting, it is not
    # half-shown.
    body = ("y" * 490 + KEY + "z" * 100).encode()
    made, _ = project(status(502, body))
    with pytest.raises(cocalc_api.HTTPStatusError) as raised:
        made.ping()
    assert raised.value.body == ("y" * 490 + "<redacted>")[:500]
    assert KEY[:5] not in raised.value.body.removeprefix("y" * 490)


def test_an_answer_that_is_not_json_names_the_method_and_shows_its_start() -> None:
    made, _ = project(status(200, b"<html>oops</html>"))
    with pytest.raises(cocalc_api.ResponseValidationError) as raised:
        made.ping()
    text = str(raised.value)
    assert text.startswith("system.ping: the response is not JSON (")
    assert text.endswith("): '<html>oops</html>'")


def test_a_result_of_the_wrong_shape_names_the_field() -> None:
    made, _ = project(lambda request: httpx2.Response(200, json={"now": "soon"}))
    with pytest.raises(cocalc_api.ResponseValidationError) as raised:
        made.ping()
    text = str(raised.value)
    assert text.startswith("system.ping: the result does not match ")
    assert "now must be" in text and "data." not in text


def test_extra_fields_of_a_result_are_kept() -> None:
    made, _ = project(lambda request: httpx2.Response(200, json={"now": 3, "extra": [1]}))
    assert made.ping() == {"now": 3, "extra": [1]}


@pytest.mark.parametrize(
    ("failure", "kind", "words"),
    [
        (httpx2.ConnectError("refused"), cocalc_api.APIConnectionError, "failed: refused"),
        (httpx2.ReadTimeout("slow"), cocalc_api.APITimeoutError, "timed out talking to"),
        (httpx2.ConnectError(""), cocalc_api.APIConnectionError, "failed: ConnectError"),
    ],
)
def test_a_connection_failure_names_the_method_and_the_endpoint(
    failure: Exception, kind: type[Exception], words: str
) -> None:
    def fail(request: httpx2.Request) -> httpx2.Response:
        raise failure

    made, _ = project(fail)
    with pytest.raises(kind) as raised:
        made.ping()
    assert str(raised.value).startswith("system.ping: ")
    assert ENDPOINT in str(raised.value) and words in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_the_key_never_shows_in_a_connection_error() -> None:
    def fail(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError(f"proxy refused {KEY}")

    made, _ = project(fail)
    with pytest.raises(cocalc_api.APIConnectionError) as raised:
        made.ping()
    assert KEY not in str(raised.value) and "<redacted>" in str(raised.value)


def test_the_key_never_shows_in_an_api_error() -> None:
    made, _ = project(lambda request: httpx2.Response(200, json={"error": f"bad key {KEY}"}))
    with pytest.raises(cocalc_api.APIError) as raised:
        made.ping()
    assert raised.value.message == "bad key <redacted>"


def test_each_call_is_logged_once_at_info(caplog: pytest.LogCaptureFixture) -> None:
    made, _ = project()
    with caplog.at_level("INFO", logger="cocalc_api"):
        made.ping()
    (record,) = caplog.records
    assert record.getMessage().startswith(f"{ENDPOINT} system.ping -> ok in ")
    assert record.getMessage().endswith(" ms")


# -- settings ------------------------------------------------------------------------------


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("COCALC_API_KEY", "COCALC_HOST", "COCALC_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_settings_fall_back_to_the_environment(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv("COCALC_API_KEY", KEY)
    no_env.setenv("COCALC_HOST", "https://example.org")
    no_env.setenv("COCALC_PROJECT_ID", PROJECT)
    made = cocalc_api.Project()
    assert (made.host, made.project_id) == ("https://example.org", PROJECT)
    assert made._settings.api_key == KEY
    other = "0f2d7c3e-1111-4222-8333-444455556666"
    given = cocalc_api.Project("sk-x", host="https://other.org", project_id=other)
    assert (given._settings.api_key, given.host, given.project_id) == (
        "sk-x",
        "https://other.org",
        other,
    )
    made.close()
    given.close()


def test_without_host_the_default_is_cocalc_com(no_env: pytest.MonkeyPatch) -> None:
    made = cocalc_api.Project(KEY)
    assert (made.host, made.project_id, made.timeout, made.max_retries) == (
        "https://cocalc.com",
        None,
        None,
        2,
    )
    no_env.setenv("COCALC_HOST", "")
    no_env.setenv("COCALC_PROJECT_ID", "")
    empty = cocalc_api.Project(KEY)
    assert (empty.host, empty.project_id) == ("https://cocalc.com", None)
    made.close()
    empty.close()


@pytest.mark.parametrize("key", [None, ""])
def test_no_key_says_how_to_give_one(no_env: pytest.MonkeyPatch, key: str | None) -> None:
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        cocalc_api.Project(key)
    assert str(raised.value) == "no API key: pass api_key=... or set COCALC_API_KEY"


@pytest.mark.parametrize("key", [" sk-a", "sk-a ", "sk-a\n", "sk\r-a", "sk\0a"])
def test_a_key_with_spaces_or_line_breaks_is_refused(key: str) -> None:
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        cocalc_api.Project(key)
    assert str(raised.value) == "api_key must not contain spaces or line breaks"


def test_a_project_id_must_be_a_string() -> None:
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        cocalc_api.Project(KEY, project_id=5)  # type: ignore[arg-type]
    assert str(raised.value) == "project_id must be a string, got int"


@pytest.mark.parametrize(
    "host", ["http://example.com", "http://10.0.0.1:8080", "http://[2001:db8::1]/"]
)
def test_plain_http_off_loopback_warns(host: str) -> None:
    with pytest.warns(cocalc_api.InsecureHostWarning) as caught:
        cocalc_api.Project(KEY, host=host).close()
    (warning,) = caught
    assert str(warning.message) == (
        f"{host} is plain http: the API key would cross the network in clear text"
    )


@pytest.mark.parametrize(
    "host",
    ["https://example.com", "http://localhost:5000", "http://127.0.0.2", "http://[::1]:80"],
)
def test_https_or_loopback_does_not_warn(host: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cocalc_api.Project(KEY, host=host).close()


@pytest.mark.parametrize(
    ("host", "message"),
    [
        (5, "host must be an http(s) URL such as 'https://cocalc.com', got int"),
        (" https://a.org", "host must be an http(s) URL such as 'https://cocalc.com' without"),
        ("https://a.org\t", "without spaces, got 'https://a.org\\t'"),
        ("ftp://a.org", "host must be an http(s) URL such as 'https://cocalc.com', got 'ftp"),
        ("https://", "host must be an http(s) URL such as 'https://cocalc.com', got 'https://'"),
        ("cocalc.com", "host must be an http(s) URL"),
        (
            "https://u:p@a.org",
            "host must not contain a user name or password; pass the key as api_key",
        ),
        ("https://a.org?", "host must not have a query or fragment, got 'https://a.org?'"),
        ("https://a.org/#", "host must not have a query or fragment"),
        ("https://a.org:99999", "host has an invalid port: 'https://a.org:99999'"),
    ],
)
def test_a_bad_host_is_refused_with_what_is_wrong(host: object, message: str) -> None:
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        cocalc_api.Project(KEY, host=host)  # type: ignore[arg-type]
    text = str(raised.value)
    assert text.startswith(message) or text.endswith(message)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"timeout": float("inf")},
            "timeout must be a positive number of seconds or None, got inf",
        ),
        ({"timeout": False}, "got False"),
        ({"max_retries": True}, "max_retries must be an int >= 0, got True"),
        ({"max_retries": "2"}, "max_retries must be an int >= 0, got '2'"),
        ({"extra_headers": {"content-type": "x"}}, "extra_headers cannot set 'content-type'"),
        ({"extra_headers": {"Content-Length": "1"}}, "extra_headers cannot set 'Content-Length'"),
        ({"extra_headers": {"HOST": "x"}}, "extra_headers cannot set 'HOST': the client sets it"),
        ({"extra_headers": {1: "x"}}, "extra_headers must map str to str"),
        ({"extra_headers": {"X-A": 1}}, "extra_headers must map str to str"),
        ({"extra_headers": ["X-A"]}, "extra_headers must be a mapping of str to str, got list"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        cocalc_api.Project(KEY, **settings)
    text = str(raised.value)
    assert text.startswith(message) or text.endswith(message)


def test_numbers_are_kept_as_given() -> None:
    made = cocalc_api.Project(KEY, timeout=3, max_retries=0)
    assert made.timeout == 3.0 and isinstance(made.timeout, float)
    assert made.max_retries == 0
    made.close()


def test_the_settings_repr_hides_the_key() -> None:
    made, _ = project(timeout=3)
    text = repr(made._settings)
    assert KEY not in text and "api_key='<redacted>'" in text
    assert "timeout=3.0" in text and "max_retries=0" in text and PROJECT in text
    assert KEY not in repr(made._caller.policy)


def test_not_given_is_a_falsy_singleton() -> None:
    from cocalc_api._settings import NOT_GIVEN

    assert repr(NOT_GIVEN) == "NOT_GIVEN" and not NOT_GIVEN
    assert pickle.loads(pickle.dumps(NOT_GIVEN)) is NOT_GIVEN


# -- copies and their connections --------------------------------------------------------------


def test_with_options_keeps_every_setting_it_is_not_given() -> None:
    made, recorder = project(timeout=7, max_retries=1, extra_headers={"X-A": "1"})
    copy = made.with_options()
    assert type(copy) is cocalc_api.Project and copy is not made
    assert (copy.host, copy.project_id, copy.timeout, copy.max_retries) == (
        "https://cocalc.com",
        PROJECT,
        7.0,
        1,
    )
    assert made.with_options(max_retries=3).timeout == 7.0
    assert made.with_options(timeout=2).max_retries == 1
    assert made.with_options(timeout=None).timeout is None
    copy.ping()
    assert recorder.bodies[0]["timeout"] == 7000
    assert recorder.requests[0].headers["x-a"] == "1"
    # the original is unchanged
    assert (made.timeout, made.max_retries) == (7.0, 1)


def test_with_options_checks_what_it_is_given() -> None:
    made, _ = project()
    with pytest.raises(cocalc_api.InvalidArgumentError):
        made.with_options(timeout=-1)
    with pytest.raises(cocalc_api.InvalidArgumentError):
        made.with_options(max_retries=-1)
    with pytest.raises(cocalc_api.InvalidArgumentError):
        made.with_options(extra_headers={"Authorization": "x"})


def test_closing_a_copy_leaves_the_original_working() -> None:
    made = cocalc_api.Project(KEY, host="http://127.0.0.1:9")
    copy = made.with_options(timeout=5)
    with copy:
        pass  # its __exit__ closes what it owns: nothing
    copy.close()
    assert not made._http.is_closed
    with made:
        pass
    assert made._http.is_closed


async def test_closing_an_async_copy_leaves_the_original_working() -> None:
    made = cocalc_api.AsyncProject(KEY, host="http://127.0.0.1:9", timeout=3)
    copy = made.with_options(max_retries=0)
    assert type(copy) is cocalc_api.AsyncProject
    assert (copy.timeout, copy.max_retries) == (3.0, 0)
    async with copy:
        pass
    await copy.aclose()
    assert not made._http.is_closed
    async with made:
        pass
    assert made._http.is_closed


def test_a_client_of_the_wrong_kind_is_named() -> None:
    with pytest.raises(cocalc_api.InvalidArgumentError) as raised:
        cocalc_api.AsyncProject(KEY, http_client=httpx2.Client())  # type: ignore[arg-type]
    assert str(raised.value) == "http_client must be an httpx2.AsyncClient, got Client"


def test_an_unpickled_project_calls_with_the_same_settings() -> None:
    made = cocalc_api.Project(KEY, host="https://example.org", project_id=PROJECT, timeout=4)
    copy = pickle.loads(pickle.dumps(made))
    assert copy._settings == made._settings
    assert copy._http is not made._http and not copy._http.is_closed
    copy.close()
    assert copy._http.is_closed
    made.close()


def test_repr_names_the_class_host_and_project() -> None:
    made = cocalc_api.AsyncProject(KEY, host="https://example.org", project_id=PROJECT)
    assert repr(made) == f"AsyncProject(host='https://example.org', project_id='{PROJECT}')"
    asyncio.run(made.aclose())


# -- one deadline per call, every attempt cut to what is left -----------------------------------


class Clock:
    """The transport module's clock (monotonic and perf_counter), moved by hand."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def monotonic(self) -> float:
        return self.now

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from cocalc_api import _caller, _retry

    fake = Clock()
    monkeypatch.setattr(_caller, "time", fake)
    monkeypatch.setattr(_retry, "time", fake)  # a retry starts only before the deadline
    return fake


def _request(read: float) -> httpx2.Request:
    limits = {"connect": 10.0, "read": read, "write": read, "pool": read}
    return httpx2.Request("POST", ENDPOINT, extensions={"timeout": dict(limits)})


def test_an_attempt_keeps_its_limits_while_the_call_has_time(clock: Clock) -> None:
    from cocalc_api._caller import _limit_to

    request = _request(18.75)
    assert _limit_to(request, clock.now + 18.75) == 18.75
    assert _limit_to(request, clock.now + 18.745) == 18.745  # within 10 ms: not worth a cut
    assert request.extensions["timeout"] == {
        "connect": 10.0,
        "read": 18.75,
        "write": 18.75,
        "pool": 18.75,
    }


@pytest.mark.parametrize(("left", "connect"), [(18.7, 10.0), (5.0, 5.0), (0.5, 0.5)])
def test_a_later_attempt_gets_what_the_call_has_left(
    clock: Clock, left: float, connect: float
) -> None:
    from cocalc_api._caller import _limit_to

    request = _request(18.75)
    assert _limit_to(request, clock.now + left) == left
    assert request.extensions["timeout"] == {
        "connect": connect,
        "read": left,
        "write": left,
        "pool": left,
    }


@pytest.mark.parametrize("past", [0.0, 1.0])
def test_no_attempt_starts_at_or_past_the_deadline(clock: Clock, past: float) -> None:
    from cocalc_api._caller import _limit_to

    request = _request(18.75)
    with pytest.raises(httpx2.ReadTimeout) as raised:
        _limit_to(request, clock.now - past)
    assert str(raised.value) == "the answer did not arrive within the call's limit"
    assert raised.value.request is request


def test_each_retry_is_cut_to_the_time_left(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    import random
    import time

    def nap(seconds: float) -> None:
        clock.now += seconds

    monkeypatch.setattr(time, "sleep", nap)
    monkeypatch.setattr(random, "random", lambda: 0.0)
    seen: list[dict[str, float]] = []

    def busy(request: httpx2.Request) -> httpx2.Response:
        seen.append(dict(request.extensions["timeout"]))  # the same request is sent again
        return httpx2.Response(503, content=b"busy")

    made, _ = project(busy, timeout=4, max_retries=2)
    with pytest.raises(cocalc_api.HTTPStatusError):
        made.ping()
    # Project(timeout=4): the call ends 4 + 2 s after it starts; the waits are 0.5 and 1 s.
    assert [limits["read"] for limits in seen] == [6.0, 5.5, 4.5]
    assert seen[2] == {"connect": 4.5, "read": 4.5, "write": 4.5, "pool": 4.5}


def test_the_log_line_gives_the_time_in_milliseconds(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.now = 5000.0  # not 0, where a sum of the two readings would pass for their difference

    def slow(request: httpx2.Request) -> httpx2.Response:
        clock.now += 0.25
        return httpx2.Response(200, json={"now": 1})

    made, _ = project(slow)
    with caplog.at_level("INFO", logger="cocalc_api"):
        made.ping()
    assert [r.getMessage() for r in caplog.records] == [f"{ENDPOINT} system.ping -> ok in 250.0 ms"]


def test_a_failed_call_is_logged_with_its_exception(caplog: pytest.LogCaptureFixture) -> None:
    made, _ = project(status(200, b"{}"))
    with caplog.at_level("INFO", logger="cocalc_api"), pytest.raises(cocalc_api.CocalcError):
        made.ping()
    (record,) = caplog.records
    assert " system.ping -> ResponseValidationError in " in record.getMessage()


# -- AsyncProject: the same request, its whole exchange bounded --------------------------------


async def test_async_sends_the_same_request_with_its_headers() -> None:
    recorder = Recorder()
    made = cocalc_api.AsyncProject(
        KEY,
        host="https://cocalc.com",
        project_id=PROJECT,
        timeout=4,
        extra_headers={"X-A": "1"},
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(recorder)),
    )
    assert await made.ping() == {"now": 1}
    (request,) = recorder.requests
    assert request.headers["x-a"] == "1"
    assert recorder.bodies == [
        {"name": "system.ping", "args": [{}], "project_id": PROJECT, "timeout": 4000}
    ]
    assert request.extensions["timeout"]["read"] == 6.0


async def test_async_bounds_the_whole_exchange_by_the_deadline(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async def stall(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(5)
        return httpx2.Response(200, json={"now": 1})

    class Jump:
        """The first reading starts the call; the next one is 0.05 s before its deadline."""

        def __init__(self) -> None:
            self.readings = 0

        def monotonic(self) -> float:
            self.readings += 1
            return 100.0 if self.readings == 1 else 100.0 + 6.0 - 0.05

        def perf_counter(self) -> float:
            return 0.0

    from cocalc_api import _caller

    _caller.time = Jump()  # type: ignore[assignment]  # restored by the clock fixture
    made = cocalc_api.AsyncProject(
        KEY,
        timeout=4,
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(stall)),
    )
    with (
        caplog.at_level("INFO", logger="cocalc_api"),
        pytest.raises(cocalc_api.APITimeoutError) as raised,
    ):
        await made.ping()
    assert str(raised.value) == (
        f"system.ping: timed out talking to {ENDPOINT}: "
        "the answer did not arrive within the call's limit"
    )
    assert [r.getMessage() for r in caplog.records] == [
        f"{ENDPOINT} system.ping -> APITimeoutError in 0.0 ms"
    ]


async def test_async_names_a_connection_failure(caplog: pytest.LogCaptureFixture) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused")

    made = cocalc_api.AsyncProject(
        KEY,
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(refuse)),
    )
    with (
        caplog.at_level("INFO", logger="cocalc_api"),
        pytest.raises(cocalc_api.APIConnectionError) as raised,
    ):
        await made.ping()
    assert str(raised.value) == f"system.ping: connection to {ENDPOINT} failed: refused"
    (record,) = caplog.records
    assert record.getMessage().startswith(f"{ENDPOINT} system.ping -> APIConnectionError in ")


async def test_async_max_retries_0_tries_once_and_1_twice() -> None:
    for retries, tries in ((0, 1), (1, 2)):
        recorder = Recorder(status(502, b"x"))
        made = cocalc_api.AsyncProject(
            KEY,
            max_retries=retries,
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(recorder)),
        )
        with pytest.raises(cocalc_api.HTTPStatusError) as raised:
            await made.ping()
        assert raised.value.status_code == 502
        assert len(recorder.requests) == tries


def test_a_timeout_in_milliseconds_that_only_the_envelope_bounds() -> None:
    from cocalc_api._timeouts import CallLimits, call_limits
    from cocalc_api_generated._runtime import TimeoutPolicy

    policy = TimeoutPolicy(
        param="limit_ms",
        wire_name="limitMs",
        slot=0,
        unit_seconds=0.001,
        server_default=2000,
        enforced_by_server=False,
    )
    # 3000 ms is a 3 s envelope, and the call ends 2 s after it; 2000 ms by default.
    assert call_limits(policy, 3000, None) == CallLimits(None, 3.0, 5.0)
    assert call_limits(policy, None, None) == CallLimits(None, 2.0, 4.0)
