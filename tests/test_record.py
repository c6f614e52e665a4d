"""`make record` end to end: the real recorder against a real server, then the replay tests.

The server plays a "real host" (COCALC_API_KEY/COCALC_HOST/COCALC_PROJECT_ID set), with a
key and project id of its own, so the test sees both scrubbed from what is written.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import vcr

from cocalc_project_server.testing import running_server
from tests import record, scenarios
from tests.scenarios import PROJECT, RECORDED_SCENARIOS, Scenario
from tests.test_replay import replay_sync

KEY = f"sk-record-{uuid.uuid4().hex}"
REAL_PROJECT = str(uuid.uuid4())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("cassettes")
    with (
        running_server(api_key=KEY, project_id=REAL_PROJECT) as server,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(scenarios, "CASSETTES", out)
        patch.setenv("COCALC_API_KEY", KEY)
        patch.setenv("COCALC_HOST", server.url)
        patch.setenv("COCALC_PROJECT_ID", REAL_PROJECT)
        assert record.main([]) == 0
    yield out


def test_every_recorded_scenario_is_written_with_its_source(recorded: Path) -> None:
    written = sorted(path.stem for path in recorded.glob("*.yaml"))
    assert written == sorted(s.name for s in RECORDED_SCENARIOS)
    for scenario in RECORDED_SCENARIOS:
        first = (recorded / f"{scenario.name}.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# source: {scenario.source}"


def test_no_key_and_no_real_project_id_is_written(recorded: Path) -> None:
    token = base64.b64encode(f"{KEY}:".encode()).decode()
    for path in recorded.iterdir():
        text = path.read_text(encoding="utf-8")
        for secret in (KEY, token, REAL_PROJECT):
            assert secret not in text, f"{secret[:12]}... in {path.name}"
        assert "authorization" not in text.lower()
        assert PROJECT in text  # the real id was replaced by the one the replay tests use


@pytest.mark.parametrize("scenario", RECORDED_SCENARIOS, ids=lambda s: s.name)
def test_recordings_replay(
    recorded: Path, scenario: Scenario, player: vcr.VCR, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scenarios, "CASSETTES", recorded)
    assert scenario.cassette.parent == recorded
    replay_sync(scenario, player)
