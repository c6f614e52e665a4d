"""Teaching with cocalc_api: a course's students and projects, and acting on many projects at
once (docs/teaching.md).

- `Course(hub, project_id, path)` / `AsyncCourse`: the students of a `.course` file, their
  projects, and a cross-check against the hub.
- `run_in_projects`, `start_projects`, `write_file_in_projects`, `read_file_from_projects`,
  `run_notebook_in_projects`, and their async twins (`arun_in_projects`, ...): one engine,
  at most 30 projects at a time, one record per project in the web app's shape
  (`ProjectResult`), a failure kept in its record, resumable from a JSON-lines file.
"""

from cocalc_api.course._api import (
    DEFAULT_COMMAND_TIMEOUT_S,
    aread_file_from_projects,
    arun_in_projects,
    arun_notebook_in_projects,
    astart_projects,
    awrite_file_in_projects,
    read_file_from_projects,
    run_in_projects,
    run_notebook_in_projects,
    start_projects,
    write_file_in_projects,
)
from cocalc_api.course._course import (
    AsyncCourse,
    Course,
    CourseCheck,
    Student,
    parse_course_file,
)
from cocalc_api.course._drive import RunResults
from cocalc_api.course._engine import DEFAULT_CONCURRENCY
from cocalc_api.course._records import FAILED_EXIT_CODE, ProjectResult, succeeded
from cocalc_api.course._results_file import ResultsFile
from cocalc_api.course._steps import (
    DEFAULT_START_TIMEOUT_S,
    DeletedProjectError,
    StartTimeoutError,
)

__all__ = [
    "DEFAULT_COMMAND_TIMEOUT_S",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_START_TIMEOUT_S",
    "FAILED_EXIT_CODE",
    "AsyncCourse",
    "Course",
    "CourseCheck",
    "DeletedProjectError",
    "ProjectResult",
    "ResultsFile",
    "RunResults",
    "StartTimeoutError",
    "Student",
    "aread_file_from_projects",
    "arun_in_projects",
    "arun_notebook_in_projects",
    "astart_projects",
    "awrite_file_in_projects",
    "parse_course_file",
    "read_file_from_projects",
    "run_in_projects",
    "run_notebook_in_projects",
    "start_projects",
    "succeeded",
    "write_file_in_projects",
]

for _name in ("DeletedProjectError", "StartTimeoutError"):
    globals()[_name].__module__ = "cocalc_api.course"
