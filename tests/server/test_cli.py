"""The command line: ready line, options, loopback guard, clean shutdown."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx2
import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from cocalc_project_server.config import API_KEY_ENV
from cocalc_project_server.testing import parse_ready_line, running_server

from .polling import wait_for, wait_gone

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


@pytest.mark.parametrize(
    ("flag", "value", "complaint"),
    [
        ("--max-exec-output", "0", "must be >= 1"),
        ("--max-jupyter-output", "0", "must be >= 1"),
        ("--max-kernels", "0", "must be >= 1"),
        ("--async-jobs-max", "0", "must be >= 1"),
        ("--max-read-bytes", "-1", "must be >= 0"),
        ("--max-connections", "0", "must be >= 1"),
        ("--header-timeout", "0", "must be a positive number of seconds"),
        ("--body-timeout", "-1", "must be a positive number of seconds"),
        ("--body-timeout", "inf", "must be a positive number of seconds"),
        ("--header-timeout", "nan", "must be a positive number of seconds"),
    ],
)
def test_limits_out_of_range_are_rejected(flag: str, value: str, complaint: str) -> None:
    result = run_cli(flag, value)
    assert result.returncode == 2
    assert f"{flag}: {complaint}" in result.stderr


def test_ready_line_reports_the_given_settings(tmp_path: Path) -> None:
    project_id = str(uuid.uuid4())
    root = tmp_path / "home with space"
    log = tmp_path / "stderr"
    with (
        log.open("wb") as stderr,
        running_server(
            api_key="sk-test-key",  # in the environment
            project_id=project_id,
            root=root,
            kernel_pool_size=0,
            stderr=stderr,
        ) as server,
    ):
        assert (server.api_key, server.project_id) == ("sk-test-key", project_id)
        assert server.root == str(root.resolve())
        assert server.url.startswith("http://127.0.0.1:")
        response = httpx2.post(
            server.endpoint,
            json={"name": "system.exec", "args": [{"command": "pwd"}]},
            headers={"Authorization": "Bearer sk-test-key"},
        )
        assert response.json()["stdout"] == f"{root.resolve()}\n"
    assert root.is_dir(), "a root given with --root is kept"
    assert log.read_text() == ""


def test_help_recommends_the_environment_for_the_key() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())  # argparse wraps lines
    assert f"prefer ${API_KEY_ENV}" in help_text
    assert "visible to every user via ps" in help_text


def test_api_key_flag_works_with_a_warning(tmp_path: Path) -> None:
    log = tmp_path / "stderr"
    with (
        log.open("wb") as stderr,
        running_server(
            kernel_pool_size=0, extra_args=["--api-key", "sk-flag"], stderr=stderr
        ) as server,
    ):
        assert server.api_key == "sk-flag"
        # The flag really is visible to any process (what the warning is about).
        assert "sk-flag" in psutil.Process(server.pid).cmdline()
    warning = log.read_text()
    assert "--api-key is visible to every user" in warning
    assert f"${API_KEY_ENV}" in warning


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


def test_sigterm_answers_calls_in_flight_and_exits_quietly(tmp_path: Path) -> None:
    log = tmp_path / "stderr"
    with log.open("wb") as stderr, running_server(kernel_pool_size=0, stderr=stderr) as server:
        root = Path(server.root)
        # Each command says it started, then waits for a go that never comes.
        command = "touch started.$$; while [ ! -e go ]; do sleep 0.05; done"
        calls = [
            {"name": "system.exec", "args": [{"command": command}], "timeout": 60_000},
            {
                "name": "system.exec",
                "args": [{"command": command, "timeout": 0}],
                "timeout": 60_000,
            },
        ]
        auth = (server.api_key, "")
        with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
            replies = [
                pool.submit(httpx2.post, server.endpoint, json=body, auth=auth, timeout=30)
                for body in calls
            ]
            wait_for(lambda: len(list(root.glob("started.*"))) == len(calls), "the commands")
            os.kill(server.pid, signal.SIGTERM)
            responses = [reply.result() for reply in replies]
        assert server.process.wait(timeout=15) == 0
    # docs/wire-protocol.md section 2: the real service's text when nothing serves the project.
    subject = f"project.{server.project_id}.0.api.-"
    unavailable = (
        f"request -- no subscribers matching '{subject}' - callHub: subject='{subject}', "
        "name='system.exec', code='503' "
    )
    for response in responses:
        assert response.status_code == 200
        assert response.json() == {"error": unavailable}
    assert log.read_text() == ""


def test_shutdown_leaves_no_kernels_or_commands_behind() -> None:
    with running_server(kernel_pool_size=1) as server:
        auth = (server.api_key, "")

        def call(name: str, **options: object) -> Any:
            body = {"name": name, "args": [options]}
            return httpx2.post(server.endpoint, json=body, auth=auth, timeout=30).json()

        kernels = wait_for(lambda: call("system.listJupyterKernels"), "the warm kernel")
        job = call("system.exec", command="sleep 100 & sleep 100", async_call=True)
        # bash starts the first `sleep` a moment after the job's pid exists: wait for it.
        children = wait_for(psutil.Process(job["pid"]).children, "the first sleep")
        pids = [k["pid"] for k in kernels] + [job["pid"]] + [c.pid for c in children]
        assert len(pids) >= 3
        os.kill(server.pid, signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0
    wait_gone(*pids)


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
