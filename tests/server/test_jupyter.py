"""system.jupyterExecute, listJupyterKernels and stopJupyterKernel on real kernels.

Expected values are the real service's, from docs/wire-protocol.md (§3, §4a) and the CoCalc
source named next to each test.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from cocalc_project_server.jupyter import cell_limits
from cocalc_project_server.kernel_specs import ABSENT, check_kernel_name, kernel_json_name
from cocalc_project_server.testing import ServerProcess, running_server

from .conftest import Api
from .polling import alive, wait_for

# Generous ceiling for one call, only to stop a hang (a cold kernel start included).
CALL_CEILING_S = 30


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server(kernel_pool_size=2) as srv:
        yield srv


def run(api: Api, code: str, **options: Any) -> Any:
    return api.call("system.jupyterExecute", {"input": code, "kernel": "python3", **options})


def stream(text: str, name: str = "stdout") -> dict[str, str]:
    return {"name": name, "text": text}


def truncation_notice(which: str, limit: int) -> dict[str, Any]:
    # src/packages/jupyter/nbgrader/jupyter-run.ts (run_cell); docs/wire-protocol.md §4a
    return {
        "name": "stdout",
        "output_type": "stream",
        "text": [
            f"Output truncated since it exceeded the {which} output limit of {limit} characters"
        ],
    }


def value_of(result: Any) -> Any:
    """The Python value of a call whose only output is one ``repr`` result."""
    [item] = result
    return ast.literal_eval(item["data"]["text/plain"])


# -- outputs -------------------------------------------------------------------------------------


def test_expression_value(api: Api) -> None:
    assert run(api, "sum(range(100))") == [{"data": {"text/plain": "4950"}}]


def test_history_runs_first_and_its_output_is_discarded(api: Api) -> None:
    history = ['print("hidden")', "b = 7", "b * 2"]
    assert run(api, "print(b)", history=history) == [stream("7\n")]


def test_each_stream_message_is_its_own_item(api: Api) -> None:
    # Flushes with a pause between force two iopub messages; each is one item (not merged).
    code = "import time\nprint('a', flush=True)\ntime.sleep(0.05)\nprint('b', flush=True)"
    assert run(api, code) == [stream("a\n"), stream("b\n")]


@pytest.mark.parametrize("wait", [False, True])
def test_clear_output_empties_the_list_and_is_itself_an_item(api: Api, wait: bool) -> None:
    code = (
        "from IPython.display import clear_output\n"
        f"print('before', flush=True)\nclear_output(wait={wait})\nprint('after', flush=True)"
    )
    assert run(api, code) == [{"wait": wait}, stream("after\n")]


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


# -- output limits (jupyter-run.ts, run_cell) -----------------------------------------------------

# An output's size is the length of its compact JSON: {"name":"stdout","text":"<text>"} is 29
# characters plus the text's, where print's "\n" counts 2 ("\\n" in JSON).
STREAM_JSON_OVERHEAD = 29


def exactly(size: int) -> str:
    """A print whose stream item's JSON is ``size`` characters long."""
    return f"print('x' * {size - STREAM_JSON_OVERHEAD}, flush=True)"


def test_cell_output_limit_without_limits_is_one_million_characters(api: Api) -> None:
    # stateless-api/kernel.ts: no `limits` -> max_output_per_cell 1000000. Output up to the
    # limit is kept; each later message is replaced by a notice.
    code = f"{exactly(1_000_000)}\nprint('y', flush=True)\nprint('z', flush=True)"
    outputs = run(api, code)
    assert outputs[0] == stream("x" * (1_000_000 - STREAM_JSON_OVERHEAD) + "\n")
    assert outputs[1:] == [truncation_notice("cell", 1_000_000)] * 2


def test_cell_output_limit_with_limits_given_is_half_a_million(api: Api) -> None:
    # nbgrader-types.ts DEFAULT_LIMITS under any given `limits`: max_output_per_cell 500000.
    code = f"{exactly(500_000)}\nprint('y', flush=True)"
    outputs = run(api, code, limits={})
    assert outputs[0] == stream("x" * (500_000 - STREAM_JSON_OVERHEAD) + "\n")
    assert outputs[1:] == [truncation_notice("cell", 500_000)]


def test_global_output_limit_with_limits_given_is_four_million(api: Api) -> None:
    # DEFAULT_LIMITS max_output 4000000, counted from the given total_output.
    limits = {"total_output": 4_000_000 - 30}
    outputs = run(api, "print('y', flush=True)\nprint('z', flush=True)", limits=limits)
    assert outputs == [stream("y\n"), truncation_notice("global", 4_000_000)]


def test_zero_turns_the_cell_limit_off_and_the_global_notice_repeats(api: Api) -> None:
    limits = {"max_output_per_cell": 0, "max_output": 60}
    outputs = run(api, "for i in range(4):\n    print(i, flush=True)", limits=limits)
    # 30 characters each: 30 and 60 are within the limit, 90 and 120 are not.
    assert outputs == [stream("0\n"), stream("1\n")] + [truncation_notice("global", 60)] * 2


def test_errors_are_kept_past_the_limit(api: Api) -> None:
    outputs = run(api, "print('x', flush=True)\n1/0", limits={"max_output_per_cell": 10})
    assert outputs[0] == truncation_notice("cell", 10)
    assert outputs[1]["ename"] == "ZeroDivisionError"


def vm_mib(pid: int, field: str) -> int:
    """``VmRSS`` or ``VmHWM`` (peak RSS) of process ``pid``, in MiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) // 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


# 800 displays of 125 kB: 100 MB of messages. Fewer than the messages ZeroMQ queues between a
# kernel and the server (1000 on the kernel's side), so none is dropped.
FLOOD_MESSAGES = 800
FLOOD_TEXT = 125_000


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
def test_flood_of_large_displays_is_limited_as_it_arrives(api: Api) -> None:
    pid = api.server.pid
    before = vm_mib(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS
    code = f"for i in range({FLOOD_MESSAGES}):\n    display('x' * {FLOOD_TEXT})"
    outputs = run(api, code, limits={"max_output_per_cell": 200_000})
    growth = vm_mib(pid, "VmHWM") - before
    # jupyter-run.ts (run_cell): the first item (125028 characters of JSON) is within the cell
    # limit, every later message is past it and becomes one notice.
    first = {"data": {"text/plain": repr("x" * FLOOD_TEXT)}}
    assert outputs == [first] + [truncation_notice("cell", 200_000)] * (FLOOD_MESSAGES - 1)
    # Kept until the cell ended, the messages took the server past 100 MiB more; as they
    # arrive, only what the limit keeps and the messages in flight (100 at most) are held.
    assert growth < 50, f"the server's peak memory grew by {growth} MiB"


# -- time limits (execute-code.ts; jupyter-run.ts) ------------------------------------------------


def test_limits_per_cell() -> None:
    # docs/wire-protocol.md §4a: 30 s per cell without `limits`, 60 s with `limits` but no
    # timeout_ms_per_cell; the other numbers from stateless-api/kernel.ts and DEFAULT_LIMITS.
    without = cell_limits(None, now_ms=1000.0)
    assert (without.timeout_ms_per_cell, without.timeout_ms, without.start_time) == (
        30_000,
        30_000,
        1000.0,
    )
    assert (without.max_output_per_cell, without.max_output, without.total_output) == (
        1_000_000,
        5_000_000,
        0,
    )
    given = cell_limits({}, now_ms=1000.0)
    assert (given.timeout_ms_per_cell, given.timeout_ms, given.start_time) == (60_000, None, None)
    assert (given.max_output_per_cell, given.max_output, given.total_output) == (
        500_000,
        4_000_000,
        0,
    )
    assert cell_limits({"timeout_ms_per_cell": 1000}, now_ms=0).timeout_ms_per_cell == 1000


def test_cell_past_its_limit_is_interrupted_and_its_outputs_returned(api: Api) -> None:
    started = time.monotonic()
    code = "import time\nprint('started', flush=True)\ntime.sleep(60)"
    outputs = run(api, code, limits={"timeout_ms_per_cell": 1000})
    assert time.monotonic() - started < CALL_CEILING_S
    assert outputs[0] == stream("started\n")
    assert outputs[-1]["ename"] == "KeyboardInterrupt"


def test_cell_that_ignores_interrupts_is_killed_and_its_outputs_returned(api: Api) -> None:
    # SIGINT at the limit and twice more, then SIGKILL; the call still answers with the outputs.
    code = (
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "print('started', flush=True)\ntime.sleep(60)"
    )
    started = time.monotonic()
    outputs = run(api, code, limits={"timeout_ms_per_cell": 1000})
    assert time.monotonic() - started < CALL_CEILING_S
    assert outputs == [stream("started\n")]


def test_total_time_limit(api: Api) -> None:
    result = run(api, "1", limits={"timeout_ms": 1000, "start_time": 0})
    assert result == {"error": "Error: Total time limit (=1 seconds) exceeded"}


def test_kernel_that_exits_fails_the_call(api: Api) -> None:
    # kernel.ts: the kernel's exit handler words the failure.
    result = run(api, "import os\nos._exit(3)")
    assert result["error"].startswith("Error: Kernel last exited with code 3.")


# -- working folder (stateless-api/kernel.ts; kernel.ts chdir) -----------------------------------


def test_default_folder_is_a_fresh_temporary_one(api: Api) -> None:
    code = "import os\nos.getcwd(), dict(os.environ)"
    first, env = value_of(run(api, code))
    second, _ = value_of(run(api, code))
    assert first != second
    for folder in (first, second):
        # mkdtemp(join(tmpdir(), "cocalc")), removed when the call ends
        assert os.path.dirname(folder) == tempfile.gettempdir()
        assert os.path.basename(folder).startswith("cocalc")
        assert not os.path.exists(folder)
    # kernel.ts (spawn): the notional notebook and the kernel's name
    assert env["COCALC_JUPYTER_FILENAME"] == os.path.join(first, "execute.ipynb")
    assert env["COCALC_JUPYTER_KERNELNAME"] == "python3"
    assert env["PLOTLY_RENDERER"] == "colab"


def test_path_is_relative_to_home(api: Api) -> None:
    root = api.server.root
    Path(root, "it's here").mkdir(exist_ok=True)
    assert value_of(run(api, "import os; os.getcwd()", path="it's here")) == os.path.join(
        root, "it's here"
    )
    assert value_of(run(api, "import os; os.getcwd()", path="")) == root


def test_path_that_cannot_be_entered_is_silently_ignored(api: Api) -> None:
    # The chdir code runs as a cell whose outputs are dropped: no error, the kernel stays in
    # its own folder, and its `import os` has run.
    folder = value_of(run(api, "os.getcwd()", path="no-such-folder"))
    assert os.path.basename(folder).startswith("cocalc")


@pytest.mark.parametrize("path", ["..", "/"])
def test_path_outside_the_project_is_silently_ignored(api: Api, path: str) -> None:
    # A deliberate difference: the real service would enter it; we ignore it like a folder
    # that cannot be entered.
    folder = value_of(run(api, "import os; os.getcwd()", path=path))
    assert os.path.basename(folder).startswith("cocalc")


# -- kernels ---------------------------------------------------------------------------------------


def test_unknown_kernel(api: Api) -> None:
    # launch-kernel.ts (launchJupyterKernel) wrapped by kernel.ts (spawn, setFailed)
    result = api.call("system.jupyterExecute", {"input": "1", "kernel": "no-such-kernel"})
    prefix = (
        'Error: **Unable to Spawn Jupyter Kernel:**\n\nError: No spec available for kernel "'
        'no-such-kernel".  Available specs: '
    )
    suffix = (
        " \n\nTry this in a terminal to help debug this (or contact support): "
        "`jupyter console --kernel=no-such-kernel`\n\n"
        "Once you fix the problem, explicitly restart this kernel to test here."
    )
    text = result["error"]
    assert text.startswith(prefix) and text.endswith(suffix)
    available = text[len(prefix) : -len(suffix)]
    assert "python3" in json.loads(available)
    assert " " not in available  # JSON.stringify, no spaces


def test_kernel_names_are_case_sensitive(api: Api) -> None:
    result = api.call("system.jupyterExecute", {"input": "1", "kernel": "Python3"})
    assert 'No spec available for kernel "Python3"' in result["error"]


def test_kernel_runs_under_the_real_ulimits(api: Api) -> None:
    # stateless-api/kernel.ts: `ulimit -n 1000 -f 10485760 -t 30 -v 3000000` in bash, which
    # sets soft and hard limits and counts -f and -v in 1024-byte blocks.
    code = (
        "import resource as r\n"
        "[r.getrlimit(getattr(r, n)) for n in "
        "('RLIMIT_NOFILE', 'RLIMIT_FSIZE', 'RLIMIT_CPU', 'RLIMIT_AS')]"
    )
    expected = [1000, 10485760 * 1024, 30, 3000000 * 1024]
    assert value_of(run(api, code)) == [(n, n) for n in expected]


@pytest.mark.parametrize(("length", "transport"), [(65, "ipc"), (95, "tcp")])
def test_kernels_start_under_a_long_tmpdir(
    length: int, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Unix socket's path holds at most 107 bytes (unix(7); 103 on macOS, whose $TMPDIR is
    # about 50). The server keeps its kernels' files under $TMPDIR: with 65 bytes of it the
    # sockets still fit there, with 95 the kernels listen on loopback, as the real service's do.
    base = tempfile.mkdtemp(prefix="t")
    tmpdir = os.path.join(base, "d" * (length - len(base) - 1))
    os.mkdir(tmpdir)
    monkeypatch.setenv("TMPDIR", tmpdir)
    try:
        with running_server(kernel_pool_size=1) as srv, httpx2.Client(timeout=60) as client:
            api = Api(srv, client)
            assert run(api, "6 * 7") == [{"data": {"text/plain": "42"}}]
            pid = running_kernel(api)  # the pool's, whose connection file stays while it runs
            (kernel,) = [k for k in kernels(api) if k["pid"] == pid]
            assert os.path.dirname(kernel["connectionFile"]).startswith(tmpdir)
            connection = json.loads(Path(kernel["connectionFile"]).read_text())
            assert connection["transport"] == transport
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_pool_size_zero_starts_a_kernel_of_its_own(api: Api) -> None:
    assert run(api, "6 * 7", pool={"size": 0}) == [{"data": {"text/plain": "42"}}]


# -- listJupyterKernels and stopJupyterKernel (launch-kernel.ts) --------------------------------


def kernels(api: Api) -> list[dict[str, Any]]:
    listed = api.call("system.listJupyterKernels", {})
    assert isinstance(listed, list), listed
    return listed


def running_kernel(api: Api) -> int:
    """The pid of a listed kernel process that runs (the warm pool holds some)."""

    def listed_and_running() -> int:
        pids = (int(kernel["pid"]) for kernel in kernels(api))
        return next((p for p in pids if alive(p) and "ipykernel" in " ".join(_cmdline(p))), 0)

    return wait_for(listed_and_running, "a running kernel listed", CALL_CEILING_S)


def test_listed_kernels_have_pid_and_connection_file_only(api: Api) -> None:
    running_kernel(api)  # the warm pool's kernels are listed
    for kernel in kernels(api):
        # kernel_name is read from the kernel.json contents, which have no "name"
        assert set(kernel) == {"pid", "connectionFile"}
        assert isinstance(kernel["pid"], int)
        assert os.path.isabs(kernel["connectionFile"])
        assert re.fullmatch(
            r"kernel-[0-9a-f-]{36}\.json", os.path.basename(kernel["connectionFile"])
        )


def test_kernels_stay_listed_after_their_call(api: Api) -> None:
    before = [k["pid"] for k in kernels(api)]
    run(api, "1")
    after = [k["pid"] for k in kernels(api)]
    assert after[: len(before)] == before
    # The call's kernel is stopped as its answer goes out; once it has exited, it is still listed.
    exited = wait_for(
        lambda: next((pid for pid in after if not alive(pid)), 0),
        "the call's kernel to exit",
        CALL_CEILING_S,
    )
    assert exited in [k["pid"] for k in kernels(api)]


def test_stop_a_running_kernel(api: Api) -> None:
    pid = running_kernel(api)
    assert api.call("system.stopJupyterKernel", {"pid": pid}) == {"success": True}
    assert not alive(pid)
    assert pid not in [k["pid"] for k in kernels(api)]
    assert api.call("system.stopJupyterKernel", {"pid": pid}) == {"success": False}


def test_stop_compares_pids_with_strict_equality(api: Api) -> None:
    pid = running_kernel(api)
    assert api.call("system.stopJupyterKernel", {"pid": str(pid)}) == {"success": False}
    assert alive(pid)
    # 1234.0 in JSON is the number 1234, as in JavaScript
    assert api.call("system.stopJupyterKernel", {"pid": float(pid)}) == {"success": True}
    assert not alive(pid)


def test_stop_a_listed_kernel_that_has_exited(api: Api) -> None:
    run(api, "1")
    pid = next(k["pid"] for k in kernels(api) if not alive(k["pid"]))
    assert api.call("system.stopJupyterKernel", {"pid": pid}) == {"success": True}
    assert pid not in [k["pid"] for k in kernels(api)]


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        # project/conat/api/system.ts destructures {pid} from args[0]
        (
            [],
            {
                "error": "TypeError: Cannot destructure property 'pid' of 'undefined' as it is undefined."
            },
        ),
        (
            [None],
            {"error": "TypeError: Cannot destructure property 'pid' of 'null' as it is null."},
        ),
        ([{}], {"success": False}),
        ([12], {"success": False}),
        (["12"], {"success": False}),
        ([{"pid": 1.5}], {"success": False}),
        ([{"pid": True}], {"success": False}),
        ([{"pid": 1}], {"success": False}),  # a live process, but no kernel of the project
    ],
    ids=str,
)
def test_stop_answers_any_arguments_as_the_real_service(
    api: Api, args: list[Any], answer: dict[str, Any]
) -> None:
    assert api.call("system.stopJupyterKernel", *args) == answer


def test_kernel_json_name_is_reported_when_present(tmp_path: Path) -> None:
    # listRunningKernels reports kernel_spec.name, kernel_spec being the kernel.json contents.
    for folder, spec in (("named", {"name": "custom", "argv": ["x"]}), ("plain", {"argv": ["x"]})):
        (tmp_path / "kernels" / folder).mkdir(parents=True)
        (tmp_path / "kernels" / folder / "kernel.json").write_text(json.dumps(spec))
    env = {"JUPYTER_PATH": str(tmp_path), "HOME": str(tmp_path / "home"), "PATH": ""}
    assert kernel_json_name("named", env) == "custom"
    assert kernel_json_name("plain", env) is ABSENT
    check_kernel_name("named", env)  # found, under its exact folder name


def _cmdline(pid: int) -> list[str]:
    try:
        return list(psutil.Process(pid).cmdline())
    except psutil.Error:
        return []
