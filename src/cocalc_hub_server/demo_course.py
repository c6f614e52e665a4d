"""``--demo-course N``: a course to act on, made the first time a site starts with the flag.

What the real web app leaves behind when an instructor makes a course and adds N students:

- the course project, owned by the instructor (the ``--api-key`` account), titled
  ``Demo course``, holding ``demo.course``: the course's SyncDB as sorted JSON lines with
  sorted keys (src/packages/sync/editor/db/util.ts ``to_str``; records keyed by ``table``,
  ``student_id``, src/packages/frontend/course/sync.ts), a ``settings`` record and one
  ``students`` record per student (src/packages/frontend/course/store.ts ``StudentRecord``);
- per student an account, and a student project created by the instructor (so owned by
  them, src/packages/frontend/course/student-projects/actions.ts ``create_student_project``),
  titled ``<student name> - <course title>`` and described as the course
  (``configure_project_title``, ``configure_project_description``), with the student as a
  collaborator (``configure_project_users``), hidden from the instructor
  (``configure_project_visibility``) and its ``course`` field as
  src/packages/frontend/projects/actions.ts ``set_project_course_info`` builds it for a new
  course: ``{project_id, path, pay: "", type: "student", account_id, email_address}``
  (``datastore`` and ``payInfo`` are undefined there, so absent from the stored JSON).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from .accounts import create_account
from .config import HubConfig
from .handlers.projects import insert_project
from .store import Tx

DEMO_COURSE_TITLE = "Demo course"
DEMO_COURSE_FILE = "demo.course"
DEMO_COURSE_DESCRIPTION = "A course made by cocalc-hub-server --demo-course"
STUDENT_FIRST_NAME = "Student"


def student_email(number: int, width: int) -> str:
    return f"student{number:0{width}d}@example.com"


def demo_course_project(tx: Tx, instructor_id: str) -> str | None:
    """The instructor's demo course project, if the site has one."""
    for row in tx.rows(
        "projects",
        "SELECT project_id, users FROM projects WHERE title = ? AND course IS NULL",
        (DEMO_COURSE_TITLE,),
    ):
        entry = (row["users"] or {}).get(instructor_id)
        if isinstance(entry, dict) and entry.get("group") == "owner":
            return str(row["project_id"])
    return None


def seed_demo_course(tx: Tx, config: HubConfig, instructor_id: str, students: int) -> str:
    """The demo course with ``students`` students, made unless the site has one; its
    project id."""
    found = demo_course_project(tx, instructor_id)
    if found is not None:
        return found
    course_id = str(uuid.uuid4())
    insert_project(
        tx,
        config,
        course_id,
        title=DEMO_COURSE_TITLE,
        description=DEMO_COURSE_DESCRIPTION,
        users={instructor_id: {"group": "owner"}},
    )
    records: list[dict[str, Any]] = [
        {
            "table": "settings",
            "title": DEMO_COURSE_TITLE,
            "description": DEMO_COURSE_DESCRIPTION,
            "allow_collabs": True,
        }
    ]
    width = len(str(students))
    for number in range(1, students + 1):
        records.append(_add_student(tx, config, instructor_id, course_id, number, width))
    # json-stable-stringify: sorted keys, no spaces, non-ASCII as is; the lines sorted.
    lines = sorted(
        json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for r in records
    )
    course_file = config.project_home(course_id) / DEMO_COURSE_FILE
    course_file.write_text("\n".join(lines), encoding="utf-8")
    return course_id


def _add_student(
    tx: Tx, config: HubConfig, instructor_id: str, course_id: str, number: int, width: int
) -> dict[str, Any]:
    account_id = str(uuid.uuid4())
    email = student_email(number, width)
    last_name = f"{number:0{width}d}"
    create_account(
        tx,
        account_id=account_id,
        first_name=STUDENT_FIRST_NAME,
        last_name=last_name,
        email_address=email,
    )
    project_id = str(uuid.uuid4())
    insert_project(
        tx,
        config,
        project_id,
        title=f"{STUDENT_FIRST_NAME} {last_name} - {DEMO_COURSE_TITLE}",
        description=DEMO_COURSE_DESCRIPTION,
        users={
            instructor_id: {"group": "owner", "hide": True},
            account_id: {"group": "collaborator"},
        },
        course={
            "project_id": course_id,
            "path": DEMO_COURSE_FILE,
            "pay": "",
            "type": "student",
            "account_id": account_id,
            "email_address": email,
        },
    )
    return {
        "table": "students",
        "student_id": str(uuid.uuid4()),
        "account_id": account_id,
        "email_address": email,
        "first_name": STUDENT_FIRST_NAME,
        "last_name": last_name,
        "project_id": project_id,
    }
