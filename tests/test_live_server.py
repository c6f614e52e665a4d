"""The SDK end to end against a real local project server process on loopback.

Every method and every error the server can produce, through Project and AsyncProject; and
the reference client, cocalc-api 0.5.1, driven against the same server unchanged.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx2
import pytest

import cocalc_api
from cocalc_project_server.testing import ServerProcess, running_server

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server(kernel_pool_size=0) as process:
        yield process


@pytest.fixture
def project(server: ServerProcess) -> Iterator[cocalc_api.Project]:
    with cocalc_api.Project(
        api_key=server.api_key, host=server.url, project_id=server.project_id
    ) as client:
        yield client


def test_every_method(project: cocalc_api.Project, server: ServerProcess) -> None:
    before = time.time() * 1000
    assert project.ping()["now"] >= before - 1000
    assert project.system.test()["project_id"] == server.project_id
    out = project.system.exec(command="echo 'hello from cocalc'")
    assert (out["stdout"], out["stderr"], out["exit_code"]) == ("hello from cocalc\n", "", 0)
    assert project.system.exec(command="pwd")["stdout"].strip() == str(server.root)
    assert project.system.jupyter_execute(input="sum(range(100))", kernel="python3") == [
        {"data": {"text/plain": "4950"}}
    ]
    assert project.system.jupyter_execute(
        history=["a = 100"], input="sum(range(a + 1))", kernel="python3"
    ) == [{"data": {"text/plain": "5050"}}]
    kernels = project.system.list_jupyter_kernels()
    assert kernels and all(isinstance(k["pid"], int) for k in kernels)
    assert project.system.stop_jupyter_kernel(pid=kernels[0]["pid"]) == {"success": True}
    pids = {k["pid"] for k in project.system.list_jupyter_kernels()}
    assert kernels[0]["pid"] not in pids
    assert project.system.stop_jupyter_kernel(pid=999_999) == {"success": False}


def test_exec_errors_and_async_jobs(project: cocalc_api.Project) -> None:
    with pytest.raises(cocalc_api.ExecError) as failed:
        project.system.exec(command="echo oops >&2; exit 42")
    assert (failed.value.exit_code, failed.value.stderr) == (42, "oops\n")
    assert project.system.exec(command="exit 3", bash=True, err_on_exit=False)["exit_code"] == 3
    started = time.monotonic()
    with pytest.raises(cocalc_api.ExecTimeoutError):
        project.system.exec(command="sleep 30", timeout=1)
    assert time.monotonic() - started < 10
    job = project.system.exec(command="sleep 0.5; echo done", async_call=True)
    assert job["type"] == "async" and job["status"] == "running"
    final = project.system.exec_status(job["job_id"], wait=True, stats=True)
    assert (final["status"], final["stdout"]) == ("completed", "done\n")
    assert final["elapsed_s"] >= 0.4
    with pytest.raises(cocalc_api.AsyncJobNotFoundError):
        project.system.exec_status("no-such-job")


def test_server_side_timeout_is_408(project: cocalc_api.Project) -> None:
    job = project.system.exec(command="sleep 5", async_call=True)
    with pytest.raises(cocalc_api.ServerTimeoutError) as timed_out:
        project.with_options(timeout=0.5).system.exec_status(job["job_id"], wait=True)
    assert "code='408'" in timed_out.value.message


def _authorization(value: str | None) -> httpx2.Client:
    """A client that sends `value` as the Authorization header (none for None): the SDK always
    authenticates with its key, and does not let extra_headers replace it."""

    def rewrite(request: httpx2.Request) -> None:
        del request.headers["Authorization"]
        if value is not None:
            request.headers["Authorization"] = value

    return httpx2.Client(event_hooks={"request": [rewrite]})


@pytest.mark.parametrize(
    ("auth", "error"),
    [
        (None, "You must provide authentication via an API key."),
        ("Digest abc", "Unknown authorization type 'Digest'"),
        ("Bearer sk-wrong", "must sign in as project or account"),
    ],
)
def test_auth_errors(server: ServerProcess, auth: str | None, error: str) -> None:
    with (
        _authorization(auth) as http,
        cocalc_api.Project(api_key="sk-any", host=server.url, http_client=http) as project,
        pytest.raises(cocalc_api.AuthenticationError, match=error),
    ):
        project.system.ping()


def test_wrong_key_and_project(server: ServerProcess) -> None:
    with (
        cocalc_api.Project(api_key="sk-wrong", host=server.url) as project,
        pytest.raises(cocalc_api.AuthenticationError, match="must sign in"),
    ):
        project.system.ping()
    other = "00000000-0000-4000-8000-000000000000"
    with (
        cocalc_api.Project(api_key=server.api_key, host=server.url, project_id=other) as project,
        pytest.raises(cocalc_api.AuthenticationError, match="must match"),
    ):
        project.system.ping()
    with (
        _authorization(f"Bearer {server.api_key}") as http,
        cocalc_api.Project(api_key="sk-ignored", host=server.url, http_client=http) as project,
    ):
        assert "now" in project.system.ping()


async def test_async_project(server: ServerProcess) -> None:
    async with cocalc_api.AsyncProject(
        api_key=server.api_key, host=server.url, project_id=server.project_id
    ) as project:
        assert "now" in await project.ping()
        out = await project.system.exec(command="echo hi")
        assert out["stdout"] == "hi\n"
        result = await project.system.jupyter_execute(input='print("Hello")', kernel="python3")
        assert result == [{"name": "stdout", "text": "Hello\n"}]
        with pytest.raises(cocalc_api.ExecError):
            await project.system.exec(command="exit 1", bash=True)


def _reference_project(reference: ModuleType, server: ServerProcess, **kw: Any) -> Any:
    return reference.Project(api_key=server.api_key, host=server.url, **kw)


def test_reference_client_against_server(
    server: ServerProcess, reference_client: ModuleType
) -> None:
    ref = _reference_project(reference_client, server, project_id=server.project_id)
    assert "now" in ref.system.ping()
    assert ref.system.test()["project_id"] == server.project_id
    assert ref.system.exec(command="echo 'hello from cocalc'")["stdout"] == "hello from cocalc\n"
    assert ref.system.jupyter_execute(input="sum(range(100))", kernel="python3") == [
        {"data": {"text/plain": "4950"}}
    ]
    assert isinstance(ref.system.list_jupyter_kernels(), list)
    assert ref.system.stop_jupyter_kernel(pid=999_999) == {"success": False}
    with pytest.raises(RuntimeError, match=r"exited with nonzero code 42 -- stderr='oops"):
        ref.system.exec(command="echo oops >&2; exit 42")
    bad = reference_client.Project(api_key="sk-wrong", host=server.url)
    with pytest.raises(RuntimeError, match="^must sign in as project or account$"):
        bad.system.ping()


def test_basic_and_bearer_are_both_accepted(server: ServerProcess) -> None:
    body = {"name": "system.ping", "args": [{}]}
    basic = base64.b64encode(f"{server.api_key}:".encode()).decode()
    for header in (f"Basic {basic}", f"Bearer {server.api_key}"):
        answer = httpx2.post(server.endpoint, json=body, headers={"Authorization": header})
        assert answer.status_code == 200 and "now" in answer.json()


@pytest.mark.parametrize("pool", ["default", "passed in", "aiohttp"])
async def test_cancelled_calls_leave_the_connections_usable(
    server: ServerProcess, pool: str
) -> None:
    # 100 calls cancelled mid-flight (asyncio.wait_for and Task.cancel), then 100 good ones, on
    # AsyncProject's own pool (asyncio connections), on an httpx2 client's (anyio's) and on
    # aiohttp's (DefaultAioHttpClient).
    async with contextlib.AsyncExitStack() as stack:
        http: httpx2.AsyncClient | None = None
        if pool == "passed in":
            http = await stack.enter_async_context(httpx2.AsyncClient())
        elif pool == "aiohttp":
            http = await stack.enter_async_context(cocalc_api.DefaultAioHttpClient())
        project = await stack.enter_async_context(
            cocalc_api.AsyncProject(
                api_key=server.api_key,
                host=server.url,
                project_id=server.project_id,
                http_client=http,
            )
        )
        job = await project.system.exec(command="sleep 5", async_call=True)
        waiting = project.with_options(timeout=30).system

        async def wait_for_job() -> Any:
            return await waiting.exec_status(job["job_id"], wait=True)

        timed_out = [asyncio.wait_for(wait_for_job(), 0.2) for _ in range(50)]
        outcomes = await asyncio.gather(*timed_out, return_exceptions=True)
        assert all(isinstance(o, TimeoutError) for o in outcomes), outcomes
        tasks = [asyncio.ensure_future(wait_for_job()) for _ in range(50)]
        await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        cancelled = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(o, asyncio.CancelledError) for o in cancelled), cancelled

        good = await asyncio.gather(*(project.ping() for _ in range(100)))
        assert all(set(answer) == {"now"} for answer in good)


def test_the_jupyter_shapes_of_the_real_service_come_back_typed(
    project: cocalc_api.Project,
) -> None:
    # docs/wire-protocol.md §4a: these answers made the SDK's old schema reject the whole call.
    cleared = project.system.jupyter_execute(
        input="from IPython.display import clear_output\n"
        "print('gone', flush=True)\nclear_output(wait=True)\nprint('kept')",
        kernel="python3",
    )
    assert cleared == [{"wait": True}, {"name": "stdout", "text": "kept\n"}]

    # Three flushed prints of 40 characters: 69 characters of JSON each, so with a cell
    # limit of 100 the first is kept and each later one becomes a notice whose text is a list.
    notice = "Output truncated since it exceeded the cell output limit of 100 characters"
    flooded = project.system.jupyter_execute(
        input="for i in range(3): print('x' * 40, flush=True)",
        kernel="python3",
        limits={"max_output_per_cell": 100},
    )
    assert flooded == [
        {"name": "stdout", "text": "x" * 40 + "\n"},
        {"name": "stdout", "output_type": "stream", "text": [notice]},
        {"name": "stdout", "output_type": "stream", "text": [notice]},
    ]

    # Past its per-cell limit the cell is interrupted and its outputs still come back.
    interrupted = project.system.jupyter_execute(
        input="print('started', flush=True)\nimport time; time.sleep(60)",
        kernel="python3",
        limits={"timeout_ms_per_cell": 1000},
    )
    assert interrupted[0] == {"name": "stdout", "text": "started\n"}
    last = interrupted[-1]
    assert "ename" in last and last["ename"] == "KeyboardInterrupt"
