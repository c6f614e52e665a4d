"""`make record`: re-record the cassettes of the recorded scenarios.

Against the local server by default (started here on a free loopback port), or against a
real host when COCALC_API_KEY (and optionally COCALC_HOST, COCALC_PROJECT_ID) is set. The key
is scrubbed from what is written, and the real project id replaced by the fixed one the
replay tests use. Documented scenarios are left alone unless `--documented` is given, which
rebuilds them from their documented responses through an in-memory transport.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

import httpx2

import cocalc_api
from cocalc_api.testing import scrub_hooks
from tests.cassette_config import annotate, make_vcr
from tests.hub_scenarios import DOCUMENTED_HUB, RECORDED_HUB
from tests.scenarios import DOCUMENTED, PROJECT, RECORDED_SCENARIOS, Scenario


def invoke(project: Any, scenario: Scenario) -> Any:
    target: Any = project
    for part in scenario.call.split("."):
        target = getattr(target, part)
    return target(*scenario.args, **scenario.kwargs)


def _record(scenario: Scenario, project: Any, secrets: list[str], pid: str) -> None:
    # The scrubbing users get for their own recordings (cocalc_api.testing), with our fixed id.
    before_request, before_response = scrub_hooks(secrets, pid, placeholder=PROJECT)
    scenario.cassette.unlink(missing_ok=True)
    recorder = make_vcr(
        "all", before_record_request=before_request, before_record_response=before_response
    )
    with recorder.use_cassette(str(scenario.cassette)):
        try:
            outcome: Any = invoke(project, scenario)
        except cocalc_api.CocalcError as error:
            outcome = f"{type(error).__name__}: {error}"
    annotate(scenario.cassette, scenario.source)
    print(f"recorded {scenario.cassette.name}: {str(outcome)[:100]}")


def record_documented() -> None:
    for scenario in DOCUMENTED + DOCUMENTED_HUB:
        response = scenario.response

        def answer(request: httpx2.Request, response: Any = response) -> httpx2.Response:
            # json=None would send no body at all; a void method's answer is `null`.
            body = json.dumps(response).encode()
            return httpx2.Response(200, content=body, headers={"content-type": "application/json"})

        client = httpx2.Client(transport=httpx2.MockTransport(answer))
        settings: dict[str, Any] = {
            "api_key": scenario.api_key,
            "host": "https://cocalc.com",
            "http_client": client,
            "max_retries": 0,  # one exchange per cassette
        }
        if scenario.api == "hub":
            with cocalc_api.Hub(**settings) as hub:
                _record(scenario, hub, [], PROJECT)
        else:
            with cocalc_api.Project(project_id=scenario.project_id, **settings) as project:
                _record(scenario, project, [], PROJECT)


@contextlib.contextmanager
def _target() -> Iterator[tuple[str, str, str]]:
    key = os.environ.get("COCALC_API_KEY")
    if key:
        project_id = os.environ.get("COCALC_PROJECT_ID", PROJECT)
        yield os.environ.get("COCALC_HOST", "https://cocalc.com"), key, project_id
        return
    from cocalc_project_server.testing import running_server

    with running_server(project_id=PROJECT) as server:
        yield server.url, server.api_key, server.project_id


def record_live() -> None:
    with _target() as (url, key, project_id):
        print(f"recording against {url}")
        for scenario in RECORDED_SCENARIOS:
            with cocalc_api.Project(api_key=key, host=url, project_id=project_id) as project:
                _record(scenario, project, [key], project_id)


def record_hub() -> None:
    """The recorded hub scenarios, against a local hub on a fresh site (one account)."""
    from cocalc_hub_server.testing import running_hub

    with running_hub() as site, cocalc_api.Hub(site.api_key, site.url) as hub:
        print(f"recording against the local hub at {site.url}")
        for scenario in RECORDED_HUB:
            _record(scenario, hub, [site.api_key], PROJECT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make record", description=__doc__)
    parser.add_argument(
        "--documented", action="store_true", help="rebuild the documented cassettes instead"
    )
    parser.add_argument(
        "--hub", action="store_true", help="record the hub's scenarios against a local hub"
    )
    options = parser.parse_args(argv)
    if options.documented:
        record_documented()
    elif options.hub:
        record_hub()
    else:
        record_live()
    return 0


if __name__ == "__main__":
    sys.exit(main())
