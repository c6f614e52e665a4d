"""Parity of `cocalc_api.Hub` with the reference client's Hub (cocalc-api 0.5.1): every one of
its methods exists on ours with the same parameters in the same order and the same defaults,
and sends the same request body.

The expected bodies are what the reference client itself sends for the same call, over the
same mock transport. Where we differ on purpose (an envelope limit on calls that wait for slow
work) `deliberate_differences` says so, as the README does.
"""

from __future__ import annotations

import inspect
import json
from types import ModuleType
from typing import Any

import httpx2
import pytest

import cocalc_api
from cocalc_api_generated.hub.specs import BY_WIRE

KEY = "sk-hub-parity-key"
HOST = "https://cocalc.com"
PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
OTHER = "0b4df293-d518-45d0-8a3c-4281e501b85e"
ACCOUNT = "d0bdabfd-850e-4c8d-8510-f6f1ecb9a5eb"

# One call of every reference Hub method: (namespace, method, args, kwargs).
CALLS: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = [
    ("system", "ping", (), {}),
    ("system", "test", (), {}),
    ("system", "get_names", ([ACCOUNT, OTHER],), {}),
    ("system", "user_search", ("ada",), {}),
    ("projects", "get", (), {}),
    ("projects", "get", (["title"],), {"all": True, "project_id": PROJECT}),
    ("projects", "copy_path_between_projects", (PROJECT, "a.txt"), {"target_path": "b.txt"}),
    ("projects", "create_project", (), {"title": "T", "description": "D"}),
    ("projects", "add_collaborator", (PROJECT, ACCOUNT), {}),
    ("projects", "add_collaborator", ([PROJECT, OTHER], [ACCOUNT, ACCOUNT]), {}),
    ("projects", "remove_collaborator", (PROJECT, ACCOUNT), {}),
    ("projects", "start", (PROJECT,), {}),
    ("projects", "stop", (PROJECT,), {}),
    ("projects", "delete", (PROJECT,), {}),
    ("projects", "touch", (PROJECT,), {}),
    ("projects", "state", (PROJECT,), {}),
    ("projects", "status", (PROJECT,), {}),
    ("jupyter", "kernels", (), {}),
    ("jupyter", "kernels", (), {"project_id": PROJECT}),
    ("jupyter", "execute", ("2+3", "python3"), {}),
    (
        "jupyter",
        "execute",
        ("a", "python3"),
        {"history": ["a=1"], "project_id": PROJECT, "timeout": 5},
    ),
    ("sync", "history", (PROJECT, "a.md"), {}),
    ("db", "query", ({"accounts": {"first_name": None}},), {}),
    ("messages", "send", ("s", "b", [ACCOUNT]), {}),
    ("messages", "send", ("s", "b", [ACCOUNT], 7), {}),
    ("messages", "get", (), {}),
    ("messages", "get", (10, 5, "sent"), {}),
    ("org", "get_all", (), {}),
    ("org", "create", ("acme",), {}),
    ("org", "get", ("acme",), {}),
    ("org", "set", ("acme",), {"title": "Acme", "link": "https://acme.test"}),
    ("org", "add_admin", ("acme", ACCOUNT), {}),
    ("org", "add_user", ("acme", "ada@acme.test"), {}),
    ("org", "create_user", ("acme", "bo@acme.test"), {"firstName": "Bo", "lastName": "B"}),
    ("org", "create_token", ("bo@acme.test",), {}),
    ("org", "expire_token", ("tok",), {}),
    ("org", "get_users", ("acme",), {}),
    ("org", "remove_user", ("acme", ACCOUNT), {}),
    ("org", "remove_admin", ("acme", ACCOUNT), {}),
    ("org", "message", ("acme", "s", "b"), {}),
]

# Calls that wait on slow work get an envelope limit the reference does not send (the server's
# default of 15 s is shorter than starting a project or copying files may take).
SLOW = {
    "projects.start": 60000,
    "projects.copyPathBetweenProjects": 120000,
    "projects.createProject": 60000,
}


def deliberate_differences(ours: dict[str, Any]) -> dict[str, Any]:
    """Our request body turned into the one the reference client sends for the same call."""
    theirs = dict(ours)
    if ours["name"] in SLOW:
        assert theirs.pop("timeout") == SLOW[ours["name"]]
    return theirs


def _answer(body: dict[str, Any]) -> Any:
    if body["name"] == "db.userQuery":
        return {table: [] for table in body["args"][0]["query"]}
    return None


def _reference_namespaces(reference: ModuleType) -> dict[str, type]:
    hub = reference.hub.Hub
    return {
        name: type(getattr(hub(api_key=KEY), name))
        for name, member in vars(hub).items()
        if isinstance(member, property)
    }


def _reference_body(
    reference: ModuleType, call: tuple[str, str, tuple[Any, ...], dict[str, Any]]
) -> dict[str, Any]:
    namespace, method, args, kwargs = call
    sent: list[dict[str, Any]] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        sent.append(body)
        return httpx2.Response(200, content=json.dumps(_answer(body)).encode())

    hub = reference.Hub(api_key=KEY, host=HOST)
    hub.client = httpx2.Client(
        transport=httpx2.MockTransport(handle),
        auth=(KEY, ""),
        headers={"Content-Type": "application/json"},
    )
    getattr(getattr(hub, namespace), method)(*args, **kwargs)
    (body,) = sent
    return body


def _our_body(call: tuple[str, str, tuple[Any, ...], dict[str, Any]]) -> dict[str, Any]:
    namespace, method, args, kwargs = call
    sent: list[dict[str, Any]] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        sent.append(body)
        return httpx2.Response(200, content=json.dumps(_answer(body)).encode())

    hub = cocalc_api.Hub(
        KEY, HOST, http_client=httpx2.Client(transport=httpx2.MockTransport(handle))
    )
    try:
        getattr(getattr(hub, namespace), method)(*args, **kwargs)
    except cocalc_api.ResponseValidationError:
        pass  # the canned answer is not every method's result; the body is what is compared
    (body,) = sent
    return body


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c[0]}.{c[1]}")
def test_the_body_is_the_references(reference_client: ModuleType, call: Any) -> None:
    assert deliberate_differences(_our_body(call)) == _reference_body(reference_client, call)


def test_every_reference_method_is_called_above(reference_client: ModuleType) -> None:
    theirs = {
        f"{namespace}.{name}"
        for namespace, cls in _reference_namespaces(reference_client).items()
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }
    assert len(theirs) == 34  # the reference's count (its hub.py and org.py)
    assert {f"{c[0]}.{c[1]}" for c in CALLS} == theirs


def test_signatures_are_the_references(reference_client: ModuleType) -> None:
    hub = cocalc_api.Hub(KEY, HOST)
    for namespace, cls in _reference_namespaces(reference_client).items():
        for name, member in vars(cls).items():
            if not callable(member) or name.startswith("_"):
                continue
            theirs = inspect.signature(member).parameters
            ours = inspect.signature(getattr(type(getattr(hub, namespace)), name)).parameters
            assert [(p.name, p.default) for p in ours.values()] == [
                (p.name, p.default) for p in theirs.values()
            ], f"{namespace}.{name}"
    hub.close()


def test_the_hub_table_holds_the_references_wire_names(reference_client: ModuleType) -> None:
    # Every wire name the reference sends is in our spec (projects.get sends db.userQuery).
    sent = {_reference_body(reference_client, call)["name"] for call in CALLS}
    assert sent <= set(BY_WIRE)
    assert len(sent) == 33


def test_the_constructor_and_import_paths_are_the_references(reference_client: ModuleType) -> None:
    theirs = inspect.signature(reference_client.Hub).parameters
    ours = list(inspect.signature(cocalc_api.Hub).parameters)
    assert ours[: len(theirs)] == list(theirs)  # api_key, host, then our keyword-only settings
    from cocalc_api.org import Organizations

    hub = cocalc_api.Hub(KEY, HOST)
    assert isinstance(hub.org, Organizations)
    assert (hub.api_key, hub.host) == (KEY, HOST)
    assert isinstance(hub.client, httpx2.Client)
    hub.close()
