"""The contract scenarios: one call each, the request it must send, and its outcome.

Each scenario is one cassette in tests/cassettes/. A documented scenario (the reference page's
examples, CONTRACT.md's error messages) carries the service's documented response, and
`make record` leaves its cassette alone. A recorded scenario has no canned response: `make
record` runs it against the local server (or a real host) and the replay tests then expect the
recorded response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cocalc_api

CASSETTES = Path(__file__).resolve().parent / "cassettes"
PAGE_KEY = "sk-..."
PAGE_PROJECT = "..."
PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
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
RECORDED = object()  # the expected result is whatever the cassette recorded


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    call: str  # attribute path on the project, e.g. "system.exec" or "ping"
    kwargs: dict[str, Any]
    body: dict[str, Any]  # the exact JSON the client must send
    response: Any = None  # documented response; None for recorded scenarios
    result: Any = RECORDED
    error: type[cocalc_api.CocalcError] | None = None
    error_attrs: dict[str, Any] = field(default_factory=dict)
    api_key: str = CONTRACT_KEY
    project_id: str | None = PROJECT

    @property
    def cassette(self) -> Path:
        return CASSETTES / f"{self.name}.yaml"

    @property
    def documented(self) -> bool:
        return not self.source.startswith("recorded")


def envelope(name: str, args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "args": [args], "project_id": PROJECT, **extra}


def page_envelope(
    name: str, args: dict[str, Any], project_id: str = PAGE_PROJECT, **extra: Any
) -> dict[str, Any]:
    return {"name": name, "args": [args], "project_id": project_id, **extra}


PAGE = "reference page (shared/reference/project-api.txt)"
CONTRACT = "CONTRACT.md"

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
        source=f"{CONTRACT} §3: exec non-zero exit",
        call="system.exec",
        kwargs={"command": "exit 42", "bash": True},
        body=envelope("system.exec", {"command": "exit 42", "bash": True}, timeout=65000),
        response={"error": "command 'exit 42' exited with nonzero code 42 -- stderr='oops\n'"},
        error=cocalc_api.ExecError,
        error_attrs={"exit_code": 42, "stderr": "oops\n", "command": "exit 42"},
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
        source=f"{CONTRACT} §3: exec timeout",
        call="system.exec",
        kwargs={"command": "sleep 100", "timeout": 1},
        body=envelope("system.exec", {"command": "sleep 100", "timeout": 1}, timeout=6000),
        response={"error": "killed command 'sleep 100'"},
        error=cocalc_api.ExecTimeoutError,
        error_attrs={"command": "sleep 100"},
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

RECORDED_SCENARIOS = [
    Scenario(
        name="recorded_ping",
        source="recorded: ping",
        call="system.ping",
        kwargs={},
        body=envelope("system.ping", {}),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_test",
        source="recorded: test",
        call="system.test",
        kwargs={},
        body=envelope("system.test", {}),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_exec_date",
        source="recorded: exec date",
        call="system.exec",
        kwargs={"command": "date"},
        body=envelope("system.exec", {"command": "date"}, timeout=65000),
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
        error_attrs={"exit_code": 42, "stderr": "oops\n"},
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_exec_killed",
        source="recorded: exec killed at its timeout",
        call="system.exec",
        kwargs={"command": "sleep 30", "timeout": 1},
        body=envelope("system.exec", {"command": "sleep 30", "timeout": 1}, timeout=6000),
        error=cocalc_api.ExecTimeoutError,
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
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_list_jupyter_kernels",
        source="recorded: list_jupyter_kernels",
        call="system.list_jupyter_kernels",
        kwargs={},
        body=envelope("system.listJupyterKernels", {}),
        api_key=RECORDED_KEY,
    ),
    Scenario(
        name="recorded_stop_unknown_kernel",
        source="recorded: stop_jupyter_kernel of an unknown pid",
        call="system.stop_jupyter_kernel",
        kwargs={"pid": 999999},
        body=envelope("system.stopJupyterKernel", {"pid": 999999}),
        api_key=RECORDED_KEY,
    ),
]

SCENARIOS = DOCUMENTED + RECORDED_SCENARIOS
