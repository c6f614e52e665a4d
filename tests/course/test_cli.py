"""`cocalc-project course ...` on the demo course: the table, JSON lines, CSV, and an exit
code that says whether every project succeeded."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from cocalc_api.cli import main
from tests.course.conftest import STUDENTS, DemoCourse


@pytest.fixture
def course_arg(demo: DemoCourse, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COCALC_API_KEY", demo.site.api_key)
    monkeypatch.setenv("COCALC_HOST", demo.site.url)
    monkeypatch.delenv("COCALC_PROJECT_ID", raising=False)
    return f"{demo.project_id}:{demo.path}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_course_run_prints_a_row_per_student_and_exits_0(
    demo: DemoCourse, course_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "course", "run", "--course", course_arg, "--", "echo hello")
    assert code == 0
    names = [s.name for s in demo.course.students()]
    rows = [line for line in out.splitlines() if any(pid in line for pid in demo.student_projects)]
    assert len(rows) == STUDENTS
    assert all("hello" in row for row in rows)
    assert all(any(name in row for row in rows) for name in names)
    assert out.rstrip().endswith(f"{STUDENTS} projects: {STUDENTS} succeeded, 0 failed")


def test_one_failing_project_makes_the_exit_code_1(
    demo: DemoCourse, course_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = demo.student_projects[0]
    (demo.home(odd) / "odd").write_text("")
    try:
        code, out, err = run(
            capsys, "course", "run", "--course", course_arg, "--json", "--", "test ! -e odd"
        )
    finally:
        (demo.home(odd) / "odd").unlink()
    assert code == 1  # some project failed (docs/cli.md)
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == STUDENTS
    assert [r["project_id"] for r in records if r["exit_code"] != 0] == [odd]
    assert f"{STUDENTS} projects: {STUDENTS - 1} succeeded, 1 failed" in err


def test_start_as_csv_and_explicit_projects(
    demo: DemoCourse, course_arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    two = demo.student_projects[:2]
    code, out, _ = run(capsys, "course", "start", "--project", two[0], "--project", two[1], "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["project_id"] for r in rows) == sorted(two)
    assert {r["stdout"] for r in rows} == {"running"}


def test_handout_and_collect(
    demo: DemoCourse, course_arg: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_text("exercise 1\n")
    code, _, _ = run(
        capsys, "course", "handout", "--course", course_arg, str(sheet), "--to", "hw/sheet.txt"
    )
    assert code == 0
    assert all(
        (demo.home(p) / "hw" / "sheet.txt").read_text() == "exercise 1\n"
        for p in demo.student_projects
    )
    code, _, _ = run(
        capsys,
        "course",
        "collect",
        "--course",
        course_arg,
        "hw/sheet.txt",
        "--to",
        str(tmp_path / "in"),
    )
    assert code == 0
    collected = sorted((tmp_path / "in").glob("*/sheet.txt"))
    assert len(collected) == STUDENTS
    assert collected[0].parent.name.startswith("Student_")


def test_usage_errors(capsys: pytest.CaptureFixture[str], course_arg: str) -> None:
    code, _, err = run(capsys, "course", "run", "--", "true")
    assert code == 2 and "--course" in err
    code, _, err = run(capsys, "course", "run", "--course", "no-colon", "--", "true")
    assert code == 2 and "PROJECT_ID:PATH" in err
