"""Typed Python SDK for the CoCalc project API.

>>> import cocalc_api
>>> project = cocalc_api.Project(api_key="sk-...", project_id="...")
>>> project.system.jupyter_execute(input="sum(range(100))", kernel="python3")
[{'data': {'text/plain': '4950'}}]
"""

from cocalc_api._client import AsyncProject, Project
from cocalc_api._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncJobNotFoundError,
    AuthenticationError,
    CocalcError,
    ExecError,
    ExecTimeoutError,
    HTTPStatusError,
    InsecureHostWarning,
    InvalidArgumentError,
    ProjectUnavailableError,
    ResponseValidationError,
    ServerTimeoutError,
    UnknownFunctionError,
)

__version__ = "1.0.0.dev0"

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncJobNotFoundError",
    "AsyncProject",
    "AuthenticationError",
    "CocalcError",
    "ExecError",
    "ExecTimeoutError",
    "HTTPStatusError",
    "InsecureHostWarning",
    "InvalidArgumentError",
    "Project",
    "ProjectUnavailableError",
    "ResponseValidationError",
    "ServerTimeoutError",
    "UnknownFunctionError",
]
