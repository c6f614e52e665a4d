"""Typed Python SDK for the CoCalc project API.

>>> import cocalc_api
>>> project = cocalc_api.Project(api_key="sk-...", project_id="...")
>>> project.system.jupyter_execute(input="sum(range(100))", kernel="python3")
[{'data': {'text/plain': '4950'}}]
"""

from typing import TYPE_CHECKING, Any

from cocalc_api._client import AsyncProject, Project
from cocalc_api._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncJobNotFoundError,
    AuthenticationError,
    CellError,
    ClientClosedError,
    CocalcError,
    ExecError,
    ExecTimeoutError,
    HTTPStatusError,
    InsecureHostWarning,
    InvalidArgumentError,
    PermissionDeniedError,
    ProjectUnavailableError,
    RequestTooLargeError,
    ResponseTooLargeError,
    ResponseValidationError,
    ServerTimeoutError,
    UnknownFunctionError,
    UnknownKernelError,
)
from cocalc_api._network.http_clients import DefaultAsyncHttpxClient, DefaultHttpxClient
from cocalc_api._version import __version__

if TYPE_CHECKING:
    from cocalc_api._cells import raise_for_cell_error
    from cocalc_api._jobs import AsyncJob, Job, JobTimeoutError, JobUpdate
    from cocalc_api._network.aiohttp_client import DefaultAioHttpClient
    from cocalc_api.course import (
        AsyncCourse,
        Course,
        ProjectResult,
        RunResults,
        Student,
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
    from cocalc_api.hub import AsyncHub, Hub

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncCourse",
    "AsyncHub",
    "AsyncJob",
    "AsyncJobNotFoundError",
    "AsyncProject",
    "AuthenticationError",
    "CellError",
    "ClientClosedError",
    "CocalcError",
    "Course",
    "DefaultAioHttpClient",
    "DefaultAsyncHttpxClient",
    "DefaultHttpxClient",
    "ExecError",
    "ExecTimeoutError",
    "HTTPStatusError",
    "Hub",
    "InsecureHostWarning",
    "InvalidArgumentError",
    "Job",
    "JobTimeoutError",
    "JobUpdate",
    "PermissionDeniedError",
    "Project",
    "ProjectResult",
    "ProjectUnavailableError",
    "RequestTooLargeError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "RunResults",
    "ServerTimeoutError",
    "Student",
    "UnknownFunctionError",
    "UnknownKernelError",
    "__version__",
    "aread_file_from_projects",
    "arun_in_projects",
    "arun_notebook_in_projects",
    "astart_projects",
    "awrite_file_in_projects",
    "raise_for_cell_error",
    "read_file_from_projects",
    "run_in_projects",
    "run_notebook_in_projects",
    "start_projects",
    "write_file_in_projects",
]


_JOBS = frozenset({"AsyncJob", "Job", "JobTimeoutError", "JobUpdate"})
# Loaded on first use, with the hub they act through.
_COURSE = frozenset(
    {
        "AsyncCourse",
        "Course",
        "ProjectResult",
        "RunResults",
        "Student",
        "arun_in_projects",
        "arun_notebook_in_projects",
        "aread_file_from_projects",
        "astart_projects",
        "awrite_file_in_projects",
        "read_file_from_projects",
        "run_in_projects",
        "run_notebook_in_projects",
        "start_projects",
        "write_file_in_projects",
    }
)


def __getattr__(name: str) -> Any:
    if name in ("Hub", "AsyncHub"):  # the hub API's methods load with it, not with Project
        from cocalc_api import hub

        return getattr(hub, name)
    if name == "raise_for_cell_error":
        from cocalc_api._cells import raise_for_cell_error

        return raise_for_cell_error
    if name in _COURSE:
        from cocalc_api import course

        return getattr(course, name)
    if name in _JOBS:  # loaded on first use: `import cocalc_api` stays light
        from cocalc_api import _jobs

        return getattr(_jobs, name)
    if name == "DefaultAioHttpClient":  # aiohttp is an extra, and heavy to import
        try:
            from cocalc_api._network.aiohttp_client import DefaultAioHttpClient
        except ModuleNotFoundError as missing:
            raise ModuleNotFoundError(
                f"cocalc_api.DefaultAioHttpClient needs the aiohttp extra ({missing.name} is "
                "not installed): pip install 'cocalc-sdk[aiohttp]'",
                name=missing.name,
            ) from missing
        return DefaultAioHttpClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
