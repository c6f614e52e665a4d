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
from tests.scenarios import DOCUMENTED, PROJECT, RECORDED_SCENARIOS, Scenario


def invoke(project: cocalc_api.Project, scenario: Scenario) -> Any:
    target: Any = project
    for part in scenario.call.split("."):
        target = getattr(target, part)
    return target(*scenario.args, **scenario.kwargs)


def _record(scenario: Scenario, project: cocalc_api.Project, secrets: list[str], pid: str) -> None:
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
    for scenario in DOCUMENTED:
        response = scenario.response

        def answer(request: httpx2.Request, response: Any = response) -> httpx2.Response:
            # json=None would send no body at all; a void method's answer is `null`.
            body = json.dumps(response).encode()
            return httpx2.Response(200, content=body, headers={"content-type": "application/json"})

        client = httpx2.Client(transport=httpx2.MockTransport(answer))
        with cocalc_api.Project(
            api_key=scenario.api_key,
            project_id=scenario.project_id,
            host="https://cocalc.com",
            http_client=client,
            max_retries=0,  # one exchange per cassette
        ) as project:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make record", description=__doc__)
    parser.add_argument(
        "--documented", action="store_true", help="rebuild the documented cassettes instead"
    )
    options = parser.parse_args(argv)
    if options.documented:
        record_documented()
    else:
        record_live()
    return 0


if __name__ == "__main__":
    sys.exit(main())
