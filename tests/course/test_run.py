"""run_in_projects over the demo course: one record per project in the web app's shape, and
failures kept in their records (src/packages/frontend/course/student-projects/
run-in-all-projects.ts)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import cocalc_api
from cocalc_hub_server.testing import set_account_key
from tests.course.conftest import STUDENTS, DemoCourse

# run-in-all-projects.ts: the fields of a Result (with `timeout`, as it was given).
RESULT_FIELDS = {"project_id", "stdout", "stderr", "exit_code", "timeout", "total_time"}
PWD = "python3 -c 'import os; print(os.getcwd())'"


def test_one_record_per_student_project_in_the_web_apps_shape(demo: DemoCourse) -> None:
    results = demo.course.run(PWD)
    assert not results.interrupted and results.ok
    assert sorted(r["project_id"] for r in results) == sorted(demo.student_projects)
    for record in results:
        assert set(record) == RESULT_FIELDS
        # Each ran in its own project: its HOME is the working folder.
        assert record["stdout"] == f"{demo.home(record['project_id'])}\n"
        assert record["exit_code"] == 0 and record["stderr"] == ""
        # The web app's default: a 1 minute limit (course/configuration/terminal-command.tsx).
        assert record["timeout"] == 60
        assert isinstance(record["total_time"], float) and record["total_time"] >= 0


def test_a_non_zero_exit_is_a_result_not_an_error(demo: DemoCourse) -> None:
    # err_on_exit: false (run-in-all-projects.ts): the command's exit code is the record's.
    results = cocalc_api.run_in_projects(
        demo.student_projects[:3],
        "sh",
        args=["-c", "echo out; echo err >&2; exit 3"],
        api_key=demo.site.api_key,
        host=demo.site.url,
    )
    assert [(r["stdout"], r["stderr"], r["exit_code"]) for r in results] == [
        ("out\n", "err\n", 3)
    ] * 3
    assert [r["project_id"] for r in results.failures] == [r["project_id"] for r in results]


@dataclass(frozen=True)
class Assistant:
    """A teaching assistant: a collaborator on every student project, with a key of its own."""

    api_key: str
    account_id: str


@pytest.fixture(scope="module")
def assistant(demo: DemoCourse) -> Assistant:
    demo.hub.org.create("course-staff")
    account_id = demo.hub.org.create_user("course-staff", "ta@example.com")
    api_key = "sk-teaching-assistant-0000000001"
    set_account_key(demo.site.root, account_id, api_key)
    projects = list(demo.student_projects)
    demo.hub.projects.add_collaborator(projects, [account_id] * len(projects))
    return Assistant(api_key, account_id)


@pytest.fixture
def three_broken(demo: DemoCourse, assistant: Assistant) -> Iterator[tuple[str, str, str]]:
    """Three student projects made to fail for the assistant: one deleted, one the assistant
    was removed from, one whose command runs past its time limit; put back afterwards."""
    deleted, removed, slow = demo.student_projects[:3]
    demo.hub.projects.delete(deleted)
    demo.hub.projects.remove_collaborator(removed, assistant.account_id)
    marker = demo.home(slow) / "slow"
    marker.write_text("")
    try:
        yield deleted, removed, slow
    finally:
        marker.unlink()
        demo.hub.projects.add_collaborator(removed, assistant.account_id)
        demo.hub.db.query({"projects": {"project_id": deleted, "deleted": False}})


def test_three_failures_keep_their_errors_and_the_other_seventeen_succeed(
    demo: DemoCourse, assistant: Assistant, three_broken: tuple[str, str, str]
) -> None:
    deleted, removed, slow = three_broken
    results = cocalc_api.run_in_projects(
        demo.student_projects,
        "python3",
        args=["-c", "import os, time; time.sleep(30) if os.path.exists('slow') else print('ok')"],
        timeout=1,
        api_key=assistant.api_key,
        host=demo.site.url,
    )
    assert len(results) == STUDENTS and not results.interrupted
    by_id = {r["project_id"]: r for r in results}
    ok = [pid for pid in demo.student_projects if pid not in three_broken]
    assert all(by_id[pid]["stdout"] == "ok\n" and by_id[pid]["exit_code"] == 0 for pid in ok)
    assert sorted(r["project_id"] for r in results.failures) == sorted(three_broken)
    for pid in three_broken:
        # run-in-all-projects.ts: a failure is {stdout: "", stderr: `${err}`, exit_code: -1}.
        record = by_id[pid]
        assert record["stdout"] == "" and record["exit_code"] == -1 and record["stderr"]
    assert by_id[deleted]["error"].startswith("DeletedProjectError: ")
    # src/packages/server/conat/api/projects.ts (start): only collaborators may start it.
    assert by_id[removed]["stderr"] == "Error: must be collaborator on project to start it"
    assert by_id[removed]["error"].startswith("PermissionDeniedError: ")
    # src/packages/backend/execute-code.ts: the command killed at its limit.
    assert by_id[slow]["stderr"].startswith("killed command")
    assert by_id[slow]["error"].startswith("ExecTimeoutError: ")
    json.dumps(list(results))  # records are plain JSON


async def test_the_async_iterator_yields_each_project_as_it_finishes(demo: DemoCourse) -> None:
    seen = []
    async for record in cocalc_api.arun_in_projects(
        demo.student_projects, "true", api_key=demo.site.api_key, host=demo.site.url, concurrency=4
    ):
        seen.append(record["project_id"])
    assert sorted(seen) == sorted(demo.student_projects)


async def test_start_projects_waits_until_each_runs(demo: DemoCourse) -> None:
    async with cocalc_api.AsyncHub(api_key=demo.site.api_key, host=demo.site.url) as hub:
        course = cocalc_api.AsyncCourse(hub, demo.project_id, demo.path)
        records = [r async for r in course.start()]
        assert [r["stdout"] for r in records] == ["running"] * STUDENTS
        states = await asyncio.gather(*(hub.projects.state(r["project_id"]) for r in records))
        assert {s["state"] for s in states} == {"running"}


def test_hand_out_then_collect(demo: DemoCourse, tmp_path: object) -> None:
    key = {"api_key": demo.site.api_key, "host": demo.site.url}
    projects = demo.student_projects[:4]
    handed = cocalc_api.write_file_in_projects(projects, "work/task.txt", "solve x\n", **key)
    assert handed.ok and len(handed) == 4
    for pid in projects:
        assert (demo.home(pid) / "work" / "task.txt").read_text() == "solve x\n"
        (demo.home(pid) / "work" / "answer.txt").write_text(f"answer of {pid}\n")
    collected = cocalc_api.read_file_from_projects(projects, "work/answer.txt", **key)
    assert sorted(r["stdout"] for r in collected) == sorted(f"answer of {p}\n" for p in projects)
    missing = cocalc_api.read_file_from_projects(projects[:1], "work/nope.txt", **key)
    assert missing[0]["exit_code"] == -1 and "ENOENT" in missing[0]["stderr"]


def test_run_a_notebook_in_each_project(demo: DemoCourse) -> None:
    # A cell's source is a list of lines, as jupyter-run.ts joins it (nbformat allows both).
    notebook = {
        "cells": [
            {"cell_type": "code", "source": ["print(6 * 7)"], "metadata": {}, "outputs": []},
            {
                "cell_type": "code",
                "source": ["1 / int(open('d').read())"],
                "metadata": {},
                "outputs": [],
            },
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    projects = demo.student_projects[:2]
    for pid, divisor in zip(projects, ("1", "0"), strict=True):
        (demo.home(pid) / "nb.ipynb").write_text(json.dumps(notebook))
        (demo.home(pid) / "d").write_text(divisor)
    results = cocalc_api.run_notebook_in_projects(
        projects,
        "nb.ipynb",
        output_path="nb.out.ipynb",
        api_key=demo.site.api_key,
        host=demo.site.url,
    )
    by_id = {r["project_id"]: r for r in results}
    good, bad = (by_id[p] for p in projects)
    assert good["exit_code"] == 0 and good["stdout"] == "42\n1.0\n"
    assert bad["exit_code"] == 1 and "ZeroDivisionError" in bad["stderr"]
    saved = json.loads((demo.home(projects[0]) / "nb.out.ipynb").read_text())
    assert saved["cells"][0]["outputs"]
