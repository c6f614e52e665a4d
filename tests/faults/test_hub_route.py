"""The hub route under the same faults as the project route: the Hub shares the caller, so
retries follow the hub table's classes, every call has its deadline, a long server-side call
gets its envelope limit, and the key never shows.

Texts are the hub bridge's (src/packages/server/api/hub-bridge.ts): the same 408/503 forms
as the project bridge, with the subject `hub.account.<account_id>.api`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

import cocalc_api
from cocalc_api import _retry
from tests.faults.harness import KEY, leaks
from tests.faults.hostile import HostileServer, respond, respond_json, stall_after_headers

pytestmark = pytest.mark.timeout(30)

ACCOUNT = "d0bdabfd-850e-4c8d-8510-f6f1ecb9a5eb"
PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"


def error_503(name: str) -> str:
    subject = f"hub.account.{ACCOUNT}.api"
    return (
        f"request -- no subscribers matching '{subject}' - callHub: subject='{subject}', "
        f"name='{name}', code='503' "
    )


def error_408(name: str) -> str:
    return f"timeout - callHub: subject='hub.account.{ACCOUNT}.api', name='{name}', code='408' "


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Which calls retry is what matters here; the spacing is test_retries.py's business.
    monkeypatch.setattr(_retry, "_wait", lambda state: 0.0)


def test_a_read_is_retried_after_the_hub_bridge_503(server: HostileServer) -> None:
    server.play(
        respond_json({"error": error_503("projects.state")}), respond_json({"state": "running"})
    )
    with cocalc_api.Hub(KEY, server.url, max_retries=1) as hub:
        assert hub.projects.state(PROJECT) == {"state": "running"}
    assert server.count("projects.state") == 2


def test_listing_projects_is_a_read_and_is_retried(server: HostileServer) -> None:
    # projects.get asks db.userQuery with null fields: a "get" query, which only reads
    # (postgres-user-queries.coffee: a query with a null leaf is not a set query).
    row = {"project_id": PROJECT, "title": "a", "last_edited": None, "created": None}
    server.play(
        respond(502, "<html>bad gateway</html>", content_type="text/html"),
        respond_json({"error": error_503("db.userQuery")}),
        respond_json({"projects": [row]}),
    )
    with cocalc_api.Hub(KEY, server.url, max_retries=2) as hub:
        assert hub.projects.get(fields=["project_id", "title"]) == [row]
    assert server.count("db.userQuery") == 3


@pytest.mark.parametrize(
    "send",
    [
        # Every field given: no null leaf, so the hub takes it as a set query, a write.
        lambda hub: hub.projects.get(fields=["project_id"], project_id=PROJECT),
        lambda hub: hub.db.query({"projects": [{"project_id": PROJECT, "title": None}]}),
    ],
    ids=["projects.get-with-no-null-field", "db.query"],
)
def test_a_user_query_that_may_write_is_never_sent_twice(
    server: HostileServer, send: Callable[[cocalc_api.Hub], object]
) -> None:
    server.play(respond(502, "<html>bad gateway</html>", content_type="text/html"))
    with (
        cocalc_api.Hub(KEY, server.url, max_retries=3) as hub,
        pytest.raises(cocalc_api.HTTPStatusError),
    ):
        send(hub)
    assert server.count("db.userQuery") == 1


def test_creating_a_project_is_never_sent_twice(server: HostileServer) -> None:
    server.play(respond(502, "<html>bad gateway</html>", content_type="text/html"))
    with (
        cocalc_api.Hub(KEY, server.url, max_retries=3) as hub,
        pytest.raises(cocalc_api.HTTPStatusError),
    ):
        hub.projects.create_project(title="once")
    assert server.count("projects.createProject") == 1  # a repeat could make two projects


def test_the_bridge_408_is_a_server_timeout(server: HostileServer) -> None:
    server.play(respond_json({"error": error_408("projects.copyPathBetweenProjects")}))
    with (
        cocalc_api.Hub(KEY, server.url) as hub,
        pytest.raises(cocalc_api.ServerTimeoutError) as raised,
    ):
        hub.projects.copy_path_between_projects(PROJECT, "a")
    assert raised.value.message == error_408("projects.copyPathBetweenProjects")
    (request,) = server.received
    assert request.payload["timeout"] == 120_000  # copying waits longer than the 15 s default


async def test_a_stalled_answer_ends_at_the_calls_deadline(server: HostileServer) -> None:
    server.play(stall_after_headers(seconds=20))
    async with cocalc_api.AsyncHub(KEY, server.url, timeout=0.5) as hub:
        # wait_for bounds the test even if the SDK did not; its own end would be a bare
        # TimeoutError, not the SDK's APITimeoutError.
        with pytest.raises(cocalc_api.APITimeoutError):
            await asyncio.wait_for(hub.system.ping(), 15)


def test_the_key_does_not_show_when_the_hub_echoes_it(server: HostileServer) -> None:
    server.play(respond_json({"error": f"Error: unknown key {KEY}"}))
    with cocalc_api.Hub(KEY, server.url) as hub:
        with pytest.raises(cocalc_api.APIError) as raised:
            hub.system.ping()
        assert not leaks(str(raised.value)) and not leaks(raised.value.message)
        assert not leaks(repr(hub))
