"""`cocalc-hub-server --demo-course N`: the course a real site would hold after an instructor
made one and added N students, read back through the SDK's Course."""

from __future__ import annotations

import json

from tests.course.conftest import STUDENTS, DemoCourse


def test_the_course_file_is_a_sorted_syncdb_of_settings_and_students(demo: DemoCourse) -> None:
    text = (demo.home(demo.project_id) / demo.path).read_text()
    lines = text.splitlines()
    # src/packages/sync/editor/db/util.ts (to_str): json-stable-stringify per record (sorted
    # keys, no spaces), the lines sorted.
    assert lines == sorted(lines)
    records = [json.loads(line) for line in lines]
    assert all(
        line == json.dumps(r, sort_keys=True, separators=(",", ":"))
        for line, r in zip(lines, records, strict=True)
    )
    tables = [r["table"] for r in records]
    assert tables.count("settings") == 1 and tables.count("students") == STUDENTS
    students = demo.course.students()
    assert len(students) == STUDENTS
    assert sorted(s.project_id for s in students if s.project_id) == sorted(demo.student_projects)
    assert all(s.name.startswith("Student ") and s.email_address for s in students)


def test_each_student_project_is_set_up_as_the_web_app_does(demo: DemoCourse) -> None:
    rows = demo.hub.projects.get(all=True, fields=["project_id", "title", "users", "course"])
    by_id = {row["project_id"]: row for row in rows}
    instructor = demo.site.account_id
    for student in demo.course.students():
        assert student.project_id is not None and student.account_id is not None
        row = by_id[student.project_id]
        # student-projects/actions.ts: created by the instructor (owner), hidden from them
        # (configure_project_visibility), the student a collaborator, titled
        # "<name> - <course title>" (configure_project_title).
        assert row["users"][instructor] == {"group": "owner", "hide": True}
        assert row["users"][student.account_id] == {"group": "collaborator"}
        assert row["title"] == f"{student.name} - Demo course"
        # projects/actions.ts (set_project_course_info) for a course without payment,
        # datastore or envvars.
        assert row["course"] == {
            "project_id": demo.project_id,
            "path": demo.path,
            "pay": "",
            "type": "student",
            "account_id": student.account_id,
            "email_address": student.email_address,
        }
    assert demo.course.cross_check().ok
