"""The contract scenarios: one call each, the request it must send, and its outcome.

Each scenario is one cassette in tests/cassettes/. A documented scenario (the reference page's
examples, docs/wire-protocol.md's error messages) carries the service's documented response, and
`make record` leaves its cassette alone. A recorded scenario has no canned response: `make
record` runs it against the local server (or a real host) and the replay tests then expect the
recorded response.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cocalc_api

CASSETTES = Path(__file__).resolve().parent / "cassettes"
PAGE_KEY = "sk-..."
PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
# The reference page writes project_id='...', which the service refuses (it is no UUID), and
# so does Project before sending; its examples run with a project's id in its place.
PAGE_PROJECT = PROJECT
CONTRACT_KEY = "sk-contract-test-key"
RECORDED_KEY = "sk-recorded-key-scrubbed"
AUTH_ERRORS = {
    "auth_missing": "You must provide authentication via an API key.",
    "auth_unknown_scheme": "Unknown authorization type 'Digest'",
    "auth_bad_key": "must sign in as project or account",
    "auth_project_id_required": "must specify project_id or use project-specific api key",
    "auth_project_mismatch": "project specific api key must match requested project",
    "auth_not_collaborator": "user must be a collaborator on the project",
}
TIMEOUT_408 = (
    f"timeout - callHub: subject='project.{PROJECT}.0.api.-', name='system.exec', code='408' "
)
UNAVAILABLE_503 = (
    f"request -- no subscribers matching 'project.{PROJECT}.0.api.-' - callHub: "
    f"subject='project.{PROJECT}.0.api.-', name='system.ping', code='503' "
)
# A recorded scenario's result is whatever the server sent, checked by `facts`: assertions
# from an independent source (the spec, docs/wire-protocol.md, the CoCalc source, the inputs we chose).
Facts = Callable[[Any], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    call: str  # attribute path on the project, e.g. "system.exec" or "ping"
    kwargs: dict[str, Any]
    body: dict[str, Any]  # the exact JSON the client must send
    response: Any = None  # documented response; None for recorded scenarios
    result: Any = None  # documented result
    facts: Facts | None = None  # recorded scenarios: what must hold of the result or error
    error: type[cocalc_api.CocalcError] | None = None
    error_attrs: dict[str, Any] = field(default_factory=dict)
    api_key: str = CONTRACT_KEY
    project_id: str | None = PROJECT
    args: tuple[Any, ...] = ()  # positional arguments of the call, before kwargs
    api: str = "project"  # or "hub": the call is made on a Hub (tests/hub_scenarios.py)

    @property
    def cassette(self) -> Path:
        folder = CASSETTES / "hub" if self.api == "hub" else CASSETTES
        return folder / f"{self.name}.yaml"

    @property
    def path(self) -> str:
        return "/api/conat/hub" if self.api == "hub" else "/api/conat/project"

    @property
    def documented(self) -> bool:
        return not self.source.startswith("recorded")


def envelope(name: str, args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "args": [args], "project_id": PROJECT, **extra}


def wire(name: str, args: list[Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "project_id": PROJECT, **extra}


def page_envelope(
    name: str, args: dict[str, Any], project_id: str = PAGE_PROJECT, **extra: Any
) -> dict[str, Any]:
    return {"name": name, "args": [args], "project_id": project_id, **extra}


LISTING = [
    {"name": "a.txt", "size": 12, "mtime": 1756489740.133},
    {"name": "sub", "isdir": True, "size": 2, "mtime": 1756489741.5},
    {
        "name": "latest",
        "issymlink": True,
        "link_target": "a.txt",
        "size": 12,
        "mtime": 1756489740.133,
    },
    {"name": ".hidden", "size": 0, "mtime": 1756489742},
]
X11_CONFIGURATION = {
    "timestamp": "2026-11-26T15:18:37.133Z",
    "capabilities": {"xterm": True, "gimp": False, "libreoffice": False},
}
KERNEL_SPECS = [
    {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "interrupt_mode": "signal",
        "env": {},
        "metadata": {"debugger": True, "cocalc": {"priority": 10, "description": "Python 3"}},
        "resource_dir": "/usr/local/share/jupyter/kernels/python3",
        "argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    }
]
CLEAR_CELL = (
    "from IPython.display import clear_output\n"
    "print('x', flush=True)\n"
    "clear_output(wait=True)\n"
    "print('done')"
)
TWO_PRINTS = "import time\nprint('a', flush=True)\ntime.sleep(0.1)\nprint('b', flush=True)"
NOTICE = "Output truncated since it exceeded the cell output limit of 100 characters"
# Three flushed prints of 40 characters: each message is 69 characters of JSON, so the first
# fits the 100-character cell limit and each later one is replaced by a notice.
TRUNCATED = [
    {"name": "stdout", "text": "x" * 40 + "\n"},
    {"name": "stdout", "output_type": "stream", "text": [NOTICE]},
    {"name": "stdout", "output_type": "stream", "text": [NOTICE]},
]
INTERRUPTED = [
    {"name": "stdout", "text": "start\n"},
    {
        "ename": "KeyboardInterrupt",
        "evalue": "",
        "traceback": ["\u001b[0;31mKeyboardInterrupt\u001b[0m: "],
    },
]


PAGE = "reference page (shared/reference/project-api.txt)"
CONTRACT = "docs/wire-protocol.md"

DOCUMENTED = [
    Scenario(
        name="page_exec",
        source=f"{PAGE}: exec example",
        call="system.exec",
        kwargs={"command": "echo 'hello from cocalc'"},
        body=page_envelope(
            "system.exec",
            {"command": "echo 'hello from cocalc'"},
            project_id=PROJECT,
            timeout=65000,
        ),
        response={"stdout": "hello from cocalc\n", "stderr": "", "exit_code": 0},
        result={"stdout": "hello from cocalc\n", "stderr": "", "exit_code": 0},
        api_key=PAGE_KEY,
        project_id=PROJECT,
    ),
    Scenario(
        name="page_jupyter_execute_sum",
        source=f"{PAGE}: jupyter_execute example 1",
        call="system.jupyter_execute",
        kwargs={"input": "sum(range(100))", "kernel": "python3"},
        body=page_envelope(
            "system.jupyterExecute",
            {"input": "sum(range(100))", "kernel": "python3", "timeout": 90},
            timeout=90000,
        ),
        response=[{"data": {"text/plain": "4950"}}],
        result=[{"data": {"text/plain": "4950"}}],
        api_key=PAGE_KEY,
        project_id=PAGE_PROJECT,
    ),
    Scenario(
        name="page_jupyter_execute_history",
        source=f"{PAGE}: jupyter_execute example 2",
        call="system.jupyter_execute",
        kwargs={"history": ["a = 100"], "input": "sum(range(a + 1))", "kernel": "python3"},
        body=page_envelope(
            "system.jupyterExecute",
            {
                "input": "sum(range(a + 1))",
                "kernel": "python3",
                "history": ["a = 100"],
                "timeout": 90,
            },
            timeout=90000,
        ),
        response=[{"data": {"text/plain": "5050"}}],
        result=[{"data": {"text/plain": "5050"}}],
        api_key=PAGE_KEY,
        project_id=PAGE_PROJECT,
    ),
    Scenario(
        name="page_jupyter_execute_print",
        source=f"{PAGE}: jupyter_execute example 3",
        call="system.jupyter_execute",
        kwargs={"input": 'print("Hello")', "kernel": "python3"},
        body=page_envelope(
            "system.jupyterExecute",
            {"input": 'print("Hello")', "kernel": "python3", "timeout": 90},
            timeout=90000,
        ),
        response=[{"name": "stdout", "text": "Hello\n"}],
        result=[{"name": "stdout", "text": "Hello\n"}],
        api_key=PAGE_KEY,
        project_id=PAGE_PROJECT,
    ),
    Scenario(
        name="page_list_jupyter_kernels",
        source=f"{PAGE}: list_jupyter_kernels example",
        call="system.list_jupyter_kernels",
        kwargs={},
        body=page_envelope("system.listJupyterKernels", {}),
        response=[
            {
                "pid": 12345,
                "connectionFile": "/run/user/1000/jupyter/kernel-abc123.json",
                "kernel_name": "python3",
            }
        ],
        result=[
            {
                "pid": 12345,
                "connectionFile": "/run/user/1000/jupyter/kernel-abc123.json",
                "kernel_name": "python3",
            }
        ],
        api_key=PAGE_KEY,
        project_id=PAGE_PROJECT,
    ),
    Scenario(
        name="page_ping",
        source=f"{PAGE}: ping example (project.ping())",
        call="ping",
        kwargs={},
        body=page_envelope("system.ping", {}),
        response={"now": 1756489740133},
        result={"now": 1756489740133},
        api_key=PAGE_KEY,
        project_id=PAGE_PROJECT,
    ),
    Scenario(
        name="page_stop_jupyter_kernel",
        source=f"{PAGE}: stop_jupyter_kernel example",
        call="system.stop_jupyter_kernel",
        kwargs={"pid": 12345},
        body=page_envelope("system.stopJupyterKernel", {"pid": 12345}),
        response={"success": True},
        result={"success": True},
        api_key=PAGE_KEY,
        project_id=PAGE_PROJECT,
    ),
    Scenario(
        name="contract_test",
        source=f"{CONTRACT} §3: system.test",
        call="system.test",
        kwargs={},
        body=envelope("system.test", {}),
        response={"project_id": PROJECT, "server_time": 1756489740133},
        result={"project_id": PROJECT, "server_time": 1756489740133},
    ),
    Scenario(
        name="contract_exec_options",
        source=f"{CONTRACT} §3: exec with every option of the reference page",
        call="system.exec",
        kwargs={
            "command": "ls",
            "args": ["-la"],
            "path": "work",
            "cwd": "/tmp",
            "timeout": 30,
            "max_output": 1000,
            "bash": False,
            "env": {"LANG": "C"},
            "compute_server_id": 0,
        },
        body=envelope(
            "system.exec",
            {
                "command": "ls",
                "args": ["-la"],
                "path": "work",
                "cwd": "/tmp",
                "timeout": 30,
                "max_output": 1000,
                "bash": False,
                "env": {"LANG": "C"},
                "compute_server_id": 0,
            },
            timeout=35000,
        ),
        response={"type": "blocking", "stdout": "total 0\n", "stderr": "", "exit_code": 0},
        result={"type": "blocking", "stdout": "total 0\n", "stderr": "", "exit_code": 0},
    ),
    Scenario(
        name="contract_exec_nonzero",
        source=(
            f"{CONTRACT} §3: exec non-zero exit (a bash script is named as written: "
            "src/packages/backend/execute-code.ts origCommand)"
        ),
        call="system.exec",
        kwargs={"command": "echo oops >&2; exit 42"},
        body=envelope("system.exec", {"command": "echo oops >&2; exit 42"}, timeout=65000),
        response={
            "error": "command 'echo oops >&2; exit 42' exited with nonzero code 42 -- "
            "stderr='oops\n'"
        },
        error=cocalc_api.ExecError,
        error_attrs={"exit_code": 42, "stderr": "oops\n", "command": "echo oops >&2; exit 42"},
    ),
    Scenario(
        name="contract_exec_nonzero_silent",
        source=f"{CONTRACT} §3: exec non-zero exit of a command that writes no stderr",
        call="system.exec",
        kwargs={"command": "false"},
        body=envelope("system.exec", {"command": "false"}, timeout=65000),
        # `command '${x}'` with x = `'false' (args=)`: the quotes double (execute-code.ts).
        response={"error": "command ''false' (args=)' exited with nonzero code 1 -- stderr=''"},
        error=cocalc_api.ExecError,
        error_attrs={"exit_code": 1, "stderr": "", "command": "false"},
    ),
    Scenario(
        name="contract_exec_err_on_exit_false",
        source=f"{CONTRACT} §3: exec with err_on_exit false",
        call="system.exec",
        kwargs={"command": "exit 42", "bash": True, "err_on_exit": False},
        body=envelope(
            "system.exec",
            {"command": "exit 42", "bash": True, "err_on_exit": False},
            timeout=65000,
        ),
        response={"type": "blocking", "stdout": "", "stderr": "", "exit_code": 42},
        result={"type": "blocking", "stdout": "", "stderr": "", "exit_code": 42},
    ),
    Scenario(
        name="contract_exec_killed",
        source=(
            f"{CONTRACT} §3: exec timeout; a command with whitespace runs as a bash script, so "
            "the text names `bash <its script>` (src/packages/backend/execute-code.ts: "
            "killed command '${opts.command} ${opts.args?.join(\" \")}', mkdtemp cocalc-XXXXXX)"
        ),
        call="system.exec",
        kwargs={"command": "sleep 100", "timeout": 1},
        body=envelope("system.exec", {"command": "sleep 100", "timeout": 1}, timeout=2000),
        response={"error": "killed command 'bash /tmp/cocalc-Kq3zXw/a.sh'"},
        error=cocalc_api.ExecTimeoutError,
        error_attrs={"command": "sleep 100", "timeout": 1.0},
    ),
    Scenario(
        name="contract_exec_killed_args",
        source=(
            f"{CONTRACT} §3: exec timeout of a program with args "
            "(src/packages/backend/execute-code.ts)"
        ),
        call="system.exec",
        kwargs={"command": "sleep", "args": ["100"], "timeout": 1},
        body=envelope(
            "system.exec", {"command": "sleep", "args": ["100"], "timeout": 1}, timeout=2000
        ),
        response={"error": "killed command 'sleep 100'"},
        error=cocalc_api.ExecTimeoutError,
        error_attrs={"command": "sleep 100", "timeout": 1.0},
    ),
    Scenario(
        name="contract_exec_async_start",
        source=f"{CONTRACT} §3: exec async_call",
        call="system.exec",
        kwargs={"command": "sleep 1; echo done", "async_call": True},
        body=envelope(
            "system.exec", {"command": "sleep 1; echo done", "async_call": True}, timeout=65000
        ),
        response={
            "type": "async",
            "job_id": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52",
            "status": "running",
            "start": 1756489740133,
            "pid": 4242,
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
        },
        result={
            "type": "async",
            "job_id": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52",
            "status": "running",
            "start": 1756489740133,
            "pid": 4242,
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
        },
    ),
    Scenario(
        name="contract_exec_async_get",
        source=f"{CONTRACT} §3: exec async_get with async_await and async_stats",
        call="system.exec_status",
        kwargs={"job_id": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52", "wait": True, "stats": True},
        body=envelope(
            "system.exec",
            {
                "async_get": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52",
                "async_await": True,
                "async_stats": True,
            },
        ),
        response={
            "type": "async",
            "job_id": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52",
            "status": "completed",
            "start": 1756489740133,
            "pid": 4242,
            "stdout": "done\n",
            "stderr": "",
            "exit_code": 0,
            "elapsed_s": 1.012,
            "stats": [
                {"timestamp": 1756489740633, "mem_rss": 3.5, "cpu_pct": 0.0, "cpu_secs": 0.01}
            ],
        },
        result={
            "type": "async",
            "job_id": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52",
            "status": "completed",
            "start": 1756489740133,
            "pid": 4242,
            "stdout": "done\n",
            "stderr": "",
            "exit_code": 0,
            "elapsed_s": 1.012,
            "stats": [
                {"timestamp": 1756489740633, "mem_rss": 3.5, "cpu_pct": 0.0, "cpu_secs": 0.01}
            ],
        },
    ),
    Scenario(
        name="contract_exec_async_unknown",
        source=f"{CONTRACT} §3: exec async_get of an unknown job",
        call="system.exec_status",
        kwargs={"job_id": "no-such-job"},
        body=envelope("system.exec", {"async_get": "no-such-job"}),
        response={"error": "Error: Async operation 'no-such-job' does not exist."},
        error=cocalc_api.AsyncJobNotFoundError,
    ),
    Scenario(
        name="contract_jupyter_error",
        source=f"{CONTRACT} §3: jupyterExecute error output",
        call="system.jupyter_execute",
        kwargs={"input": "undefined_name", "kernel": "python3"},
        body=envelope(
            "system.jupyterExecute",
            {"input": "undefined_name", "kernel": "python3", "timeout": 90},
            timeout=90000,
        ),
        response=[
            {
                "ename": "NameError",
                "evalue": "name 'undefined_name' is not defined",
                "traceback": ["NameError: name 'undefined_name' is not defined"],
            }
        ],
        result=[
            {
                "ename": "NameError",
                "evalue": "name 'undefined_name' is not defined",
                "traceback": ["NameError: name 'undefined_name' is not defined"],
            }
        ],
    ),
    Scenario(
        name="contract_stop_unknown_kernel",
        source=f"{CONTRACT} §3: stopJupyterKernel of an unknown pid",
        call="system.stop_jupyter_kernel",
        kwargs={"pid": 999999},
        body=envelope("system.stopJupyterKernel", {"pid": 999999}),
        response={"success": False},
        result={"success": False},
    ),
    # -- the rest of the API (docs/wire-protocol.md §4; the CoCalc source files named) ----------------
    Scenario(
        name="contract_version",
        source=f"{CONTRACT} §4: system.version (src/packages/util/smc-version.js)",
        call="system.version",
        kwargs={},
        body=wire("system.version", []),
        response=1783081032,
        result=1783081032,
    ),
    Scenario(
        name="contract_listing",
        source=f"{CONTRACT} §4 Types: DirectoryListingEntry (src/packages/backend/get-listing.ts)",
        call="system.listing",
        kwargs={"path": "work", "hidden": True},
        body=envelope("system.listing", {"path": "work", "hidden": True}),
        response=LISTING,
        result=LISTING,
    ),
    Scenario(
        name="contract_listing_missing",
        source=f"{CONTRACT} §4: listing of a missing folder (node's opendir error)",
        call="system.listing",
        kwargs={"path": "nope"},
        body=envelope("system.listing", {"path": "nope"}),
        response={"error": "Error: ENOENT: no such file or directory, opendir '/home/user/nope'"},
        error=cocalc_api.APIError,
        error_attrs={
            "message": "Error: ENOENT: no such file or directory, opendir '/home/user/nope'"
        },
    ),
    Scenario(
        name="contract_realpath",
        source=f"{CONTRACT} §4: realpath (src/packages/project/browser-websocket/realpath.ts)",
        call="system.realpath",
        kwargs={},
        args=("latest",),
        body=wire("system.realpath", ["latest"]),
        response="runs/2026-11-26",
        result="runs/2026-11-26",
    ),
    Scenario(
        name="contract_realpath_missing",
        source=f"{CONTRACT} §4: realpath of a missing path (an ENOENT error)",
        call="system.realpath",
        kwargs={},
        args=("nope",),
        body=wire("system.realpath", ["nope"]),
        response={"error": "Error: ENOENT: no such file or directory, realpath '/home/user/nope'"},
        error=cocalc_api.APIError,
    ),
    Scenario(
        name="contract_canonical_paths",
        source=(
            f"{CONTRACT} §4: canonicalPaths; outside HOME the absolute HOME/.smc/root form "
            "(src/packages/project/browser-websocket/canonical-path.ts)"
        ),
        call="system.canonical_paths",
        kwargs={},
        args=(["a.txt", "/etc/hosts"],),
        body=wire("system.canonicalPaths", [["a.txt", "/etc/hosts"]]),
        response=["a.txt", "/home/user/.smc/root/etc/hosts"],
        result=["a.txt", "/home/user/.smc/root/etc/hosts"],
    ),
    Scenario(
        name="contract_write_text_file",
        source=f"{CONTRACT} §4: writeTextFileToProject returns null",
        call="system.write_text_file_to_project",
        kwargs={"path": "notes/a.md", "content": "# hi\n"},
        body=envelope("system.writeTextFileToProject", {"path": "notes/a.md", "content": "# hi\n"}),
        response=None,
        result=None,
    ),
    Scenario(
        name="contract_read_text_file",
        source=f"{CONTRACT} §4: readTextFileFromProject returns the text",
        call="system.read_text_file_from_project",
        kwargs={"path": "notes/a.md"},
        body=envelope("system.readTextFileFromProject", {"path": "notes/a.md"}),
        response="# hi\n",
        result="# hi\n",
    ),
    Scenario(
        name="contract_move_files_exists",
        source=f"{CONTRACT} §4: moveFiles onto an existing target (fs-extra's move error)",
        call="system.move_files",
        kwargs={"paths": ["a.txt"], "dest": "sub"},
        body=envelope("system.moveFiles", {"paths": ["a.txt"], "dest": "sub"}),
        response={"error": "Error: dest already exists."},
        error=cocalc_api.APIError,
    ),
    Scenario(
        name="contract_delete_files",
        source=f"{CONTRACT} §4: deleteFiles returns null",
        call="system.delete_files",
        kwargs={"paths": ["a.txt", "old"]},
        body=envelope("system.deleteFiles", {"paths": ["a.txt", "old"]}),
        response=None,
        result=None,
    ),
    Scenario(
        name="contract_signal_no_such_process",
        source=f"{CONTRACT} §4: signal throws the last error, e.g. kill ESRCH",
        call="system.signal",
        kwargs={"signal": 15, "pid": 999999},
        body=envelope("system.signal", {"signal": 15, "pid": 999999}),
        response={"error": "Error: kill ESRCH"},
        error=cocalc_api.APIError,
        error_attrs={"message": "Error: kill ESRCH"},
    ),
    Scenario(
        name="contract_configuration_x11",
        source=(
            f"{CONTRACT} §4 Types: Configuration x11 (src/packages/project/configuration.ts, "
            "src/packages/comm/x11-apps.ts)"
        ),
        call="system.configuration",
        kwargs={},
        args=("x11",),
        body=wire("system.configuration", ["x11"]),
        response=X11_CONFIGURATION,
        result=X11_CONFIGURATION,
    ),
    Scenario(
        name="contract_new_file",
        source=f"{CONTRACT} §4: editor.newFile returns null",
        call="editor.new_file",
        kwargs={},
        args=("scratch/b.py",),
        body=wire("editor.newFile", ["scratch/b.py"]),
        response=None,
        result=None,
    ),
    Scenario(
        name="contract_kernel_logo_unknown",
        source=f"{CONTRACT} §4: jupyterKernelLogo of an unknown kernel",
        call="editor.jupyter_kernel_logo",
        kwargs={"no_cache": True},
        args=("nosuchkernel",),
        body=wire("editor.jupyterKernelLogo", ["nosuchkernel", {"noCache": True}]),
        response={"error": "Error: no such kernel 'nosuchkernel'"},
        error=cocalc_api.APIError,
    ),
    Scenario(
        name="contract_jupyter_kernels",
        source=f"{CONTRACT} §4 Types: KernelSpec (src/packages/util/jupyter/types.ts)",
        call="editor.jupyter_kernels",
        kwargs={},
        body=wire("editor.jupyterKernels", []),
        response=KERNEL_SPECS,
        result=KERNEL_SPECS,
    ),
    Scenario(
        name="contract_sync_close",
        source=f"{CONTRACT} §4: sync.close is a no-op that returns null",
        call="sync.close",
        kwargs={},
        args=("notes/a.md",),
        body=wire("sync.close", ["notes/a.md"]),
        response=None,
        result=None,
    ),
    # -- fidelity: the result shapes the real service sends (docs/wire-protocol.md §4a) ---------------
    Scenario(
        name="contract_jupyter_clear_output",
        source=(
            f"{CONTRACT} §4a: after clear_output the list is emptied and the clear message's "
            "content is pushed (src/packages/jupyter/nbgrader/jupyter-run.ts)"
        ),
        call="system.jupyter_execute",
        kwargs={"input": CLEAR_CELL, "kernel": "python3"},
        body=envelope(
            "system.jupyterExecute",
            {"input": CLEAR_CELL, "kernel": "python3", "timeout": 90},
            timeout=90000,
        ),
        response=[{"wait": True}, {"name": "stdout", "text": "done\n"}],
        result=[{"wait": True}, {"name": "stdout", "text": "done\n"}],
    ),
    Scenario(
        name="contract_jupyter_truncated",
        source=(
            f"{CONTRACT} §4a: the truncation notice, with `text` a LIST "
            "(src/packages/jupyter/nbgrader/jupyter-run.ts)"
        ),
        call="system.jupyter_execute",
        kwargs={
            "input": "for i in range(3): print('x' * 40, flush=True)",
            "kernel": "python3",
            "limits": {"max_output_per_cell": 100},
        },
        body=envelope(
            "system.jupyterExecute",
            {
                "input": "for i in range(3): print('x' * 40, flush=True)",
                "kernel": "python3",
                "timeout": 90,
                "limits": {"max_output_per_cell": 100},
            },
            timeout=90000,
        ),
        response=TRUNCATED,
        result=TRUNCATED,
    ),
    Scenario(
        name="contract_jupyter_interrupted",
        source=(
            f"{CONTRACT} §4a: a cell past its limit is interrupted and its outputs come back, "
            "ending with a KeyboardInterrupt error item"
        ),
        call="system.jupyter_execute",
        kwargs={
            "input": "print('start', flush=True)\nimport time; time.sleep(60)",
            "kernel": "python3",
            "limits": {"timeout_ms_per_cell": 1000},
        },
        body=envelope(
            "system.jupyterExecute",
            {
                "input": "print('start', flush=True)\nimport time; time.sleep(60)",
                "kernel": "python3",
                "timeout": 90,
                "limits": {"timeout_ms_per_cell": 1000},
            },
            timeout=90000,
        ),
        response=INTERRUPTED,
        result=INTERRUPTED,
    ),
    Scenario(
        name="contract_jupyter_two_prints",
        source=f"{CONTRACT} §4a: each iopub message is its own item: two prints, two items",
        call="system.jupyter_execute",
        kwargs={"input": TWO_PRINTS, "kernel": "python3"},
        body=envelope(
            "system.jupyterExecute",
            {"input": TWO_PRINTS, "kernel": "python3", "timeout": 90},
            timeout=90000,
        ),
        response=[{"name": "stdout", "text": "a\n"}, {"name": "stdout", "text": "b\n"}],
        result=[{"name": "stdout", "text": "a\n"}, {"name": "stdout", "text": "b\n"}],
    ),
    Scenario(
        name="contract_list_kernels_without_names",
        source=(
            f"{CONTRACT} §4a: listJupyterKernels: kernel_name in practice absent, connectionFile "
            "may be 'unknown'"
        ),
        call="system.list_jupyter_kernels",
        kwargs={},
        body=envelope("system.listJupyterKernels", {}),
        response=[
            {"pid": 4242, "connectionFile": "/home/user/.local/share/jupyter/runtime/k.json"},
            {"pid": 4243, "connectionFile": "unknown"},
        ],
        result=[
            {"pid": 4242, "connectionFile": "/home/user/.local/share/jupyter/runtime/k.json"},
            {"pid": 4243, "connectionFile": "unknown"},
        ],
    ),
    Scenario(
        name="contract_exec_id_echoed",
        source=(
            f"{CONTRACT} §4a: an `id` in the options is echoed in the result "
            "(src/packages/project/exec_shell_code.ts); the SDK does not send one, but accepts it"
        ),
        call="system.exec",
        kwargs={"command": "date"},
        body=envelope("system.exec", {"command": "date"}, timeout=65000),
        response={
            "id": "a1",
            "type": "blocking",
            "stdout": "Thu Nov 26 15:18:37 UTC 2026\n",
            "stderr": "",
            "exit_code": 0,
        },
        result={
            "id": "a1",
            "type": "blocking",
            "stdout": "Thu Nov 26 15:18:37 UTC 2026\n",
            "stderr": "",
            "exit_code": 0,
        },
    ),
    Scenario(
        name="contract_exec_async_killed",
        source=(
            f"{CONTRACT} §4a: exec status may be 'killed'; stats absent before the first sample "
            "(src/packages/util/types/execute-code.ts)"
        ),
        call="system.exec_status",
        kwargs={"job_id": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52"},
        body=envelope("system.exec", {"async_get": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52"}),
        response={
            "type": "async",
            "job_id": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52",
            "status": "killed",
            "start": 1756489740133,
            "pid": 4242,
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
        },
        result={
            "type": "async",
            "job_id": "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52",
            "status": "killed",
            "start": 1756489740133,
            "pid": 4242,
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
        },
    ),
    Scenario(
        name="contract_exec_compute_server",
        source=(
            f"{CONTRACT} §4a: a compute_server_id with no compute server connected "
            "(src/packages/sync-fs/lib/handle-api-call.ts)"
        ),
        call="system.exec",
        kwargs={"command": "hostname", "compute_server_id": 3},
        body=envelope(
            "system.exec", {"command": "hostname", "compute_server_id": 3}, timeout=65000
        ),
        response={"error": "Error: no connection to compute server -- please start or restart it"},
        error=cocalc_api.APIError,
    ),
    *[
        Scenario(
            name=f"contract_{name}",
            source=f"{CONTRACT} §2: auth error",
            call="system.ping",
            kwargs={},
            body=envelope("system.ping", {}),
            response={"error": message},
            error=cocalc_api.AuthenticationError,
            error_attrs={"message": message, "method": "system.ping"},
        )
        for name, message in AUTH_ERRORS.items()
    ],
    Scenario(
        name="contract_unknown_function",
        source=f"{CONTRACT} §2: unknown method (a server without listJupyterKernels)",
        call="system.list_jupyter_kernels",
        kwargs={},
        body=envelope("system.listJupyterKernels", {}),
        response={"error": "Error: unknown function 'system.listJupyterKernels'"},
        error=cocalc_api.UnknownFunctionError,
    ),
    Scenario(
        name="contract_server_timeout",
        source=f"{CONTRACT} §2: server-side timeout (408)",
        call="system.exec",
        kwargs={"command": "sleep 30", "timeout": 20},
        body=envelope("system.exec", {"command": "sleep 30", "timeout": 20}, timeout=25000),
        response={"error": TIMEOUT_408},
        error=cocalc_api.ServerTimeoutError,
        error_attrs={"message": TIMEOUT_408},
    ),
    Scenario(
        name="contract_project_unavailable",
        source=f"{CONTRACT} §2: project not reachable (503)",
        call="system.ping",
        kwargs={},
        body=envelope("system.ping", {}),
        response={"error": UNAVAILABLE_503},
        error=cocalc_api.ProjectUnavailableError,
    ),
    Scenario(
        name="contract_project_exception",
        source=f"{CONTRACT} §2: an exception inside the project",
        call="system.test",
        kwargs={},
        body=envelope("system.test", {}),
        response={"error": "Error: ENOENT: no such file or directory"},
        error=cocalc_api.APIError,
        error_attrs={"message": "Error: ENOENT: no such file or directory"},
    ),
]

# -- facts for recorded results --------------------------------------------------------------

RECORDING_STARTED_MS = 1_756_000_000_000  # any recording is newer than this (2025-08)
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["old\n"]}],
            "source": ["2 + 2"],
        }
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
HELLO = "hello from the recorder\n"


def _milliseconds_now(value: Any) -> None:
    # A time in ms since the epoch (docs/wire-protocol.md §3), and a recent one.
    assert isinstance(value, int) and RECORDING_STARTED_MS < value < 4_102_444_800_000


def _ping(result: Any) -> None:
    assert set(result) == {"now"}
    _milliseconds_now(result["now"])


def _test(result: Any) -> None:
    assert result["project_id"] == PROJECT  # the recorder writes the fixed id for the real one
    _milliseconds_now(result["server_time"])


def _date(result: Any) -> None:
    # date(1)'s default format, e.g. "Thu Nov 26 15:18:37 UTC 2026".
    assert result["exit_code"] == 0 and result["stderr"] == ""
    assert re.fullmatch(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \w+ \d{4}\n", result["stdout"])


def _killed(error: Any) -> None:
    # A whitespace command runs as `bash <mkdtemp(cocalc-XXXXXX)>/a.sh` (execute-code.ts).
    assert re.fullmatch(r"killed command 'bash /\S*/cocalc-\w{6}/a\.sh'", error.message)


def _sum(result: Any) -> None:
    assert result == [{"data": {"text/plain": "4950"}}]  # the reference page's example


def _name_error(result: Any) -> None:
    (item,) = result
    assert (item["ename"], item["evalue"]) == ("NameError", "name 'undefined_name' is not defined")
    assert any("NameError" in line for line in item["traceback"])


def _kernels(result: Any) -> None:
    # Every kernel the project launched; kernel_name absent in practice (docs/wire-protocol.md §4a).
    assert result, "the server starts a warm kernel"
    for kernel in result:
        assert isinstance(kernel["pid"], int) and kernel["pid"] > 0
        assert isinstance(kernel["connectionFile"], str)
        assert "kernel_name" not in kernel


def _equals(expected: Any) -> Facts:
    def check(result: Any) -> None:
        assert result == expected

    return check


def _enoent_open(path: str) -> Facts:
    # node's text for open() of a missing file (docs/wire-protocol.md §4: a missing file is ENOENT).
    def check(error: Any) -> None:
        pattern = rf"Error: ENOENT: no such file or directory, open '\S*{re.escape(path)}'"
        assert re.fullmatch(pattern, error.message), error.message

    return check


def _version(result: Any) -> None:
    assert isinstance(result, int) and result > 0


def _listing(result: Any) -> None:
    # What the recorder wrote before listing: notes/hello.txt and notes/sub/.
    by_name = {entry["name"]: entry for entry in result}
    assert set(by_name) == {"hello.txt", "sub"}
    assert by_name["hello.txt"]["size"] == len(HELLO.encode())
    assert "isdir" not in by_name["hello.txt"]
    assert by_name["sub"]["isdir"] is True and by_name["sub"]["size"] == 0
    assert abs(by_name["hello.txt"]["mtime"] - time.time()) < 10 * 365 * 86400


def _main_configuration(result: Any) -> None:
    capabilities = result["capabilities"]
    assert {"jupyter", "formatting", "hashsums", "latex", "homeDirectory"} <= set(capabilities)
    assert set(capabilities["hashsums"]) == {"sha1sum", "sha256sum", "md5sum"}
    assert capabilities["formatting"]["prettier"] is True  # always true (configuration.ts)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", result["timestamp"])


def _kernel_specs(result: Any) -> None:
    names = [spec["name"] for spec in result]
    assert "python3" in names
    assert [spec["display_name"] for spec in result] == sorted(s["display_name"] for s in result)
    python = result[names.index("python3")]
    assert python["language"] == "python" and "{connection_file}" in python["argv"]


def _logo(result: Any) -> None:
    # The first `logo-*` file, reverse-sorted so svg comes before png (logo.ts); the bytes
    # are that image's.
    name = result["filename"]
    assert re.fullmatch(r"logo-[\w.-]+\.(svg|png)", name), name
    data = base64.b64decode(result["base64"])
    if name.endswith(".svg"):
        assert data.lstrip().startswith((b"<?xml", b"<svg")), data[:40]
    else:
        assert data.startswith(b"\x89PNG\r\n\x1a\n")


def _stripped(result: Any) -> None:
    notebook = json.loads(result)
    assert notebook["cells"][0]["outputs"] == []
    assert notebook["cells"][0]["source"] == ["2 + 2"]


def _ran(result: Any) -> None:
    notebook = json.loads(result)
    outputs = notebook["cells"][0]["outputs"]
    assert {"data": {"text/plain": "4"}} in outputs


RECORDED_SCENARIOS = [
    Scenario(
        name="recorded_ping",
        source="recorded: ping",
        call="system.ping",
        kwargs={},
        body=envelope("system.ping", {}),
        facts=_ping,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_test",
        source="recorded: test",
        call="system.test",
        kwargs={},
        body=envelope("system.test", {}),
        facts=_test,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_exec_date",
        source="recorded: exec date",
        call="system.exec",
        kwargs={"command": "date"},
        body=envelope("system.exec", {"command": "date"}, timeout=65000),
        facts=_date,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_exec_nonzero",
        source="recorded: exec non-zero exit",
        call="system.exec",
        kwargs={"command": "echo oops >&2; exit 42", "bash": True},
        body=envelope(
            "system.exec", {"command": "echo oops >&2; exit 42", "bash": True}, timeout=65000
        ),
        error=cocalc_api.ExecError,
        error_attrs={"exit_code": 42, "stderr": "oops\n", "command": "echo oops >&2; exit 42"},
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_exec_killed",
        source="recorded: exec killed at its timeout",
        call="system.exec",
        kwargs={"command": "sleep 30", "timeout": 1},
        body=envelope("system.exec", {"command": "sleep 30", "timeout": 1}, timeout=2000),
        error=cocalc_api.ExecTimeoutError,
        error_attrs={"command": "sleep 30", "timeout": 1.0},
        facts=_killed,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_jupyter_execute",
        source="recorded: jupyter_execute sum(range(100))",
        call="system.jupyter_execute",
        kwargs={"input": "sum(range(100))", "kernel": "python3"},
        body=envelope(
            "system.jupyterExecute",
            {"input": "sum(range(100))", "kernel": "python3", "timeout": 90},
            timeout=90000,
        ),
        facts=_sum,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_jupyter_error",
        source="recorded: jupyter_execute raising NameError",
        call="system.jupyter_execute",
        kwargs={"input": "undefined_name", "kernel": "python3"},
        body=envelope(
            "system.jupyterExecute",
            {"input": "undefined_name", "kernel": "python3", "timeout": 90},
            timeout=90000,
        ),
        facts=_name_error,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_list_jupyter_kernels",
        source="recorded: list_jupyter_kernels",
        call="system.list_jupyter_kernels",
        kwargs={},
        body=envelope("system.listJupyterKernels", {}),
        facts=_kernels,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_stop_unknown_kernel",
        source="recorded: stop_jupyter_kernel of an unknown pid",
        call="system.stop_jupyter_kernel",
        kwargs={"pid": 999999},
        body=envelope("system.stopJupyterKernel", {"pid": 999999}),
        facts=_equals({"success": False}),  # docs/wire-protocol.md §3
        api_key=RECORDED_KEY,
    ),
    # The rest of the API, in an order that builds what later calls read.
    Scenario(
        name="recorded_version",
        source="recorded: system.version",
        call="system.version",
        kwargs={},
        body=wire("system.version", []),
        facts=_version,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_write_text_file",
        source="recorded: system.write_text_file_to_project",
        call="system.write_text_file_to_project",
        kwargs={"path": "notes/hello.txt", "content": HELLO},
        body=envelope(
            "system.writeTextFileToProject", {"path": "notes/hello.txt", "content": HELLO}
        ),
        facts=_equals(None),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_read_text_file",
        source="recorded: system.read_text_file_from_project",
        call="system.read_text_file_from_project",
        kwargs={"path": "notes/hello.txt"},
        body=envelope("system.readTextFileFromProject", {"path": "notes/hello.txt"}),
        facts=_equals(HELLO),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_new_file",
        source="recorded: editor.new_file of a file in a new folder",
        call="editor.new_file",
        kwargs={},
        args=("notes/sub/.keep",),
        body=wire("editor.newFile", ["notes/sub/.keep"]),
        facts=_equals(None),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_listing",
        source="recorded: system.listing",
        call="system.listing",
        kwargs={"path": "notes"},
        body=envelope("system.listing", {"path": "notes"}),
        facts=_listing,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_realpath",
        source="recorded: system.realpath of a path that is no link",
        call="system.realpath",
        kwargs={},
        args=("notes/hello.txt",),
        body=wire("system.realpath", ["notes/hello.txt"]),
        facts=_equals("notes/hello.txt"),  # realpath.ts returns the input
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_canonical_paths",
        source="recorded: system.canonical_paths",
        call="system.canonical_paths",
        kwargs={},
        args=(["notes/sub/../hello.txt", "notes"],),
        body=wire("system.canonicalPaths", [["notes/sub/../hello.txt", "notes"]]),
        facts=_equals(["notes/hello.txt", "notes"]),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_rename_file",
        source="recorded: system.rename_file",
        call="system.rename_file",
        kwargs={"src": "notes/hello.txt", "dest": "notes/renamed.txt"},
        body=envelope("system.renameFile", {"src": "notes/hello.txt", "dest": "notes/renamed.txt"}),
        facts=_equals(None),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_move_files",
        source="recorded: system.move_files",
        call="system.move_files",
        kwargs={"paths": ["notes/renamed.txt"], "dest": "notes/sub"},
        body=envelope("system.moveFiles", {"paths": ["notes/renamed.txt"], "dest": "notes/sub"}),
        facts=_equals(None),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_read_missing_file",
        source="recorded: system.read_text_file_from_project of a moved file",
        call="system.read_text_file_from_project",
        kwargs={"path": "notes/renamed.txt"},
        body=envelope("system.readTextFileFromProject", {"path": "notes/renamed.txt"}),
        error=cocalc_api.APIError,
        facts=_enoent_open("notes/renamed.txt"),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_delete_files",
        source="recorded: system.delete_files",
        call="system.delete_files",
        kwargs={"paths": ["notes/sub", "notes/never-was"]},
        body=envelope("system.deleteFiles", {"paths": ["notes/sub", "notes/never-was"]}),
        facts=_equals(None),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_configuration_main",
        source="recorded: system.configuration('main')",
        call="system.configuration",
        kwargs={},
        args=("main",),
        body=wire("system.configuration", ["main"]),
        facts=_main_configuration,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_signal_no_such_process",
        source="recorded: system.signal to a pid that does not exist",
        call="system.signal",
        kwargs={"signal": 0, "pid": 4_000_000},
        body=envelope("system.signal", {"signal": 0, "pid": 4_000_000}),
        error=cocalc_api.APIError,
        error_attrs={"message": "Error: kill ESRCH"},  # docs/wire-protocol.md §4
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_jupyter_kernels",
        source="recorded: editor.jupyter_kernels",
        call="editor.jupyter_kernels",
        kwargs={},
        body=wire("editor.jupyterKernels", []),
        facts=_kernel_specs,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_kernel_logo",
        source="recorded: editor.jupyter_kernel_logo('python3')",
        call="editor.jupyter_kernel_logo",
        kwargs={},
        args=("python3",),
        body=wire("editor.jupyterKernelLogo", ["python3"]),
        facts=_logo,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_formatter_string",
        source="recorded: editor.formatter_string with the python parser (yapf)",
        call="editor.formatter_string",
        kwargs={"text": "x=[1,2 ,3]\n", "options": {"parser": "python"}},
        body=envelope(
            "editor.formatterString", {"str": "x=[1,2 ,3]\n", "options": {"parser": "python"}}
        ),
        facts=_equals("x = [1, 2, 3]\n"),  # PEP 8 spacing, as yapf's pep8 style writes it
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_write_notebook",
        source="recorded: a notebook with an old output, for the notebook methods",
        call="system.write_text_file_to_project",
        kwargs={"path": "nb/a.ipynb", "content": json.dumps(NOTEBOOK)},
        body=envelope(
            "system.writeTextFileToProject", {"path": "nb/a.ipynb", "content": json.dumps(NOTEBOOK)}
        ),
        facts=_equals(None),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_strip_notebook",
        source="recorded: editor.jupyter_strip_notebook",
        call="editor.jupyter_strip_notebook",
        kwargs={},
        args=("nb/a.ipynb",),
        body=wire("editor.jupyterStripNotebook", ["nb/a.ipynb"]),
        facts=_stripped,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_run_notebook",
        source="recorded: editor.jupyter_run_notebook",
        call="editor.jupyter_run_notebook",
        kwargs={"path": "nb", "ipynb": json.dumps(NOTEBOOK)},
        body=envelope("editor.jupyterRunNotebook", {"path": "nb", "ipynb": json.dumps(NOTEBOOK)}),
        facts=_ran,
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_nbconvert",
        source="recorded: editor.jupyter_nbconvert to html",
        call="editor.jupyter_nbconvert",
        kwargs={"args": ["a.ipynb", "--to", "html"], "directory": "nb"},
        body=envelope(
            "editor.jupyterNbconvert",
            {"args": ["a.ipynb", "--to", "html"], "directory": "nb"},
            timeout=65000,
        ),
        facts=_equals(None),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_sync_close",
        source="recorded: sync.close",
        call="sync.close",
        kwargs={},
        args=("nb/a.ipynb",),
        body=wire("sync.close", ["nb/a.ipynb"]),
        facts=_equals(None),
        api_key=RECORDED_KEY,
    ),
]

SCENARIOS = DOCUMENTED + RECORDED_SCENARIOS
