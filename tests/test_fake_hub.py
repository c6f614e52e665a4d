"""FakeHub: a Hub answered by stubs that the hub API's spec checks (docs/testing.md)."""

from __future__ import annotations

import pickle

import pytest

import cocalc_api
from cocalc_api.testing import FakeAsyncHub, FakeHub, StubError, Stubs

PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
OWNER = "d0bdabfd-850e-4c8d-8510-f6f1ecb9a5eb"


def test_a_stub_answers_and_the_call_is_recorded() -> None:
    fake = FakeHub()
    fake.stub("projects.create_project", PROJECT)
    assert fake.projects.create_project(title="T") == PROJECT
    (call,) = fake.calls
    assert (call.method, call.wire, call.args) == (
        "projects.create_project",
        "projects.createProject",
        [{"title": "T"}],
    )


def test_a_stub_the_hub_spec_does_not_allow_is_refused() -> None:
    fake = FakeHub()
    # getNames answers a dict by account id (src/packages/server/accounts/get-name.ts), not
    # the list the reference client's annotation says.
    with pytest.raises(StubError, match="system.get_names"):
        fake.stub("system.get_names", ["Ada Lovelace"])
    with pytest.raises(cocalc_api.InvalidArgumentError, match="no method 'system.exec'"):
        fake.stub("system.exec", {})  # a project API method, not the hub's


def test_projects_get_is_answered_by_a_query_stub() -> None:
    fake = FakeHub()
    older = {"project_id": "a", "title": "old", "last_edited": "2026-01-01T00:00:00.000Z"}
    newer = {"project_id": "b", "title": "new", "last_edited": "2026-02-01T00:00:00.000Z"}
    fake.stub("db.query", {"projects": [older, newer]})
    assert [p["project_id"] for p in fake.projects.get()] == ["b", "a"]  # newest first
    assert fake.calls[0].wire == "db.userQuery"


def test_refusals_are_typed_as_the_real_ones_are() -> None:
    fake = FakeHub()
    fake.stub_error("projects.start", "Error: must be collaborator on project to start it")
    with pytest.raises(cocalc_api.PermissionDeniedError, match="add_collaborator"):
        fake.projects.start(PROJECT)


def test_copies_and_pickles_answer_from_the_same_stubs() -> None:
    fake = FakeHub()
    fake.stub("projects.state", {"state": "running"})
    assert fake.with_options(timeout=3).projects.state(PROJECT) == {"state": "running"}
    back = pickle.loads(pickle.dumps(fake))
    assert type(back) is FakeHub and back.projects.state(PROJECT) == {"state": "running"}


def test_project_stubs_cannot_answer_a_hub() -> None:
    with pytest.raises(cocalc_api.InvalidArgumentError, match="Stubs"):
        FakeHub(Stubs())


async def test_the_async_fake() -> None:
    fake = FakeAsyncHub()
    fake.stub("projects.add_collaborator", {"project_id": [PROJECT]})
    assert await fake.projects.add_collaborator(PROJECT, OWNER) == {"project_id": [PROJECT]}
    assert fake.calls[0].args == [{"opts": {"project_id": PROJECT, "account_id": OWNER}}]
