"""Failures as exit codes: a table from exception class to code, read along the class's MRO."""

from __future__ import annotations

from cocalc_api import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncJobNotFoundError,
    AuthenticationError,
    ClientClosedError,
    CocalcError,
    ExecTimeoutError,
    HTTPStatusError,
    InvalidArgumentError,
    JobTimeoutError,
    PermissionDeniedError,
    ProjectUnavailableError,
    ResponseValidationError,
    ServerTimeoutError,
    UnknownFunctionError,
    UnknownKernelError,
)
from cocalc_api.cli._exit_codes import (
    EXIT_AUTH,
    EXIT_BAD_RESPONSE,
    EXIT_FAILURE,
    EXIT_NOT_FOUND,
    EXIT_TIMEOUT,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)


class CliError(Exception):
    """A failure of the command line itself, with its exit code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


# The documented code of each error (docs/cli.md), most specific first: an error gets the code
# of the first class of its MRO found here (APITimeoutError is an APIConnectionError too).
EXIT_CODE_OF: dict[type[BaseException], int] = {
    JobTimeoutError: EXIT_TIMEOUT,
    ExecTimeoutError: EXIT_TIMEOUT,
    ServerTimeoutError: EXIT_TIMEOUT,
    APITimeoutError: EXIT_TIMEOUT,
    AuthenticationError: EXIT_AUTH,
    PermissionDeniedError: EXIT_AUTH,
    UnknownFunctionError: EXIT_NOT_FOUND,
    AsyncJobNotFoundError: EXIT_NOT_FOUND,
    UnknownKernelError: EXIT_NOT_FOUND,
    APIConnectionError: EXIT_UNREACHABLE,
    HTTPStatusError: EXIT_UNREACHABLE,
    ProjectUnavailableError: EXIT_UNREACHABLE,
    ClientClosedError: EXIT_UNREACHABLE,
    ResponseValidationError: EXIT_BAD_RESPONSE,
    InvalidArgumentError: EXIT_USAGE,
    APIError: EXIT_FAILURE,
    CocalcError: EXIT_FAILURE,
}


def exit_code_for(error: BaseException) -> int:
    """The documented exit code of an error (docs/cli.md)."""
    found = (EXIT_CODE_OF.get(cls) for cls in type(error).__mro__)
    return next((code for code in found if code is not None), EXIT_FAILURE)


def one_line(error: BaseException) -> str:
    """The error as one line: its public name and message, line breaks shown as \\n."""
    name = type(error).__name__
    text = str(error).strip().replace("\r\n", "\n").replace("\n", "\\n")
    return f"{name}: {text}" if text else name
