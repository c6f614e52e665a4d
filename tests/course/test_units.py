"""The pieces without I/O: the .course file, the cross-check, failure records, the start wait,
notebook outcomes."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable

import pytest

import cocalc_api
from cocalc_api import ExecTimeoutError
from cocalc_api.course import (
    DeletedProjectError,
    StartTimeoutError,
    Student,
    parse_course_file,
    succeeded,
)
from cocalc_api.course._course import cross_check, student_project_ids
from cocalc_api.course._operations import notebook_outcome
from cocalc_api.course._records import failed
from cocalc_api.course._steps import StartWait, check_may_run, projects_to_run

COURSE = "c0000000-0000-4000-8000-000000000000"


def _line(record: dict[str, object]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def test_students_of_a_course_file() -> None:
    text = "\n".join(
        [
            _line({"table": "settings", "title": "Math"}),
            _line(
                {
                    "table": "students",
                    "student_id": "s1",
                    "project_id": "p1",
                    "first_name": " Ada ",
                    "last_name": "L",
                }
            ),
            _line(
                {
                    "table": "students",
                    "student_id": "s2",
                    "project_id": "p2",
                    "deleted": True,
                    "email_address": "b@x.org",
                }
            ),
            _line({"table": "students", "student_id": "s3", "email_address": "c@x.org"}),
            _line({"table": "assignments", "assignment_id": "a1", "path": "hw1"}),
            "",
        ]
    )
    students = parse_course_file(text)
    assert [s.student_id for s in students] == ["s1", "s2", "s3"]
    # store.ts get_student_name: the trimmed names, else the e-mail address.
    assert [s.name for s in students] == ["Ada L", "b@x.org", "c@x.org"]
    assert students[1].deleted and students[0].record["first_name"] == " Ada "
    # store.ts get_student_project_ids: students not deleted that have a project.
    assert student_project_ids(students) == ["p1"]


def test_a_broken_line_is_named() -> None:
    with pytest.raises(ValueError, match=r"x\.course: line 2 is not a JSON record"):
        parse_course_file(_line({"table": "settings"}) + "\n{oops", "x.course")


def test_cross_check() -> None:
    students = [
        Student("s1", project_id="p1"),
        Student("s2", project_id="p2"),
        Student("s3", project_id="p3", deleted=True),
    ]
    course = {"project_id": COURSE, "path": "m.course", "type": "student"}
    rows = [
        {"project_id": "p1", "course": course},
        {"project_id": "p2", "course": course, "deleted": True},
        {"project_id": "p3", "course": course},  # its student was deleted from the course
        {"project_id": "p4", "course": {**course, "path": "other.course"}},
    ]
    check = cross_check(students, rows, COURSE, "m.course")
    assert (check.not_listed, check.deleted, check.not_in_file) == ((), ("p2",), ("p3",))
    assert cross_check(students, rows[:1], COURSE, "m.course").not_listed == ("p2",)
    assert not check.ok


def test_a_failure_record_as_the_web_app_makes_it() -> None:
    error = ExecTimeoutError("killed command 'x'", method="system.exec", command="x", timeout=1)
    record = failed("p1", error, 1.23456, 1.0)
    # run-in-all-projects.ts: {project_id, stdout: "", stderr: `${err}`, exit_code: -1, ...}
    assert record == {
        "project_id": "p1",
        "stdout": "",
        "stderr": "killed command 'x'",
        "exit_code": -1,
        "total_time": 1.235,
        "timeout": 1.0,
        "error": "ExecTimeoutError: killed command 'x'",
    }
    assert not succeeded(record) and not succeeded({**record, "exit_code": 0})
    assert succeeded(
        {"project_id": "p", "stdout": "", "stderr": "", "exit_code": 0, "total_time": 0}
    )


def test_each_project_once_in_order_leaving_out_those_done() -> None:
    assert list(projects_to_run(["a", "b", "a", "c", "d"], {"c"})) == ["a", "b", "d"]
    with pytest.raises(DeletedProjectError):
        check_may_run("a", {"a"})


def test_the_start_wait() -> None:
    wait = StartWait(timeout=3)
    first = wait.after("starting", 0.0)
    assert not first.running and not first.start_again and 0 < first.delay <= 3
    # Stable and not running after a start (compute-states.ts): ask again, and look at once;
    # still stopped right after that, the next ask waits for a delay.
    again = wait.after("opened", 1.0)
    assert again.start_again and again.delay == 0
    still = wait.after("opened", 1.1)
    assert not still.start_again and still.delay > 0
    assert wait.after("closed", 1.5).start_again
    assert wait.after("running", 2.0).running
    assert wait.after("starting", 2.9).delay <= 0.1 + 1e-9
    with pytest.raises(StartTimeoutError, match="state: starting"):
        wait.after("starting", 3.0)


def test_a_notebooks_outcome() -> None:
    ipynb = {
        "cells": [
            {
                "outputs": [
                    {"name": "stdout", "text": ["a\n", "b\n"]},
                    {"data": {"text/plain": "3"}},
                ]
            },
            {"outputs": [{"name": "stderr", "text": "warn\n"}]},
            {"outputs": [{"output_type": "error", "traceback": ["ZeroDivisionError: x"]}]},
        ]
    }
    outcome = notebook_outcome(json.dumps(ipynb))
    assert outcome == {
        "stdout": "a\nb\n3\n",
        "stderr": "warn\nZeroDivisionError: x\n",
        "exit_code": 1,
    }


@pytest.mark.parametrize(
    ("function", "given", "keyword"),
    [
        (cocalc_api.run_in_projects, ["date"], "concurency"),
        (cocalc_api.arun_in_projects, ["date"], "concurency"),
        # start_projects always starts: it has no `start` to turn that off.
        (cocalc_api.start_projects, [], "start"),
        (cocalc_api.astart_projects, [], "start"),
        (cocalc_api.read_file_from_projects, ["a.txt"], "timeout"),
    ],
)
def test_a_keyword_the_function_does_not_take_is_refused_in_its_name(
    function: Callable[..., object], given: list[str], keyword: str
) -> None:
    name = function.__name__
    twin = name if name.startswith("a") else "a" + name
    # As Python words it for any function (nothing is sent: the run has not begun).
    with pytest.raises(
        TypeError, match=rf"^{twin}\(\) got an unexpected keyword argument '{keyword}'$"
    ):
        function(["p1"], *given, **{keyword: 5})


def test_each_sync_function_shows_its_async_twins_parameters() -> None:
    for sync, twin in [
        (cocalc_api.run_in_projects, cocalc_api.arun_in_projects),
        (cocalc_api.start_projects, cocalc_api.astart_projects),
        (cocalc_api.write_file_in_projects, cocalc_api.awrite_file_in_projects),
        (cocalc_api.read_file_from_projects, cocalc_api.aread_file_from_projects),
        (cocalc_api.run_notebook_in_projects, cocalc_api.arun_notebook_in_projects),
    ]:
        assert sync.__name__ == twin.__name__[1:]
        shown, taken = inspect.signature(sync), inspect.signature(twin)
        assert shown.parameters == taken.parameters
        assert shown.return_annotation is cocalc_api.RunResults
        assert f"`{twin.__name__}`" in (sync.__doc__ or "")
