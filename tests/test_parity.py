"""Parity with the reference client, cocalc-api 0.5.1: same calls, same request bodies.

The two clients send byte-for-byte the same JSON except where we differ on purpose (README,
"Differences from the reference client"); `deliberate_differences` below is that list.
"""

from __future__ import annotations

import inspect
import json
from types import ModuleType
from typing import Any

import httpx2
import pytest

import cocalc_api
from tests.scenarios import DOCUMENTED, Scenario

HOST = "https://cocalc.com"


def deliberate_differences(ours: dict[str, Any]) -> dict[str, Any]:
    """Our request body turned into the one the reference client sends for the same call."""
    theirs = dict(ours)
    if ours["name"] == "system.exec":
        # We always send an envelope limit that outlasts the command's own limit (default
        # 60 s) by 5 s; the reference sends exactly the command's limit, or none (15 s).
        seconds = ours["args"][0].get("timeout")
        theirs.pop("timeout", None)
        if seconds is not None:
            theirs["timeout"] = 1000 * seconds
    return theirs


def _reference_supports(reference: ModuleType, scenario: Scenario) -> bool:
    parts = scenario.call.split(".")
    if parts[0] != "system":  # project.ping() is the page's, not the reference client's
        return False
    method = getattr(reference.project.System, parts[1], None)
    if method is None:
        return False
    accepted = inspect.signature(method).parameters
    return not scenario.args and all(name in accepted for name in scenario.kwargs)


def _load_reference() -> ModuleType:
    # What the reference_client fixture loads, at collection: only the calls it can make are
    # parametrized (test_parity_covers_every_reference_method checks none is left out).
    from tests.conftest import load_reference_client

    return load_reference_client()


COMPARABLE = [s for s in DOCUMENTED if _reference_supports(_load_reference(), s)]


def _call_reference(reference: ModuleType, scenario: Scenario) -> tuple[dict[str, Any], Any]:
    sent: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(200, json=scenario.response)

    client = reference.Project(api_key=scenario.api_key, host=HOST, project_id=scenario.project_id)
    client.client = httpx2.Client(
        transport=httpx2.MockTransport(answer),
        auth=(scenario.api_key, ""),
        headers={"Content-Type": "application/json"},
    )
    method = getattr(client.system, scenario.call.split(".")[1])
    try:
        outcome: Any = method(**scenario.kwargs)
    except RuntimeError as error:
        outcome = error
    (request,) = sent
    assert request.headers["authorization"].startswith("Basic ")
    return {"body": json.loads(request.content), "auth": request.headers["authorization"]}, outcome


def _call_ours(scenario: Scenario) -> tuple[dict[str, Any], Any]:
    sent: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(200, json=scenario.response)

    project = cocalc_api.Project(
        api_key=scenario.api_key,
        host=HOST,
        project_id=scenario.project_id,
        max_retries=0,  # the reference client never retries (a deliberate difference)
        http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
    )
    target: Any = project
    for part in scenario.call.split("."):
        target = getattr(target, part)
    try:
        outcome: Any = target(*scenario.args, **scenario.kwargs)
    except cocalc_api.CocalcError as error:
        outcome = error
    (request,) = sent
    return {"body": json.loads(request.content), "auth": request.headers["authorization"]}, outcome


@pytest.mark.parametrize("scenario", COMPARABLE, ids=lambda s: s.name)
def test_same_request_and_outcome(scenario: Scenario, reference_client: ModuleType) -> None:
    theirs, their_outcome = _call_reference(reference_client, scenario)
    ours, our_outcome = _call_ours(scenario)
    assert theirs["auth"] == ours["auth"]
    assert theirs["body"] == deliberate_differences(ours["body"])
    if isinstance(their_outcome, RuntimeError):
        # The server's text is the same; where it leaves the user guessing, our str() explains
        # it (README, "Differences from the reference client").
        assert isinstance(our_outcome, cocalc_api.APIError)
        assert our_outcome.message == str(their_outcome)
    else:
        assert our_outcome == their_outcome


def test_parity_covers_every_reference_method(reference_client: ModuleType) -> None:
    covered = {s.call.split(".")[1] for s in DOCUMENTED if _reference_supports(reference_client, s)}
    public = {
        name for name, _ in inspect.getmembers(reference_client.project.System, inspect.isfunction)
    } - {"__init__"}
    assert public == covered
