"""Calling the SDK against the hostile server, and checking what came back.

Three kinds of client: Project ("sync"), AsyncProject ("async"), and AsyncProject over
`cocalc_api.DefaultAioHttpClient` ("aiohttp"), which must end every fault in the same typed
exception. Two more, for faults met while reading an answer, pass in httpx2's own client:
"sync-httpx2" (`Project(http_client=httpx2.Client())`) and "async-httpx2" (its AsyncClient,
httpx2's own pool).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx2

import cocalc_api

KEY = "sk-SECRET-abc123"
TOKEN = base64.b64encode(f"{KEY}:".encode()).decode("ascii")
SECRETS = (KEY, TOKEN)
PROJECT_ID = "9a3c1c1e-5b7a-4c55-9b1d-0c1c2f3e4d5a"
KINDS = ("sync", "async", "aiohttp")
EVERY_CLIENT = (*KINDS, "sync-httpx2", "async-httpx2")
# Tests of code that is the same whatever the HTTP client (settings, warnings) run with these.
HTTPX_KINDS = ("sync", "async")
TESTS_DIR = str(Path(__file__).resolve().parent)

E = TypeVar("E", bound=BaseException)


@dataclass(frozen=True)
class Target:
    """One SDK method: how to call it, its wire name, and bodies of each shape for it."""

    path: str  # attribute path on the project, e.g. "system.exec"
    wire: str
    args: dict[str, Any]
    valid: Any
    wrong_types: Any
    missing_fields: Any
    timeout_param: bool = False  # has its own `timeout` argument (else with_options(timeout=))
    retry_safe: bool = False


EXEC_RESULT = {"type": "blocking", "stdout": "hi\n", "stderr": "", "exit_code": 0}
TARGETS = {
    "ping": Target(
        "ping",
        "system.ping",
        {},
        valid={"now": 1_700_000_000_000},
        wrong_types={"now": "yesterday"},
        missing_fields={},
        retry_safe=True,
    ),
    "test": Target(
        "system.test",
        "system.test",
        {},
        valid={"project_id": PROJECT_ID, "server_time": 1},
        wrong_types={"project_id": PROJECT_ID, "server_time": "noon"},
        missing_fields={"project_id": PROJECT_ID},
        retry_safe=True,
    ),
    "exec_status": Target(
        "system.exec_status",
        "system.exec",
        {"job_id": "3c0f2b9e-0000-4000-8000-000000000001"},
        valid={**EXEC_RESULT, "type": "async", "job_id": "j", "status": "completed", "start": 1},
        wrong_types={**EXEC_RESULT, "exit_code": "zero"},
        missing_fields={"stdout": "x"},
        retry_safe=True,
    ),
    "list_jupyter_kernels": Target(
        "system.list_jupyter_kernels",
        "system.listJupyterKernels",
        {},
        valid=[{"pid": 7, "connectionFile": "/tmp/k.json"}],
        wrong_types=[{"pid": "seven", "connectionFile": "/tmp/k.json"}],
        missing_fields=[{"pid": 7}],
        retry_safe=True,
    ),
    "exec": Target(
        "system.exec",
        "system.exec",
        {"command": "echo hi"},
        valid=EXEC_RESULT,
        wrong_types={"stdout": 1, "stderr": "", "exit_code": 0},
        missing_fields={"stdout": "x"},
        timeout_param=True,
    ),
    "jupyter_execute": Target(
        "system.jupyter_execute",
        "system.jupyterExecute",
        {"input": "1 + 1", "kernel": "python3"},
        valid=[{"data": {"text/plain": "2"}}],
        wrong_types=[{"name": "stdout", "text": 5}],
        missing_fields=[{"name": "stdout"}],
        timeout_param=True,
    ),
    "stop_jupyter_kernel": Target(
        "system.stop_jupyter_kernel",
        "system.stopJupyterKernel",
        {"pid": 4242},
        valid={"success": True},
        wrong_types={"success": "yes"},
        missing_fields={},
        retry_safe=True,  # idempotent (docs/wire-protocol.md §4): stopping twice ends the same
    ),
}
NON_IDEMPOTENT = ("exec", "jupyter_execute")

BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def error_408(target: Target) -> str:
    # docs/wire-protocol.md section 2, trailing space included.
    return (
        f"timeout - callHub: subject='project.{PROJECT_ID}.0.api.-', "
        f"name='{target.wire}', code='408' "
    )


def error_503(target: Target) -> str:
    subject = f"project.{PROJECT_ID}.0.api.-"
    return (
        f"request -- no subscribers matching '{subject}' - callHub: subject='{subject}', "
        f"name='{target.wire}', code='503' "
    )


@dataclass
class Outcome:
    result: Any = None
    error: BaseException | None = None
    elapsed: float = 0.0  # seconds spent in the call itself

    def raised(self, expected: type[E]) -> E:
        assert isinstance(self.error, expected), (
            f"expected {expected.__name__}, got {self.error!r} (result {self.result!r})"
        )
        return self.error


@dataclass
class Call:
    """What to call and how the project is set up."""

    target: Target
    args: dict[str, Any] = field(default_factory=dict)
    max_retries: int = 1
    options: dict[str, Any] = field(default_factory=dict)  # for with_options(...)
    key: str = KEY
    settings: dict[str, Any] = field(default_factory=dict)  # more for Project(...)

    def method(self, project: Any) -> Any:
        for part in self.target.path.split("."):
            project = getattr(project, part)
        return project

    def all_args(self) -> dict[str, Any]:
        return {**self.target.args, **self.args}


def run(kind: str, host: str, call: Call, client_timeout: float | None = None) -> Outcome:
    """Make one SDK call with Project (sync) or AsyncProject (in a fresh event loop; over a
    DefaultAioHttpClient for "aiohttp"), made with `timeout=client_timeout`."""
    if kind.startswith("sync"):
        return _run_sync(host, call, client_timeout, own_pool=kind == "sync-httpx2")
    return asyncio.run(_run_async(host, call, client_timeout, kind=kind))


def _run_sync(
    host: str, call: Call, client_timeout: float | None = None, *, own_pool: bool = False
) -> Outcome:
    with (
        httpx2.Client() if own_pool else contextlib.nullcontext() as http,
        cocalc_api.Project(
            call.key,
            host=host,
            project_id=PROJECT_ID,
            max_retries=call.max_retries,
            timeout=client_timeout,
            http_client=http,
            **call.settings,
        ) as project,
    ):
        client = project.with_options(**call.options) if call.options else project
        method, args = call.method(client), call.all_args()
        started = time.monotonic()
        try:
            result = method(**args)
        except Exception as error:  # noqa: BLE001 -- the test judges the type
            return Outcome(error=error, elapsed=time.monotonic() - started)
        return Outcome(result=result, elapsed=time.monotonic() - started)


async def _run_async(
    host: str, call: Call, client_timeout: float | None = None, *, kind: str = "async"
) -> Outcome:
    makers = {"aiohttp": cocalc_api.DefaultAioHttpClient, "async-httpx2": httpx2.AsyncClient}
    async with contextlib.AsyncExitStack() as stack:
        make = makers.get(kind)
        http = None if make is None else await stack.enter_async_context(make())
        async with cocalc_api.AsyncProject(
            call.key,
            host=host,
            project_id=PROJECT_ID,
            max_retries=call.max_retries,
            timeout=client_timeout,
            http_client=http,
            **call.settings,
        ) as project:
            outcome = await _call_async(project, call)
        # A client passed in is the caller's to close: AsyncProject.aclose() leaves it open.
        assert http is None or not http.is_closed
    assert http is None or http.is_closed
    return outcome


async def _call_async(project: cocalc_api.AsyncProject, call: Call) -> Outcome:
    client = project.with_options(**call.options) if call.options else project
    method, args = call.method(client), call.all_args()
    started = time.monotonic()
    try:
        result = await method(**args)
    except Exception as error:  # noqa: BLE001 -- the test judges the type
        return Outcome(error=error, elapsed=time.monotonic() - started)
    return Outcome(result=result, elapsed=time.monotonic() - started)


# -- secret hygiene ---------------------------------------------------------------------------


def leaks(text: str) -> list[str]:
    """The secrets (key, Basic token) found in `text`."""
    return [secret for secret in SECRETS if secret in text]


def _exception_texts(error: BaseException, frame_locals: bool) -> Iterator[str]:
    yield str(error)
    yield repr(error)
    yield from (str(arg) for arg in error.args)
    yield from (str(value) for value in vars(error).values())
    yield "".join(traceback.format_exception(error))
    if not frame_locals:
        return
    # What `pytest --showlocals` or an error tracker would show: the locals of every SDK frame
    # (the test's own frames hold the key on purpose, so they are left out).
    stack: list[traceback.TracebackException] = [
        traceback.TracebackException.from_exception(error, capture_locals=True)
    ]
    while stack:
        current = stack.pop()
        for frame in current.stack:
            if not frame.filename.startswith(TESTS_DIR):
                yield from (frame.locals or {}).values()
        if current.__cause__ is not None:
            stack.append(current.__cause__)
        if current.__context__ is not None and not current.__suppress_context__:
            stack.append(current.__context__)


def assert_no_secret_in_error(error: BaseException, *, frame_locals: bool = True) -> None:
    """No secret in the error's message, repr, attributes, formatted traceback and (unless
    `frame_locals` is False) the locals of the SDK's frames in that traceback."""
    for text in _exception_texts(error, frame_locals):
        assert not leaks(text), f"secret in {type(error).__name__}: {text[:300]!r}"


def assert_no_secret_in_logs(records: list[logging.LogRecord]) -> None:
    assert any(r.name == "cocalc_api" for r in records), "the cocalc_api logger logged nothing"
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        assert not leaks(text), f"secret in log record {record.name}: {text[:300]!r}"
