"""A course as its `.course` file describes it: the students and their projects, and a
cross-check of that against the projects the hub lists for the course.

The file is the course's SyncDB: one JSON record a line, keyed by `table` (src/packages/
frontend/course/sync.ts); the `students` records are `StudentRecord`s (src/packages/frontend/
course/store.ts). The parsing and the cross-check are plain functions; `Course` and
`AsyncCourse` only fetch (the file through the project API, the list through the hub).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cocalc_api._client import AsyncProject, Project
from cocalc_api._exceptions import ResponseValidationError
from cocalc_api.course._api import (
    arun_in_projects,
    astart_projects,
    run_in_projects,
    start_projects,
)
from cocalc_api.course._drive import RunResults
from cocalc_api.course._records import ProjectResult
from cocalc_api.hub import AsyncHub, Hub

_STUDENT_FIELDS = ("account_id", "project_id", "email_address", "first_name", "last_name")


@dataclass(frozen=True)
class Student:
    """A student of the course, as its `students` record in the `.course` file has it."""

    student_id: str
    project_id: str | None = None
    account_id: str | None = None
    email_address: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    deleted: bool = False
    record: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The whole record, with the fields not named above (note, last_email_invite, ...)."""

    @property
    def name(self) -> str:
        """The name the course shows: the instructor's first and last name for the student,
        else the e-mail address (store.ts get_student_name)."""
        first, last = (self.first_name or "").strip(), (self.last_name or "").strip()
        if first or last:
            return f"{first} {last}"
        return self.email_address or self.account_id or "Unknown Student"


@dataclass(frozen=True)
class CourseCheck:
    """The `.course` file against the hub's `projects_all` for the course.

    `not_listed`: students' projects the hub does not list for this key (no access, or no
    such project); `deleted`: students' projects deleted on the hub; `not_in_file`: projects
    whose `course` field names this course as a student project that no student of the file
    has (a student deleted from the course, say)."""

    not_listed: tuple[str, ...]
    deleted: tuple[str, ...]
    not_in_file: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not (self.not_listed or self.deleted or self.not_in_file)


def parse_course_file(text: str, path: str = ".course") -> list[Student]:
    """Every student of a `.course` file, deleted ones included, in the file's order."""
    students: list[Student] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise ResponseValidationError(
                f"{path}: line {number} is not a JSON record ({error})"
            ) from None
        if not isinstance(record, dict) or record.get("table") != "students":
            continue
        student_id = record.get("student_id")
        if not isinstance(student_id, str):
            continue
        values = {name: _text(record.get(name)) for name in _STUDENT_FIELDS}
        students.append(
            Student(
                student_id=student_id, deleted=bool(record.get("deleted")), record=record, **values
            )
        )
    return students


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def active(students: Iterable[Student], include_deleted: bool) -> list[Student]:
    return [s for s in students if include_deleted or not s.deleted]


def student_project_ids(students: Iterable[Student]) -> list[str]:
    """The projects the course acts on: those of the students that are not deleted and have
    one (store.ts get_student_project_ids)."""
    return [s.project_id for s in students if s.project_id and not s.deleted]


def cross_check(
    students: Iterable[Student], rows: Iterable[Mapping[str, Any]], project_id: str, path: str
) -> CourseCheck:
    """The file's student projects against `projects_all` rows (`project_id`, `deleted`,
    `course`); a student project's `course` is a CourseInfo naming the course's project and
    file (src/packages/util/db-schema/projects.ts CourseInfo)."""
    listed = {str(row["project_id"]): row for row in rows}
    in_file = student_project_ids(students)
    of_course = [
        pid
        for pid, row in listed.items()
        if isinstance(row.get("course"), Mapping)
        and row["course"].get("project_id") == project_id
        and row["course"].get("path") == path
        and row["course"].get("type", "student") == "student"
    ]
    known = set(in_file)
    return CourseCheck(
        not_listed=tuple(pid for pid in in_file if pid not in listed),
        deleted=tuple(pid for pid in in_file if listed.get(pid, {}).get("deleted")),
        not_in_file=tuple(pid for pid in of_course if pid not in known),
    )


_CHECK_FIELDS = ["project_id", "deleted", "course"]


class Course:
    """A course: the `.course` file at `path` in the project `project_id`, read with the
    hub's key (an account key that collaborates on the course project).

    >>> course = cocalc_api.Course(hub, course_project_id, "math101.course")
    >>> results = course.run("python3 -c 'print(1 + 1)'")
    """

    def __init__(self, hub: Hub, project_id: str, path: str) -> None:
        self.hub = hub
        self.project_id = project_id
        self.path = path

    def __repr__(self) -> str:
        return f"Course(project_id={self.project_id!r}, path={self.path!r})"

    def read(self) -> str:
        """The `.course` file's text."""
        with Project(api_key=self.hub.api_key, host=self.hub.host, project_id=self.project_id) as p:
            return p.system.read_text_file_from_project(path=self.path)

    def students(self, *, include_deleted: bool = False) -> list[Student]:
        """The students, in the file's order; deleted ones only if asked."""
        return active(parse_course_file(self.read(), self.path), include_deleted)

    def project_ids(self) -> list[str]:
        """The student projects the course acts on (students not deleted, with a project)."""
        return student_project_ids(self.students())

    def cross_check(self) -> CourseCheck:
        """The file against the projects the hub lists for this course (needs an account key
        that may list projects: `projects.get(all=True)`)."""
        rows = self.hub.projects.get(all=True, fields=_CHECK_FIELDS)
        return cross_check(self.students(), rows, self.project_id, self.path)

    def run(self, command: str, **options: Any) -> RunResults:
        """`run_in_projects` over the student projects, with the hub's key and host."""
        return run_in_projects(self.project_ids(), command, **self._keyed(options))

    def start(self, **options: Any) -> RunResults:
        """`start_projects` over the student projects, with the hub's key and host."""
        return start_projects(self.project_ids(), **self._keyed(options))

    def _keyed(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"api_key": self.hub.api_key, "host": self.hub.host, **options}


class AsyncCourse:
    """`Course` with an `AsyncHub`: the same methods, awaited (`run` and `start` are async
    iterators of records)."""

    def __init__(self, hub: AsyncHub, project_id: str, path: str) -> None:
        self.hub = hub
        self.project_id = project_id
        self.path = path

    def __repr__(self) -> str:
        return f"AsyncCourse(project_id={self.project_id!r}, path={self.path!r})"

    async def read(self) -> str:
        """The `.course` file's text."""
        async with AsyncProject(
            api_key=self.hub.api_key,
            host=self.hub.host,
            project_id=self.project_id,
            http_client=self.hub.client,
        ) as project:
            return await project.system.read_text_file_from_project(path=self.path)

    async def students(self, *, include_deleted: bool = False) -> list[Student]:
        """The students, in the file's order; deleted ones only if asked."""
        return active(parse_course_file(await self.read(), self.path), include_deleted)

    async def project_ids(self) -> list[str]:
        """The student projects the course acts on."""
        return student_project_ids(await self.students())

    async def cross_check(self) -> CourseCheck:
        """The file against the projects the hub lists for this course."""
        rows = await self.hub.projects.get(all=True, fields=_CHECK_FIELDS)
        return cross_check(await self.students(), rows, self.project_id, self.path)

    async def run(self, command: str, **options: Any) -> AsyncIterator[ProjectResult]:
        """`arun_in_projects` over the student projects, with the hub's key and host."""
        keyed = {"api_key": self.hub.api_key, "host": self.hub.host, **options}
        async for record in arun_in_projects(await self.project_ids(), command, **keyed):
            yield record

    async def start(self, **options: Any) -> AsyncIterator[ProjectResult]:
        """`astart_projects` over the student projects, with the hub's key and host."""
        keyed = {"api_key": self.hub.api_key, "host": self.hub.host, **options}
        async for record in astart_projects(await self.project_ids(), **keyed):
            yield record
