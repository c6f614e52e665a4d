"""Jupyter calls that end before their cell does (envelope timeout, client disconnect): the
call is stopped and its kernel killed. A deliberate difference: the real service lets such a
call run on, without a time limit forever.

The server here keeps no warm kernels, so every kernel listed after a call was that call's.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cocalc_project_server.config import ENDPOINT

from .conftest import Api
from .polling import CEILING_S, wait_for, wait_gone

# A cell that says which process runs it, then runs until it is stopped.
FOREVER = (
    "import os, time\nopen({path!r}, 'w').write(str(os.getpid()))\n"
    "while True:\n    time.sleep(0.05)"
)


def kernel_pids(api: Api) -> set[int]:
    return {kernel["pid"] for kernel in api.call("system.listJupyterKernels", {})}


def test_a_call_past_its_envelope_timeout_leaves_no_kernel_running(
    api: Api, tmp_path: Path
) -> None:
    before = kernel_pids(api)
    code = FOREVER.format(path=str(tmp_path / "kernel.pid"))
    options = {"input": code, "kernel": "python3", "limits": {"timeout_ms_per_cell": 0}}
    result = api.call("system.jupyterExecute", options, timeout=1000)
    assert result["error"].startswith("timeout - callHub: "), result
    # Whether the timeout came while the kernel started or while it ran the cell.
    wait_gone(*(kernel_pids(api) - before))


def test_a_notebook_run_whose_client_disconnects_leaves_no_kernel_running(
    api: Api, tmp_path: Path
) -> None:
    pid_file = tmp_path / "kernel.pid"
    source = FOREVER.format(path=str(pid_file))
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": [source]}
    notebook = {"cells": [cell], "metadata": {"kernelspec": {"name": "python3"}}}
    call = {
        "name": "editor.jupyterRunNotebook",
        "args": [{"path": "", "ipynb": json.dumps(notebook)}],
        "timeout": 600_000,
    }
    with post_without_reading(api, call):
        pid = wait_for(lambda: pid_file.exists() and pid_file.read_text(), "the cell to start")
    wait_gone(int(pid))


@contextlib.contextmanager
def post_without_reading(api: Api, body: Any) -> Iterator[None]:
    """POST ``body`` on a connection of its own, and close it at the end of the block."""
    host, port = api.server.url.removeprefix("http://").rsplit(":", 1)
    data = json.dumps(body).encode()
    key = base64.b64encode(f"{api.server.api_key}:".encode()).decode()
    head = (
        f"POST {ENDPOINT} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=CEILING_S) as sock:
        sock.sendall(head.encode() + data)
        yield
