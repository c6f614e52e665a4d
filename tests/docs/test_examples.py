"""Each script of examples/ runs against the local server and prints what it should.

The expected lines come from the commands themselves and the documented behaviour of the
tools they run (GNU ls exits 2 when it cannot access a file, `false` exits 1, the sum of
n*n for n < 20 is 2470), not from the SDK.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.docs.blocks import REPO

EXAMPLES = REPO / "examples"

_outputs: dict[str, str] = {}


@pytest.fixture
def run_example(doc_env: dict[str, str]) -> Callable[[str], str]:
    """Run examples/NAME.py once per test run (with COCALC_* set) and return its stdout."""

    def run(name: str) -> str:
        if name not in _outputs:
            result = subprocess.run(
                [sys.executable, str(EXAMPLES / f"{name}.py")],
                check=False,
                cwd=REPO,
                env=os.environ.copy(),  # doc_env's COCALC_* and PATH are in it
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,  # only against a hang
            )
            assert result.returncode == 0, f"{name}.py failed:\n{result.stdout}\n{result.stderr}"
            _outputs[name] = result.stdout
        return _outputs[name]

    return run


def test_run_command(run_example: Callable[[str], str]) -> None:
    lines = run_example("run_command").splitlines()
    assert lines[0].startswith("HELLO FROM ")
    assert "python3 is at least 3.8: True" in lines
    assert "ran in scratch/ with GREETING=hi" in lines
    assert any(line.startswith("exit code: 2 | stderr: ls: ") for line in lines)


def test_jupyter_code(run_example: Callable[[str], str]) -> None:
    lines = run_example("jupyter_code").splitlines()
    assert lines[:5] == [
        "result: 4950",
        "stdout: hello",
        "result: 42",
        "result: 144",
        "error: ZeroDivisionError: division by zero",
    ]
    assert lines[5].startswith("running kernels: ")


def test_async_fanout(run_example: Callable[[str], str]) -> None:
    lines = run_example("async_fanout").splitlines()
    assert lines[0].startswith("50 pings in ")
    assert lines[1].startswith("20 commands in ")
    assert lines[2:] == [
        "sum of squares 0..19: 2470",
        "succeeded with exit code 0",
        "failed with exit code 1",
    ]


def test_async_job(run_example: Callable[[str], str]) -> None:
    lines = run_example("async_job").splitlines()
    assert lines[0].startswith("started job ")
    assert lines[1:6] == [f"step {i} of 5" for i in range(1, 6)]
    assert lines[6].startswith("job completed with exit code 0 after ")
    assert lines[7] == "waited: completed done"


def test_error_handling(run_example: Callable[[str], str]) -> None:
    lines = run_example("error_handling").splitlines()
    assert lines[0].startswith("ExecError: exit code 2, stderr: ls: ")
    assert lines[1].startswith("ExecError: program not found: nosuchprog")
    assert lines[2] == "ExecTimeoutError: 'sleep 10' killed after 1 s"
    assert lines[3].startswith("AsyncJobNotFoundError: ")
    assert lines[5].startswith("InvalidArgumentError: ")
    assert lines[6].startswith("AuthenticationError: ")
    assert lines[7] == "APIConnectionError: APIConnectionError"
    assert lines[8].startswith("CocalcError: InvalidArgumentError - ")


def test_error_handling_unknown_kernel(run_example: Callable[[str], str]) -> None:
    # The real service's text for an unknown kernel (docs/wire-protocol.md, jupyterExecute), which the
    # local server answers too, names the kernels there are.
    lines = run_example("error_handling").splitlines()
    assert lines[4].startswith("UnknownKernelError: available: ")
    assert "python3" in lines[4]


def test_files_and_notebooks(run_example: Callable[[str], str]) -> None:
    assert run_example("files_and_notebooks").splitlines() == [
        "read back: hi",
        "examples-demo/old holds: notes.txt",
        "notebook output: [0, 1, 4, 9, 16]",
        "examples-demo deleted: True",
    ]


def test_every_example_has_a_test() -> None:
    tested = {
        name.removeprefix("test_")
        for name in globals()
        if name.startswith("test_") and name != "test_every_example_has_a_test"
    }
    scripts = {path.stem for path in EXAMPLES.glob("*.py")}
    assert scripts <= tested, f"examples without a test: {sorted(scripts - tested)}"
