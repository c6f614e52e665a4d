"""One local hub per test session (per worker) with an 8-student demo course, and the course
as the instructor sees it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import cocalc_api
from cocalc_hub_server.testing import HubProcess, running_hub

# Enough projects for every run to have several in flight and some waiting (the runs' own
# concurrency is 2 or 3 where it matters); each is a project server the hub starts.
STUDENTS = 8
INSTRUCTOR_KEY = "sk-instructor-of-the-demo-course-01"
# At least the runs' concurrency: projects then start once per run, not again and again.
MAX_RUNNING = 30


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    extra = ["--demo-course", str(STUDENTS), "--max-running-projects", str(MAX_RUNNING)]
    root = tmp_path_factory.mktemp("course-hub")
    with running_hub(root=root, api_key=INSTRUCTOR_KEY, extra_args=extra) as hub:
        yield hub


@dataclass(frozen=True)
class DemoCourse:
    site: HubProcess
    hub: cocalc_api.Hub
    project_id: str
    path: str
    student_projects: tuple[str, ...]

    @property
    def course(self) -> cocalc_api.Course:
        return cocalc_api.Course(self.hub, self.project_id, self.path)

    def home(self, project_id: str) -> Path:
        # A project's HOME on the local hub: <root>/projects/<project_id>, as single-user
        # CoCalc's homePath (src/packages/server/projects/control/util.ts).
        return Path(self.site.root) / "projects" / project_id


@pytest.fixture(scope="session")
def demo(site: HubProcess) -> Iterator[DemoCourse]:
    assert site.demo_course is not None
    project_id, _, path = site.demo_course.partition(":")
    with cocalc_api.Hub(api_key=site.api_key, host=site.url) as hub:
        # The student projects, from the hub's own record of them (their `course` field).
        rows = hub.projects.get(all=True, fields=["project_id", "course"])
        students = tuple(
            row["project_id"]
            for row in rows
            if (row.get("course") or {}).get("project_id") == project_id
        )
        yield DemoCourse(site, hub, project_id, path, students)
