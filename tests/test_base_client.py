"""The base client every API shares: copies and pickles through the constructor, and the
reference client's own surface (`call`, `api_key`, `client`).

Expected request bodies come from the reference client, cocalc-api 0.5.1 (`Project.call` in
its project.py), driven over the same mock transport.
"""

from __future__ import annotations

import json
import pickle
from types import ModuleType
from typing import Any

import httpx2
import pytest

import cocalc_api
from cocalc_api.testing import FakeAsyncProject, FakeProject, Stubs

KEY = "sk-base-client-test-key"
PROJECT = "11111111-2222-4333-8444-555555555555"
HOST = "https://cocalc.test"
PING = {"now": 1756489740133}


def _recording(answers: list[httpx2.Response]) -> tuple[list[httpx2.Request], httpx2.MockTransport]:
    sent: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return sent, httpx2.MockTransport(answer)


def _ours(answers: list[httpx2.Response], **settings: Any) -> tuple[list[httpx2.Request], Any]:
    sent, transport = _recording(answers)
    project = cocalc_api.Project(
        KEY, HOST, PROJECT, http_client=httpx2.Client(transport=transport), **settings
    )
    return sent, project


# -- copies through the constructor ----------------------------------------------------------


def test_a_fake_keeps_its_stubs_in_a_copy() -> None:
    fake = FakeProject()
    fake.stub("system.ping", PING)
    copy = fake.with_options(timeout=5)
    assert copy.ping() == PING
    assert [call.wire for call in copy.calls] == ["system.ping"]
    assert fake.calls is copy.calls  # the same stubs: what the copy answered, the fake saw
    assert copy.timeout == 5.0 and fake.timeout is None


async def test_an_async_fake_keeps_its_stubs_in_a_copy() -> None:
    fake = FakeAsyncProject()
    fake.stub("system.ping", PING)
    copy = fake.with_options(max_retries=1)
    assert await copy.ping() == PING
    assert type(copy) is FakeAsyncProject and copy.max_retries == 1
    assert len(fake.calls) == 1


def test_an_unpickled_fake_answers_from_its_stubs() -> None:
    fake = FakeProject(project_id=PROJECT, timeout=7)
    fake.stub("system.ping", PING)
    back = pickle.loads(pickle.dumps(fake))
    assert type(back) is FakeProject
    assert back.ping() == PING  # no network: a real client here would fail to connect
    assert (back.project_id, back.timeout) == (PROJECT, 7.0)


class Counted(cocalc_api.Project):
    """A subclass whose constructor counts its runs (module level, so that it pickles)."""

    made = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        Counted.made += 1
        super().__init__(*args, **kwargs)


def test_a_subclass_constructor_runs_for_every_copy() -> None:
    Counted.made = 0
    project = Counted(KEY, HOST, PROJECT)
    project.with_options(timeout=3)
    pickle.loads(pickle.dumps(project))
    assert Counted.made == 3


def test_copy_is_with_options() -> None:
    with cocalc_api.Project(KEY, HOST, PROJECT) as project:
        copy = project.copy(timeout=2, extra_headers={"X-A": "1"})
        assert (copy.timeout, copy.host, copy.project_id) == (2.0, HOST, PROJECT)
        assert copy.client is project.client  # the connections are shared
        assert type(project).with_options is type(project).copy


def test_a_copy_of_a_plain_http_host_warns_once() -> None:
    with pytest.warns(cocalc_api.InsecureHostWarning) as warned:
        project = cocalc_api.Project(KEY, "http://cocalc.test", PROJECT)
    project.with_options(timeout=1)  # checked when made; a copy adds no warning
    assert len(warned) == 1
    project.close()


def test_the_pickled_form_does_not_show_the_key() -> None:
    with cocalc_api.Project(KEY, HOST, PROJECT) as project:
        reduced = project.__reduce__()
        assert KEY not in repr(reduced)
        assert pickle.loads(pickle.dumps(project)).api_key == KEY


# -- the reference client's surface ----------------------------------------------------------


def test_api_key_host_and_client_are_the_references() -> None:
    http = httpx2.Client()
    project = cocalc_api.Project(KEY, HOST, PROJECT, http_client=http)
    assert (project.api_key, project.host, project.project_id) == (KEY, HOST, PROJECT)
    assert project.client is http
    assert KEY not in repr(project)
    http.close()


def _reference_call(
    reference: ModuleType, name: str, arguments: list[Any], timeout: int | None
) -> dict[str, Any]:
    sent, transport = _recording([httpx2.Response(200, json=PING)])
    client = reference.Project(api_key=KEY, host=HOST, project_id=PROJECT)
    client.client = httpx2.Client(
        transport=transport, auth=(KEY, ""), headers={"Content-Type": "application/json"}
    )
    client.call(name, arguments, timeout)
    body: dict[str, Any] = json.loads(sent[0].content)
    return body


@pytest.mark.parametrize(
    ("name", "arguments", "timeout"),
    [
        ("system.ping", [{}], None),
        ("system.listing", [{"path": ".", "hidden": True}], 5000),
        # exec's own limit and the envelope's, each as given: nothing is added
        ("system.exec", [{"command": "sleep 1", "timeout": 3}], None),
        ("system.exec", [{"async_get": "job-1", "async_await": True}], 20000),
        ("system.notInTheSpec", [1, "two", {"three": 3}], 1000),
    ],
)
def test_call_sends_the_references_body(
    reference_client: ModuleType, name: str, arguments: list[Any], timeout: int | None
) -> None:
    expected = _reference_call(reference_client, name, arguments, timeout)
    sent, project = _ours([httpx2.Response(200, json=PING)])
    try:
        project.call(name, arguments, timeout)
    except cocalc_api.ResponseValidationError:
        pass  # PING is not every method's result; the body is what is compared
    assert json.loads(sent[0].content) == expected


def test_call_validates_and_types_errors_as_the_typed_method() -> None:
    sent, project = _ours([httpx2.Response(200, json={"error": "Error: unknown function 'x.y'"})])
    with pytest.raises(cocalc_api.InvalidArgumentError, match="path"):
        project.call("system.listing", [{"path": 7}])
    assert sent == []  # refused before sending
    with pytest.raises(cocalc_api.UnknownFunctionError):
        project.call("x.y", [])


def test_call_checks_the_result_of_a_method_of_the_table() -> None:
    _, project = _ours([httpx2.Response(200, json={"now": "not a number"})])
    with pytest.raises(cocalc_api.ResponseValidationError, match="now"):
        project.call("system.ping", [{}])
    _, project = _ours([httpx2.Response(200, json={"anything": ["goes"]})])
    assert project.call("system.notInTheSpec", []) == {"anything": ["goes"]}


def test_call_retries_as_the_tables_class_says() -> None:
    unavailable = httpx2.Response(503, text="busy")
    sent, project = _ours([unavailable, httpx2.Response(200, json=PING)], max_retries=1)
    assert project.call("system.ping", [{}]) == PING  # ping is retry-safe
    assert len(sent) == 2
    sent, project = _ours([unavailable, httpx2.Response(200, json=PING)], max_retries=1)
    with pytest.raises(cocalc_api.HTTPStatusError):
        project.call("system.exec", [{"command": "make"}])  # exec is not
    assert len(sent) == 1
    sent, project = _ours([unavailable, httpx2.Response(200, json=PING)], max_retries=1)
    with pytest.raises(cocalc_api.HTTPStatusError):
        project.call("system.notInTheSpec", [])  # unknown: never retried
    assert len(sent) == 1


@pytest.mark.parametrize("timeout", [0, -5, True, "1000"])
def test_call_refuses_a_timeout_that_is_not_milliseconds(timeout: Any) -> None:
    sent, project = _ours([httpx2.Response(200, json=PING)])
    with pytest.raises(cocalc_api.InvalidArgumentError, match="milliseconds"):
        project.call("system.ping", [{}], timeout)
    assert sent == []


async def test_async_call_sends_the_same_body() -> None:
    stubs = Stubs().add("system.listing", [])
    fake = FakeAsyncProject(stubs)
    assert await fake.call("system.listing", [{"path": "a"}], 4000) == []
    (call,) = fake.calls
    assert call.body == {
        "name": "system.listing",
        "args": [{"path": "a"}],
        "project_id": fake.project_id,
        "timeout": 4000,
    }
