"""What mypy must infer for users of the SDK. Never run: only type-checked (test_typing.py).

Every `assert_type` below is a claim about the public API: the return type of each method of
`Project` and `AsyncProject`, the fields of the result TypedDicts, and the context managers.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Literal, assert_type

import httpx

import cocalc_api
from cocalc_api import AsyncProject, Project
from cocalc_api.types import (
    ExecStat,
    ExecuteCodeOutput,
    JupyterDataOutput,
    JupyterErrorOutput,
    JupyterKernel,
    JupyterOutputItem,
    JupyterStreamOutput,
    PingResult,
    SuccessResult,
    TestResult,
)


def sync_methods(project: Project) -> None:
    assert_type(project.ping(), PingResult)
    assert_type(project.system.ping(), PingResult)
    assert_type(project.system.test(), TestResult)
    assert_type(project.system.exec(command="ls"), ExecuteCodeOutput)
    assert_type(
        project.system.exec(
            command="ls",
            args=["-l"],
            path=".",
            cwd="/tmp",
            timeout=1.5,
            max_output=100,
            bash=False,
            env={"A": "1"},
            async_call=False,
            compute_server_id=0,
            err_on_exit=False,
        ),
        ExecuteCodeOutput,
    )
    assert_type(project.system.exec_status(job_id="j"), ExecuteCodeOutput)
    assert_type(project.system.exec_status(job_id="j", wait=True, stats=True), ExecuteCodeOutput)
    assert_type(
        project.system.jupyter_execute(input="1", kernel="python3"), list[JupyterOutputItem]
    )
    assert_type(
        project.system.jupyter_execute(
            input="1", kernel="python3", history=["a = 1"], path="x.ipynb", timeout=5
        ),
        list[JupyterOutputItem],
    )
    assert_type(project.system.list_jupyter_kernels(), list[JupyterKernel])
    assert_type(project.system.stop_jupyter_kernel(pid=1), SuccessResult)


async def async_methods(project: AsyncProject) -> None:
    assert_type(await project.ping(), PingResult)
    assert_type(await project.system.ping(), PingResult)
    assert_type(await project.system.test(), TestResult)
    assert_type(await project.system.exec(command="ls"), ExecuteCodeOutput)
    assert_type(await project.system.exec_status(job_id="j", wait=True), ExecuteCodeOutput)
    assert_type(
        await project.system.jupyter_execute(input="1", kernel="python3"),
        list[JupyterOutputItem],
    )
    assert_type(await project.system.list_jupyter_kernels(), list[JupyterKernel])
    assert_type(await project.system.stop_jupyter_kernel(pid=1), SuccessResult)
    # Not awaited: a coroutine (and mypy flags a bare `project.ping()` as unused-coroutine).
    pending = assert_type(project.ping(), Coroutine[Any, Any, PingResult])
    assert_type(await pending, PingResult)


def result_fields(project: Project) -> None:
    ping = project.ping()
    assert_type(ping["now"], int)
    test = project.system.test()
    assert_type(test["project_id"], str)
    assert_type(test["server_time"], int)

    out = project.system.exec(command="ls")
    assert_type(out["stdout"], str)
    assert_type(out["stderr"], str)
    assert_type(out["exit_code"], int)
    assert_type(out.get("type"), Literal["blocking", "async"] | None)
    assert_type(out.get("status"), Literal["running", "completed", "error"] | None)
    assert_type(out.get("job_id"), str | None)
    assert_type(out.get("elapsed_s"), float | None)
    assert_type(out.get("stats"), list[ExecStat] | None)
    for stat in out.get("stats", []):
        assert_type(stat["mem_rss"], float)

    for kernel in project.system.list_jupyter_kernels():
        assert_type(kernel["pid"], int)
        assert_type(kernel["connectionFile"], str)
        assert_type(kernel.get("kernel_name"), str | None)

    assert_type(project.system.stop_jupyter_kernel(pid=1)["success"], bool)


def narrowing(project: Project) -> None:
    for item in project.system.jupyter_execute(input="1", kernel="python3"):
        assert_type(item, JupyterStreamOutput | JupyterDataOutput | JupyterErrorOutput)
        # The output TypedDicts are @final, so a key each one requires tells them apart.
        if "data" in item:
            assert_type(item, JupyterDataOutput)
            assert_type(item["data"], dict[str, Any])
            assert_type(item.get("metadata"), dict[str, Any] | None)
        elif "ename" in item:
            assert_type(item, JupyterErrorOutput)
            assert_type(item["traceback"], list[str])
        else:
            assert_type(item, JupyterStreamOutput)
            assert_type(item["name"], Literal["stdout", "stderr"])
            assert_type(item["text"], str)
        if "text" not in item and "data" not in item:
            assert_type(item, JupyterErrorOutput)
            assert_type(item["traceback"], list[str])


class MyProject(Project):
    pass


def context_managers() -> None:
    with Project(api_key="sk-...", host="https://cocalc.com", project_id="p") as project:
        assert_type(project, Project)
        assert_type(project.ping(), PingResult)
    with MyProject(api_key="sk-...") as mine:
        assert_type(mine, MyProject)
        assert_type(mine.with_options(timeout=5), MyProject)
    with Project(http_client=httpx.Client()) as shared:
        assert_type(shared.with_options(extra_headers={"X-A": "1"}), Project)
    assert_type(cocalc_api.Project("sk-...").close(), None)


async def async_context_managers() -> None:
    async with AsyncProject(api_key="sk-...", http_client=httpx.AsyncClient()) as project:
        assert_type(project, AsyncProject)
        assert_type(await project.system.ping(), PingResult)
        assert_type(project.with_options(timeout=None), AsyncProject)
    assert_type(await cocalc_api.AsyncProject("sk-...").aclose(), None)


def errors(project: Project) -> None:
    try:
        project.system.exec(command="false")
    except cocalc_api.ExecError as error:
        assert_type(error.exit_code, int)
        assert_type(error.stderr, str)
        assert_type(error.command, str)
        assert_type(error.method, str | None)
    except cocalc_api.HTTPStatusError as error:
        assert_type(error.status_code, int)
