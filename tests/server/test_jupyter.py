"""system.jupyterExecute, listJupyterKernels and stopJupyterKernel on real kernels."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from cocalc_project_server.testing import ServerProcess, running_server

from .conftest import Api, make_api


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server(kernel_pool_size=2) as srv:
        yield srv


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[Api]:
    yield from make_api(server)


def run(api: Api, code: str, **options: Any) -> Any:
    return api.call("system.jupyterExecute", {"input": code, "kernel": "python3", **options})


def test_expression_value(api: Api) -> None:
    assert run(api, "sum(range(100))") == [{"data": {"text/plain": "4950"}}]


def test_history_runs_first(api: Api) -> None:
    assert run(api, "sum(range(a + 1))", history=["a = 100"]) == [{"data": {"text/plain": "5050"}}]


def test_history_output_is_discarded(api: Api) -> None:
    history = ['print("hidden")', "b = 7", "b * 2"]
    assert run(api, "print(b)", history=history) == [{"name": "stdout", "text": "7\n"}]


def test_print_is_one_stream_item(api: Api) -> None:
    assert run(api, 'print("Hello")') == [{"name": "stdout", "text": "Hello\n"}]


def test_consecutive_stream_chunks_are_merged(api: Api) -> None:
    code = "import sys\nfor i in range(3):\n    print(i); sys.stdout.flush()\nprint('e', file=sys.stderr)"
    assert run(api, code) == [
        {"name": "stdout", "text": "0\n1\n2\n"},
        {"name": "stderr", "text": "e\n"},
    ]


def test_error_output(api: Api) -> None:
    [item] = run(api, "1/0")
    assert set(item) == {"ename", "evalue", "traceback"}
    assert item["ename"] == "ZeroDivisionError"
    assert item["evalue"] == "division by zero"
    assert all(isinstance(line, str) for line in item["traceback"])


def test_display_data_drops_empty_objects(api: Api) -> None:
    code = "from IPython.display import HTML, display\ndisplay(HTML('<b>x</b>'))"
    [item] = run(api, code)
    assert set(item) == {"data"}
    assert item["data"]["text/html"] == "<b>x</b>"


def test_calls_are_stateless(api: Api) -> None:
    assert run(api, "secret_value = 1") == []
    [item] = run(api, "secret_value")
    assert item["ename"] == "NameError"


def test_path_sets_the_working_directory(api: Api) -> None:
    api.exec(command="mkdir -p notebooks")
    assert run(api, "import os; os.getcwd()", path="notebooks") == [
        {"data": {"text/plain": repr(os.path.join(api.server.root, "notebooks"))}}
    ]
    assert run(api, "1", path="..")["error"].startswith("Error: path '..' is outside")


def test_cell_time_limit(api: Api) -> None:
    started = time.monotonic()
    result = run(api, "import time; time.sleep(30)", limits={"timeout_ms": 1000})
    assert result == {"error": "Timeout Error: execution time limit = 1 seconds"}
    assert time.monotonic() - started < 10


def test_unknown_kernel(api: Api) -> None:
    result = api.call("system.jupyterExecute", {"input": "1", "kernel": "no-such-kernel"})
    assert result == {"error": "Error: No such kernel named no-such-kernel"}


def test_list_and_stop_kernels(api: Api) -> None:
    deadline = time.monotonic() + 30
    kernels = api.call("system.listJupyterKernels", {})
    while not kernels and time.monotonic() < deadline:
        time.sleep(0.2)
        kernels = api.call("system.listJupyterKernels", {})
    assert kernels, "the warm pool should hold kernels"
    for kernel in kernels:
        assert set(kernel) == {"pid", "connectionFile", "kernel_name"}
        assert kernel["kernel_name"] == "python3"
        assert os.path.exists(kernel["connectionFile"])
        assert "ipykernel" in " ".join(psutil.Process(kernel["pid"]).cmdline())

    pid = kernels[0]["pid"]
    assert api.call("system.stopJupyterKernel", {"pid": pid}) == {"success": True}
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert pid not in [k["pid"] for k in api.call("system.listJupyterKernels", {})]
    assert api.call("system.stopJupyterKernel", {"pid": pid}) == {"success": False}
    assert api.call("system.stopJupyterKernel", {"pid": os.getpid()}) == {"success": False}


@pytest.mark.parametrize("pid", [float(os.getpid()), -1.0, 1e20])
def test_stop_kernel_accepts_integral_float_pids(api: Api, pid: float) -> None:
    # JSON Schema counts 42.0 as an integer and the real (JavaScript) service sees 42; such a pid
    # is an unknown pid, not a malformed one. Found by test_schemathesis.py.
    assert api.call("system.stopJupyterKernel", {"pid": pid}) == {"success": False}
    assert "must be an integer" in api.call("system.stopJupyterKernel", {"pid": 1.5})["error"]
