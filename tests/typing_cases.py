"""What mypy must infer for users of the SDK. Never run: only type-checked (test_typing.py).

Every `assert_type` below is a claim about the public API: the return type of each method of
`Project` and `AsyncProject` (test_typing.py checks that every generated method appears here,
sync and async), the fields of every result type, the overloads, and the context managers.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Literal, assert_type

import httpx2

import cocalc_api
from cocalc_api import AsyncHub, AsyncProject, Hub, Project, hub_types
from cocalc_api.types import (
    Configuration,
    DirectoryListingEntry,
    ExecResult,
    ExecStat,
    ExecuteCodeOutput,
    ExecuteCodeOutputAsync,
    JupyterCapabilities,
    JupyterClearOutput,
    JupyterDataOutput,
    JupyterErrorOutput,
    JupyterKernel,
    JupyterOutputItem,
    JupyterStreamOutput,
    JupyterTruncationNotice,
    KernelLogo,
    KernelSpec,
    KernelSpecCocalcMetadata,
    MainCapabilities,
    MainConfiguration,
    PingResult,
    SuccessResult,
    TestResult,
    X11Configuration,
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
            ulimit_timeout=False,
            home="/home/user",
            uid=1000,
            gid=1000,
            aggregate="build-1",
            verbose=True,
            filesystem=False,
        ),
        ExecuteCodeOutput,
    )
    assert_type(project.system.exec(command="sleep 9", async_call=True), ExecuteCodeOutputAsync)
    flag: bool = bool(project)
    assert_type(project.system.exec(command="ls", async_call=flag), ExecResult)
    assert_type(project.system.exec_status(job_id="j"), ExecuteCodeOutputAsync)
    assert_type(project.system.exec_status("j", wait=True, stats=True), ExecuteCodeOutputAsync)
    assert_type(
        project.system.jupyter_execute(input="1", kernel="python3"), list[JupyterOutputItem]
    )
    assert_type(
        project.system.jupyter_execute(
            input="1",
            kernel="python3",
            history=["a = 1"],
            path="x",
            timeout=5,
            pool={"size": 2},
            limits={"timeout_ms_per_cell": 1000, "max_output": 100},
        ),
        list[JupyterOutputItem],
    )
    assert_type(project.system.list_jupyter_kernels(), list[JupyterKernel])
    assert_type(project.system.stop_jupyter_kernel(pid=1), SuccessResult)
    assert_type(project.system.version(), int)
    assert_type(project.system.listing(path="."), list[DirectoryListingEntry])
    assert_type(project.system.listing(path=".", hidden=True), list[DirectoryListingEntry])
    assert_type(project.system.delete_files(paths=["a"]), None)
    assert_type(project.system.move_files(paths=["a"], dest="b"), None)
    assert_type(project.system.rename_file(src="a", dest="b"), None)
    assert_type(project.system.realpath("a"), str)
    assert_type(project.system.canonical_paths(["a", "b"]), list[str])
    assert_type(project.system.write_text_file_to_project(path="a", content="x"), None)
    assert_type(project.system.read_text_file_from_project(path="a"), str)
    assert_type(project.system.configuration("main"), MainConfiguration)
    assert_type(project.system.configuration("x11", True), X11Configuration)
    aspect: Literal["main", "x11"] = "main" if project else "x11"
    assert_type(project.system.configuration(aspect, no_cache=False), Configuration)
    assert_type(project.system.signal(signal=15, pids=[1, 2], pid=3), None)
    assert_type(project.editor.new_file("a.py"), None)
    assert_type(project.editor.jupyter_strip_notebook("a.ipynb"), str)
    assert_type(project.editor.jupyter_nbconvert(args=["--to", "html", "a.ipynb"]), None)
    assert_type(project.editor.jupyter_nbconvert(args=["a.ipynb"], directory="d", timeout=30), None)
    assert_type(project.editor.jupyter_run_notebook(path=".", ipynb="{}"), str)
    assert_type(
        project.editor.jupyter_run_notebook(
            path=".", ipynb="{}", nbgrader=False, limits={"max_time_per_cell_ms": 1000}
        ),
        str,
    )
    assert_type(project.editor.jupyter_kernel_logo("python3"), KernelLogo)
    assert_type(project.editor.jupyter_kernel_logo("python3", no_cache=True), KernelLogo)
    assert_type(project.editor.jupyter_kernels(), list[KernelSpec])
    assert_type(project.editor.jupyter_kernels(no_cache=True), list[KernelSpec])
    assert_type(
        project.editor.formatter_string(text="x=1", options={"parser": "python"}, path="a.py"),
        str,
    )
    assert_type(project.sync.close("a.md"), None)


async def async_methods(project: AsyncProject) -> None:
    assert_type(await project.ping(), PingResult)
    assert_type(await project.system.ping(), PingResult)
    assert_type(await project.system.test(), TestResult)
    assert_type(await project.system.exec(command="ls"), ExecuteCodeOutput)
    assert_type(await project.system.exec(command="ls", async_call=True), ExecuteCodeOutputAsync)
    assert_type(await project.system.exec_status(job_id="j", wait=True), ExecuteCodeOutputAsync)
    assert_type(
        await project.system.jupyter_execute(input="1", kernel="python3"),
        list[JupyterOutputItem],
    )
    assert_type(await project.system.list_jupyter_kernels(), list[JupyterKernel])
    assert_type(await project.system.stop_jupyter_kernel(pid=1), SuccessResult)
    assert_type(await project.system.version(), int)
    assert_type(await project.system.listing(path="."), list[DirectoryListingEntry])
    assert_type(await project.system.delete_files(paths=["a"]), None)
    assert_type(await project.system.move_files(paths=["a"], dest=""), None)
    assert_type(await project.system.rename_file(src="a", dest="b"), None)
    assert_type(await project.system.realpath("a"), str)
    assert_type(await project.system.canonical_paths(["a"]), list[str])
    assert_type(await project.system.write_text_file_to_project(path="a", content=""), None)
    assert_type(await project.system.read_text_file_from_project(path="a"), str)
    assert_type(await project.system.configuration("main"), MainConfiguration)
    assert_type(await project.system.configuration("x11"), X11Configuration)
    assert_type(await project.system.signal(signal=0, pid=1), None)
    assert_type(await project.editor.new_file("a.py"), None)
    assert_type(await project.editor.jupyter_strip_notebook("a.ipynb"), str)
    assert_type(await project.editor.jupyter_nbconvert(args=["a.ipynb"]), None)
    assert_type(await project.editor.jupyter_run_notebook(path=".", ipynb="{}"), str)
    assert_type(await project.editor.jupyter_kernel_logo("python3"), KernelLogo)
    assert_type(await project.editor.jupyter_kernels(), list[KernelSpec])
    assert_type(await project.editor.formatter_string(text="x", options={"parser": "python"}), str)
    assert_type(await project.sync.close("a.md"), None)
    # Not awaited: a coroutine (and mypy flags a bare `project.ping()` as unused-coroutine).
    # An annotation, not assert_type: pyright names the type of a call of an async def
    # types.CoroutineType, mypy typing.Coroutine; both accept this.
    pending: Coroutine[Any, Any, PingResult] = project.ping()
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
    assert_type(out.get("type"), Literal["blocking"] | None)
    assert_type(out.get("id"), Any | None)

    job = project.system.exec(command="make", async_call=True)
    assert_type(job["job_id"], str)
    assert_type(job["type"], Literal["async"])
    assert_type(job["status"], Literal["running", "completed", "error", "killed"])
    assert_type(job["start"], int)
    assert_type(job.get("pid"), int | None)
    assert_type(job.get("elapsed_s"), float | None)
    assert_type(job.get("stats"), list[ExecStat] | None)
    for stat in job.get("stats", []):
        assert_type(stat["mem_rss"], float)
        assert_type(stat["timestamp"], int)

    for kernel in project.system.list_jupyter_kernels():
        assert_type(kernel["pid"], int)
        assert_type(kernel["connectionFile"], str)
        assert_type(kernel.get("kernel_name"), str | None)

    assert_type(project.system.stop_jupyter_kernel(pid=1)["success"], bool)

    for entry in project.system.listing(path="."):
        assert_type(entry["name"], str)
        assert_type(entry.get("isdir"), bool | None)
        assert_type(entry.get("issymlink"), bool | None)
        assert_type(entry.get("link_target"), str | None)
        assert_type(entry.get("size"), float | None)
        assert_type(entry.get("mtime"), float | None)
        assert_type(entry.get("error"), str | None)

    main = project.system.configuration("main")
    assert_type(main["timestamp"], str)
    capabilities = assert_type(main["capabilities"], MainCapabilities)
    assert_type(capabilities["jupyter"], Literal[False] | JupyterCapabilities)
    assert_type(capabilities["formatting"], dict[str, bool])
    assert_type(capabilities["latex"], bool)
    assert_type(capabilities.get("sage_version"), list[int | None] | None)
    assert_type(capabilities["homeDirectory"], str | None)
    if capabilities["jupyter"]:
        assert_type(capabilities["jupyter"].get("lab"), bool | None)
    x11 = project.system.configuration("x11")
    assert_type(x11["capabilities"], dict[str, bool])

    logo = project.editor.jupyter_kernel_logo("python3")
    assert_type(logo["base64"], str)
    assert_type(logo.get("filename"), str | None)
    for spec in project.editor.jupyter_kernels():
        assert_type(spec["name"], str)
        assert_type(spec.get("display_name"), str | None)  # absent when kernel.json lacks it
        assert_type(spec.get("language"), str | None)
        assert_type(spec.get("argv"), list[str] | None)
        assert_type(spec["env"], dict[str, str])
        assert_type(spec.get("interrupt_mode"), str | None)
        cocalc = spec.get("metadata", {}).get("cocalc")
        assert_type(cocalc, KernelSpecCocalcMetadata | None)


def narrowing(project: Project) -> None:
    for item in project.system.jupyter_execute(input="1", kernel="python3"):
        assert_type(
            item,
            JupyterStreamOutput
            | JupyterTruncationNotice
            | JupyterDataOutput
            | JupyterErrorOutput
            | JupyterClearOutput,
        )
        # The output TypedDicts are @final, so a key each one requires tells them apart.
        if "data" in item:
            assert_type(item, JupyterDataOutput)
            assert_type(item["data"], dict[str, Any])
            assert_type(item.get("metadata"), dict[str, Any] | None)
        elif "ename" in item:
            assert_type(item, JupyterErrorOutput)
            assert_type(item["traceback"], list[str])
        elif "wait" in item:
            assert_type(item, JupyterClearOutput)
            assert_type(item["wait"], bool)
        elif "output_type" in item:
            assert_type(item, JupyterTruncationNotice)
            assert_type(item["text"], list[str])
        else:
            assert_type(item, JupyterStreamOutput)
            assert_type(item["name"], Literal["stdout", "stderr"])
            assert_type(item["text"], str)

    result = project.system.exec(command="ls", async_call=bool(project))
    if result.get("type") == "async" and "job_id" in result:
        assert_type(result, ExecuteCodeOutputAsync)


class MyProject(Project):
    pass


def context_managers() -> None:
    with Project(api_key="sk-...", host="https://cocalc.com", project_id="p") as project:
        assert_type(project, Project)
        assert_type(project.ping(), PingResult)
    with MyProject(api_key="sk-...") as mine:
        assert_type(mine, MyProject)
        assert_type(mine.with_options(timeout=5), MyProject)
    with Project(http_client=httpx2.Client()) as shared:
        assert_type(shared.with_options(extra_headers={"X-A": "1"}), Project)
    with Project(http_client=cocalc_api.DefaultHttpxClient(headers={"X-A": "1"})) as hooked:
        assert_type(hooked, Project)
    assert_type(cocalc_api.Project("sk-...").close(), None)


async def async_context_managers() -> None:
    async with AsyncProject(api_key="sk-...", http_client=httpx2.AsyncClient()) as project:
        assert_type(project, AsyncProject)
        assert_type(await project.system.ping(), PingResult)
        assert_type(project.with_options(timeout=None), AsyncProject)
    limits = httpx2.Limits(max_connections=400)
    http = cocalc_api.DefaultAsyncHttpxClient(limits=limits)
    assert_type(http, cocalc_api.DefaultAsyncHttpxClient)
    async with http, AsyncProject(http_client=http) as pooled:
        assert_type(await pooled.ping(), PingResult)
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


def jobs(project: Project) -> None:
    # The handle API (docs/jobs.md); exec(async_call=True) itself stays the dict (above).
    job = project.jobs.start("make", ["-j2"], timeout=600, err_on_exit=False)
    assert_type(job, cocalc_api.Job)
    assert_type(project.jobs.get("j"), cocalc_api.Job)
    assert_type(job.status(), ExecuteCodeOutputAsync)
    assert_type(job.wait(), ExecuteCodeOutputAsync)
    assert_type(job.wait(timeout=30, poll=5, progress=True), ExecuteCodeOutputAsync)
    assert_type(job.stdout, str)
    assert_type(job.stats, list[ExecStat])
    assert_type(job.exit_code, int | None)
    assert_type(job.pid, int | None)
    assert_type(job.kill(), None)
    for update in job.follow(poll=0.5):
        assert_type(update, cocalc_api.JobUpdate)
        assert_type(update.stdout, str)
        assert_type(update.done, bool)


async def async_jobs(project: AsyncProject) -> None:
    job = await project.jobs.start("make")
    assert_type(job, cocalc_api.AsyncJob)
    assert_type(await job.status(), ExecuteCodeOutputAsync)
    assert_type(await job.wait(progress=lambda snapshot: None), ExecuteCodeOutputAsync)
    async for update in job.follow():
        assert_type(update, cocalc_api.JobUpdate)
    assert_type(await job.kill(9), None)


def testing_helpers() -> None:
    from cocalc_api import models
    from cocalc_api.testing import FakeAsyncProject, FakeProject

    fake = FakeProject()
    fake.stub("system.exec", models.ExecuteCodeOutput("hi\n", "", 0))
    assert_type(fake, FakeProject)
    assert_type(fake.system.exec("echo hi"), ExecuteCodeOutput)
    assert_type(FakeAsyncProject(), FakeAsyncProject)
    out = models.ExecuteCodeOutput.from_dict(fake.system.exec("echo hi"))
    assert_type(out.exit_code, int)


# -- the hub API (cocalc_api.Hub): every method, sync and async ------------------------------

P = "6e75dbf1-0342-4249-9dce-6b21648656e9"
# The 11 states of src/packages/util/compute-states.ts.
ProjectStates = Literal[
    "archived",
    "archiving",
    "closed",
    "closing",
    "opened",
    "opening",
    "pending",
    "running",
    "starting",
    "stopping",
    "unarchiving",
]


def hub_methods(hub: Hub) -> None:
    assert_type(hub.system.ping(), hub_types.PingResult)
    assert_type(hub.system.test()["account_id"], str)
    assert_type(hub.system.get_names([P])[P]["first_name"], str)
    assert_type(hub.system.user_search("ada"), list[hub_types.UserSearchResult])
    assert_type(hub.system.manage_api_keys("create", project_id=P), hub_types.ApiKeys)
    assert_type(hub.projects.get(all=True, limit=5), list[dict[str, Any]])
    hub.projects.copy_path_between_projects(P, "a", target_project_id=P, target_path="b")
    assert_type(hub.projects.create_project("title"), str)
    assert_type(hub.projects.add_collaborator([P], [P]).get("project_id"), str | list[str] | None)
    hub.projects.remove_collaborator(P, P)
    hub.projects.start(P)
    hub.projects.stop(P)
    hub.projects.delete(P)
    hub.projects.touch(P)
    assert_type(hub.projects.state(P).get("state"), ProjectStates | None)
    assert_type(hub.projects.status(P), hub_types.ProjectStatus)
    assert_type(hub.jupyter.kernels(P), list[dict[str, Any]])
    assert_type(hub.jupyter.execute("1", "python3", project_id=P), hub_types.JupyterExecuteResult)
    assert_type(hub.sync.history(P, "a.md")["patches"], list[dict[str, Any]])
    assert_type(hub.db.query({"accounts": {"first_name": None}}), dict[str, Any])
    assert_type(hub.messages.send("s", "b", [P]), int)
    assert_type(hub.messages.get(type="sent"), list[hub_types.Message])
    assert_type(hub.org.get_all(), list[hub_types.OrgSummary])
    assert_type(hub.org.create("acme"), str)
    assert_type(hub.org.get("acme"), hub_types.Org)
    hub.org.set("acme", title="Acme")
    hub.org.add_admin("acme", P)
    hub.org.add_user("acme", P)
    assert_type(hub.org.create_user("acme", "a@b.c", firstName="A"), str)
    assert_type(hub.org.create_token("a@b.c")["url"], str)
    hub.org.expire_token("t")
    assert_type(hub.org.get_users("acme"), list[hub_types.OrgUser])
    hub.org.remove_user("acme", P)
    hub.org.remove_admin("acme", P)
    hub.org.message("acme", "s", "b")
    assert_type(hub.call("system.ping", [{}]), Any)
    assert_type(hub.with_options(timeout=5), Hub)


async def async_hub_methods(hub: AsyncHub) -> None:
    assert_type(await hub.system.ping(), hub_types.PingResult)
    assert_type(await hub.system.test(), hub_types.HubTestResult)
    assert_type(await hub.system.get_names([P]), hub_types.AccountNames)
    assert_type(await hub.system.user_search("ada"), list[hub_types.UserSearchResult])
    assert_type(await hub.system.manage_api_keys("get"), hub_types.ApiKeys)
    assert_type(await hub.projects.get(), list[dict[str, Any]])
    await hub.projects.copy_path_between_projects(P, "a")
    assert_type(await hub.projects.create_project(), str)
    assert_type(await hub.projects.add_collaborator(P, P), hub_types.AddCollaboratorResult)
    await hub.projects.remove_collaborator(P, P)
    await hub.projects.start(P)
    await hub.projects.stop(P)
    await hub.projects.delete(P)
    await hub.projects.touch(P)
    assert_type(await hub.projects.state(P), hub_types.ProjectState)
    assert_type(await hub.projects.status(P), hub_types.ProjectStatus)
    assert_type(await hub.jupyter.kernels(), list[dict[str, Any]])
    assert_type(await hub.jupyter.execute("1", "python3"), hub_types.JupyterExecuteResult)
    assert_type(await hub.sync.history(P, "a.md"), hub_types.SyncHistory)
    assert_type(await hub.db.query({}), hub_types.UserQueryResult)
    assert_type(await hub.messages.send("s", "b", [P], 3), int)
    assert_type(await hub.messages.get(10, 0), list[hub_types.Message])
    assert_type(await hub.org.get_all(), list[hub_types.OrgSummary])
    assert_type(await hub.org.create("acme"), str)
    assert_type(await hub.org.get("acme"), hub_types.Org)
    await hub.org.set("acme", description="d")
    await hub.org.add_admin("acme", P)
    await hub.org.add_user("acme", P)
    assert_type(await hub.org.create_user("acme", "a@b.c"), str)
    assert_type(await hub.org.create_token(P), hub_types.OrgToken)
    await hub.org.expire_token("t")
    assert_type(await hub.org.get_users("acme"), list[hub_types.OrgUser])
    await hub.org.remove_user("acme", P)
    await hub.org.remove_admin("acme", P)
    await hub.org.message("acme", "s", "b")
    assert_type(await hub.call("org.getAll", []), Any)
    async with AsyncHub() as opened:
        assert_type(opened, AsyncHub)


def hub_import_paths() -> None:
    from cocalc_api.hub import Database, Organizations, Projects, System

    with Hub("sk-key", "https://cocalc.com") as hub:
        assert_type(hub, Hub)
        assert_type(hub.org, Organizations)
        assert_type(hub.projects, Projects)
        assert_type(hub.system, System)
        assert_type(hub.db, Database)
        assert_type(hub.api_key, str)
        assert_type(hub.client, httpx2.Client)


def many_projects(ids: list[str]) -> None:
    from collections.abc import AsyncIterator

    from cocalc_api import ProjectResult, RunResults

    # Each sync function is its async twin's parameters with every record collected.
    assert_type(cocalc_api.run_in_projects(ids, "date", concurrency=5), RunResults)
    assert_type(cocalc_api.start_projects(ids, start_timeout=90), RunResults)
    assert_type(cocalc_api.write_file_in_projects(ids, "a.txt", "hi", start=False), RunResults)
    assert_type(cocalc_api.read_file_from_projects(ids, "a.txt", dest="out"), RunResults)
    assert_type(cocalc_api.run_notebook_in_projects(ids, "hw.ipynb", timeout=60), RunResults)
    assert_type(cocalc_api.arun_in_projects(ids, "date"), AsyncIterator[ProjectResult])
    assert_type(cocalc_api.arun_notebook_in_projects(ids, "a.ipynb"), AsyncIterator[ProjectResult])
    cocalc_api.run_in_projects(ids, "date", concurency=5)  # type: ignore[call-arg]
    cocalc_api.start_projects(ids, start=False)  # type: ignore[call-arg]
    cocalc_api.run_in_projects(ids, "date", results_file=1)  # type: ignore[arg-type]
