"""kill -9 of the hub in the middle of a burst of createProject calls, then a restart:
every project whose id was answered exists, with its folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx2
import psutil  # type: ignore[import-untyped, unused-ignore]

from cocalc_hub_server.testing import start_hub
from cocalc_project_server.testing import stop_process_group

KEY = "sk-durability-test-key-0000"
CALLERS = 4
ANSWERED_BEFORE_KILL = 20


def test_answered_projects_survive_kill_9(tmp_path: Path) -> None:
    hub = start_hub(tmp_path, api_key=KEY)
    answered: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def create_until_gone() -> None:
        with httpx2.Client(timeout=30) as client:
            for _ in range(500):  # bounded: the kill ends it long before
                try:
                    response = client.post(
                        hub.hub_endpoint,
                        auth=(KEY, ""),
                        json={"name": "projects.createProject", "args": [{"title": "burst"}]},
                    )
                    answer = response.json()
                except (httpx2.HTTPError, ValueError):
                    return  # the hub is gone: this call was never answered
                with lock:
                    answered.append(answer)
                    if len(answered) >= ANSWERED_BEFORE_KILL:
                        enough.set()

    callers = [threading.Thread(target=create_until_gone) for _ in range(CALLERS)]
    for caller in callers:
        caller.start()
    try:
        assert enough.wait(60)
        os.kill(hub.pid, signal.SIGKILL)
        hub.process.wait()
    finally:
        for caller in callers:
            caller.join(60)
        stop_process_group(hub.process)

    restarted = start_hub(tmp_path, api_key=KEY)
    try:
        with httpx2.Client(timeout=30) as client:
            response = client.post(
                restarted.hub_endpoint,
                auth=(KEY, ""),
                json={
                    "name": "db.userQuery",
                    "args": [{"query": {"projects_all": [{"project_id": None}]}}],
                },
            )
        on_record = {p["project_id"] for p in response.json()["projects_all"]}
    finally:
        stop_process_group(restarted.process)
    assert restarted.account_id == hub.account_id
    assert len(answered) >= ANSWERED_BEFORE_KILL
    assert all(isinstance(project_id, str) for project_id in answered), answered
    assert set(answered) <= on_record
    assert all((tmp_path / "projects" / project_id).is_dir() for project_id in answered)


STARTER = """
import sys
import cocalc_api
from cocalc_hub_server.testing import running_hub
with running_hub(root=sys.argv[1]) as site, cocalc_api.Hub(site.api_key, site.url) as hub:
    project_id = hub.projects.create_project(title="left running")
    hub.projects.start(project_id)
    print(site.pid, flush=True)
    sys.stdin.read()
"""


def test_a_hub_the_test_helpers_started_stops_with_its_projects_when_its_starter_is_killed(
    tmp_path: Path,
) -> None:
    # A test run killed outright (SIGKILL: no fixture teardown) must not leave its hub, nor the
    # project servers the hub started.
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    hub = psutil.Process(int(starter.stdout.readline()))
    started = hub.children(recursive=True)
    assert any("cocalc_project_server" in " ".join(p.cmdline()) for p in started)
    starter.kill()
    starter.wait()
    _, alive = psutil.wait_procs([hub, *started], timeout=30)
    assert not alive, [p.cmdline() for p in alive]
