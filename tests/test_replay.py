"""Contract tests: every scenario replayed from its cassette, through Project and AsyncProject.

Each test checks the request the client sent (path, auth header, JSON body with the timeout
in ms) and the typed result or exception.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx2
import pytest
import vcr

import cocalc_api
from tests.hub_scenarios import HUB_SCENARIOS
from tests.scenarios import SCENARIOS, Scenario

ALL_SCENARIOS = SCENARIOS + HUB_SCENARIOS

HOST = "https://cocalc.com"


def _expected_auth(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def _target(project: Any, scenario: Scenario) -> Any:
    for part in scenario.call.split("."):
        project = getattr(project, part)
    return project


def _check_request(sent: list[httpx2.Request], scenario: Scenario) -> None:
    (request,) = sent
    assert request.method == "POST"
    assert request.url.path == scenario.path
    assert request.headers["authorization"] == _expected_auth(scenario.api_key)
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == scenario.body


def _check_outcome(scenario: Scenario, outcome: Any, error: BaseException | None) -> None:
    if scenario.error is not None:
        assert isinstance(error, scenario.error), f"expected {scenario.error}, got {error!r}"
        for name, value in scenario.error_attrs.items():
            assert getattr(error, name) == value, name
        if scenario.facts is not None:
            scenario.facts(error)
        assert scenario.api_key not in str(error)
        return
    assert error is None, f"unexpected {error!r}"
    if scenario.documented:
        assert outcome == scenario.result
    else:
        assert scenario.facts is not None, "a recorded result needs facts to check it by"
        scenario.facts(outcome)


def client_for(scenario: Scenario, http: httpx2.Client | httpx2.AsyncClient) -> Any:
    """The client a scenario's call is made on: a Project, or a Hub (no project_id)."""
    settings: dict[str, Any] = {
        "api_key": scenario.api_key,
        "host": HOST,
        "max_retries": 0,  # one exchange per cassette; retries are tested on a live socket
        "http_client": http,
    }
    is_async = isinstance(http, httpx2.AsyncClient)
    if scenario.api == "hub":
        return (cocalc_api.AsyncHub if is_async else cocalc_api.Hub)(**settings)
    project = cocalc_api.AsyncProject if is_async else cocalc_api.Project
    return project(project_id=scenario.project_id, **settings)


@pytest.mark.parametrize("scenario", ALL_SCENARIOS, ids=lambda s: s.name)
def test_sync(scenario: Scenario, player: vcr.VCR) -> None:
    replay_sync(scenario, player)


def replay_sync(scenario: Scenario, player: vcr.VCR) -> None:
    """Play the scenario's cassette to a sync Project; check the request and the outcome."""
    sent: list[httpx2.Request] = []
    client = httpx2.Client(event_hooks={"request": [sent.append]})
    project = client_for(scenario, client)
    outcome, error = None, None
    with player.use_cassette(str(scenario.cassette)) as cassette:
        try:
            outcome = _target(project, scenario)(*scenario.args, **scenario.kwargs)
        except cocalc_api.CocalcError as raised:
            error = raised
        assert cassette.all_played
    _check_request(sent, scenario)
    _check_outcome(scenario, outcome, error)


@pytest.mark.parametrize("scenario", ALL_SCENARIOS, ids=lambda s: s.name)
async def test_async(scenario: Scenario, player: vcr.VCR) -> None:
    sent: list[httpx2.Request] = []

    async def capture(request: httpx2.Request) -> None:
        sent.append(request)

    client = httpx2.AsyncClient(event_hooks={"request": [capture]})
    project = client_for(scenario, client)
    outcome, error = None, None
    with player.use_cassette(str(scenario.cassette)) as cassette:
        try:
            outcome = await _target(project, scenario)(*scenario.args, **scenario.kwargs)
        except cocalc_api.CocalcError as raised:
            error = raised
        assert cassette.all_played
    await client.aclose()
    _check_request(sent, scenario)
    _check_outcome(scenario, outcome, error)


def test_rpc_errors_are_runtime_errors() -> None:
    """Existing `except RuntimeError` code written for the reference client keeps working."""
    for cls in (
        cocalc_api.APIError,
        cocalc_api.AuthenticationError,
        cocalc_api.ExecError,
        cocalc_api.ServerTimeoutError,
        cocalc_api.ProjectUnavailableError,
        cocalc_api.UnknownFunctionError,
    ):
        assert issubclass(cls, RuntimeError) and issubclass(cls, cocalc_api.CocalcError)
