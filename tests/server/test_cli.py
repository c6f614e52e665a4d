"""The command line: ready line, options, loopback guard, clean shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from cocalc_project_server.testing import parse_ready_line, running_server

CONSOLE_SCRIPT = Path(sys.executable).with_name("cocalc-project-server")


def run_cli(*args: str, script: bool = False) -> subprocess.CompletedProcess[str]:
    argv = [str(CONSOLE_SCRIPT)] if script else [sys.executable, "-m", "cocalc_project_server"]
    return subprocess.run(
        argv + list(args), check=False, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize("script", [False, True])
def test_non_loopback_bind_needs_allow_remote(script: bool) -> None:
    if script and not CONSOLE_SCRIPT.exists():
        pytest.skip("console script not installed")
    result = run_cli("--host", "0.0.0.0", script=script)
    assert result.returncode != 0
    assert "--allow-remote" in result.stderr
    assert "non-loopback" in result.stderr
    assert result.stdout == ""


def test_invalid_project_id_is_rejected() -> None:
    result = run_cli("--project-id", "not-a-uuid")
    assert result.returncode == 2
    assert "not a UUID" in result.stderr


def test_ready_line_reports_the_given_settings(tmp_path: Path) -> None:
    project_id = str(uuid.uuid4())
    root = tmp_path / "home with space"
    with running_server(
        api_key="sk-test-key", project_id=project_id, root=root, kernel_pool_size=0
    ) as server:
        assert (server.api_key, server.project_id) == ("sk-test-key", project_id)
        assert server.root == str(root.resolve())
        assert server.url.startswith("http://127.0.0.1:")
        response = httpx.post(
            server.endpoint,
            json={"name": "system.exec", "args": [{"command": "pwd"}]},
            headers={"Authorization": "Bearer sk-test-key"},
        )
        assert response.json()["stdout"] == f"{root.resolve()}\n"
    assert root.is_dir(), "a root given with --root is kept"


def test_parse_ready_line() -> None:
    line = (
        "cocalc-project-server listening url=http://127.0.0.1:4321 api_key=sk-abc "
        "project_id=6e75dbf1-0342-4249-9dce-6b21648656e9 root=/tmp/a b\n"
    )
    ready = parse_ready_line(line)
    assert ready is not None
    assert (ready.url, ready.api_key, ready.root) == ("http://127.0.0.1:4321", "sk-abc", "/tmp/a b")
    assert parse_ready_line("something else") is None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_and_removes_the_temporary_root(sig: signal.Signals) -> None:
    with running_server(kernel_pool_size=0) as server:
        assert server.api_key.startswith("sk-")
        assert str(uuid.UUID(server.project_id)) == server.project_id
        root = Path(server.root)
        assert root.is_dir()
        os.kill(server.pid, sig)
        assert server.process.wait(timeout=15) == 0
    assert not root.exists()
