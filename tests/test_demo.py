"""`make demo`, the main job: the reference page's examples, end to end, in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx2
import pytest

from cocalc_project_server.testing import running_server

REPO = Path(__file__).resolve().parent.parent
TARGET_VARIABLES = ("COCALC_API_KEY", "COCALC_HOST", "COCALC_PROJECT_ID")


def run_demo(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in TARGET_VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "demo"],
        cwd=REPO,
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_runs_every_example_on_its_own_local_server() -> None:
    demo = run_demo()

    assert demo.returncode == 0, demo.stdout + demo.stderr
    url = re.search(r"against a local project server at (http://127\.0\.0\.1:\d+)", demo.stdout)
    assert url, demo.stdout[:300]
    # A real `date` from a real subprocess, and real kernels.
    assert f"{time.gmtime().tm_year}" in demo.stdout.split('command="date")', 1)[1][:200]
    assert "[{'data': {'text/plain': '4950'}}]" in demo.stdout
    assert "[{'data': {'text/plain': '5050'}}]" in demo.stdout
    assert "ExecError: command 'echo oops >&2; exit 42' exited with nonzero code 42" in demo.stdout
    # Beyond the page: a real file written, read and listed, and a real notebook run.
    after = demo.stdout.split("Beyond the reference page", 1)[1]
    assert "'hi\\n'" in after and "'name': 'hello.txt'" in after and "'size': 3" in after
    assert str(2**100) in after and "from a notebook" in after
    # The hub: a project created, started and run in with the account's key, then listed.
    hub_part = demo.stdout.split("The hub API, for an account, against a local hub", 1)[1]
    assert "'state': 'running'" in hub_part and "['demo']" in hub_part
    assert "/projects/" in hub_part.split('exec("echo $HOME")', 1)[1][:300]
    # A command in every student project of a 5-student course, as the CLI's table: one row
    # per student (the demo course's names), each run in its own project's folder.
    course = demo.stdout.split("A course's projects at once", 1)[1]
    rows = [line for line in course.splitlines() if line.startswith("Student ")]
    assert len(rows) == 5 and all("/projects/" in row for row in rows), course
    assert "5 projects: 5 succeeded, 0 failed" in course
    assert demo.stdout.rstrip().endswith("All examples ran.")
    # The server it started is gone.
    with pytest.raises(httpx2.ConnectError):
        httpx2.post(url[1] + "/api/conat/project", json={}, timeout=5)


def test_demo_runs_against_the_host_in_the_environment() -> None:
    project_id = str(uuid.uuid4())
    key = f"sk-demo-{uuid.uuid4().hex}"
    with running_server(api_key=key, project_id=project_id) as server:
        demo = run_demo(COCALC_API_KEY=key, COCALC_HOST=server.url, COCALC_PROJECT_ID=project_id)
        wrong_key = run_demo(COCALC_API_KEY="sk-wrong", COCALC_HOST=server.url)

    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert f"against the host {server.url}" in demo.stdout
    assert f"'project_id': '{project_id}'" in demo.stdout  # system.test() answered by it
    assert key not in demo.stdout + demo.stderr
    assert "A course's projects at once: skipped (set COCALC_COURSE" in demo.stdout

    assert wrong_key.returncode == 1
    # The server's text, after what to do about it (a new key).
    refusal = next(line for line in wrong_key.stdout.splitlines() if "AuthenticationError" in line)
    assert "must sign in as project or account" in refusal and "make a new one" in refusal
    assert wrong_key.stdout.rstrip().splitlines()[-1].startswith("FAILED: ping")
