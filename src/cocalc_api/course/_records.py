"""One project's result, in the shape the web app gives it, and how a failure becomes one.

The shape is `Result` of src/packages/frontend/course/student-projects/run-in-all-projects.ts:
`{project_id, stdout, stderr, exit_code, timeout?, total_time}`, where `total_time` is the
seconds from the start of the whole run to this project's end (its `start` is taken once,
before the map), and a project that fails is `{stdout: "", stderr: String(err),
exit_code: -1}`. Ours adds `error` to a failure: the exception's public name and text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from cocalc_api._exceptions import APIError

# run-in-all-projects.ts: the exit code of a project whose run failed.
FAILED_EXIT_CODE = -1


class ProjectResult(TypedDict):
    """What happened in one project (the web app's `Result`, plus `error` on a failure)."""

    project_id: str
    stdout: str
    stderr: str
    exit_code: int
    total_time: float
    """Seconds from the start of the run to this project's end, as the web app counts."""
    timeout: NotRequired[float]
    """The command's time limit in seconds, when one was given."""
    error: NotRequired[str]
    """Why the project failed (e.g. `ExecTimeoutError: ...`): only on a failure."""


class Outcome(TypedDict):
    """What an operation reports from a project that answered."""

    stdout: str
    stderr: str
    exit_code: int


def finished(
    project_id: str, outcome: Outcome, total_time: float, timeout: float | None
) -> ProjectResult:
    record = ProjectResult(
        project_id=project_id,
        stdout=outcome["stdout"],
        stderr=outcome["stderr"],
        exit_code=outcome["exit_code"],
        total_time=round(total_time, 3),
    )
    if timeout is not None:
        record["timeout"] = timeout
    return record


def failed(
    project_id: str, error: BaseException, total_time: float, timeout: float | None
) -> ProjectResult:
    """A failure as the web app records it: stderr is the error's text (the server's own
    words for an error the service reported), exit_code -1."""
    text = error.message if isinstance(error, APIError) else str(error)
    record = finished(
        project_id,
        Outcome(stdout="", stderr=text or type(error).__name__, exit_code=FAILED_EXIT_CODE),
        total_time,
        timeout,
    )
    explained = " ".join(str(error).split())
    record["error"] = f"{type(error).__name__}: {explained}" if explained else type(error).__name__
    return record


def succeeded(record: ProjectResult | Mapping[str, Any]) -> bool:
    """Whether the project's operation worked: no error, and exit code 0."""
    return "error" not in record and record.get("exit_code") == 0
