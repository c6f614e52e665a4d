"""The exceptions of cocalc_api: one base class, and a subclass per way a call can fail.

Errors the service reports (`{"error": ...}`) subclass RuntimeError as well, because the
reference client raises RuntimeError for them and existing `except RuntimeError` must keep
working. Every exception pickles with its fields (for multiprocessing and task queues), and
shows its public name, e.g. `cocalc_api.ExecError`.
"""

from __future__ import annotations

from typing import Any

from cocalc_api._constants import MESSAGE_HEAD_CHARS, MESSAGE_TAIL_CHARS

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncJobNotFoundError",
    "AuthenticationError",
    "CellError",
    "ClientClosedError",
    "CocalcError",
    "ExecError",
    "ExecTimeoutError",
    "HTTPStatusError",
    "InsecureHostWarning",
    "InvalidArgumentError",
    "ProjectUnavailableError",
    "RequestTooLargeError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "ServerTimeoutError",
    "UnknownFunctionError",
    "UnknownKernelError",
]


class CocalcError(Exception):
    """Base class of every error raised by cocalc_api."""

    def fields(self) -> dict[str, Any]:
        """The exception's data by name, e.g. `exit_code` and `stderr` of an ExecError: what
        tools pass on as structured data (the MCP server's error `_meta`) next to `str(error)`."""
        return {name: value for name, value in vars(self).items() if not name.startswith("_")}

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its fields rather than through __init__, whose arguments are keywords.
        return (_restore, (type(self), self.args, self.__dict__))


def shortened(text: str) -> str:
    """`text`, or its start and end around a note of how much was left out (a server may send
    megabytes of error text: a traceback or log line would carry all of it)."""
    cut = len(text) - MESSAGE_HEAD_CHARS - MESSAGE_TAIL_CHARS
    if cut <= 0:
        return text
    return (
        f"{text[:MESSAGE_HEAD_CHARS]} [... {cut} characters left out here; the whole text is "
        f"the error's .message ...] {text[-MESSAGE_TAIL_CHARS:]}"
    )


def _restore(cls: type[CocalcError], args: tuple[Any, ...], state: dict[str, Any]) -> CocalcError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidArgumentError(CocalcError, TypeError, ValueError):
    """The caller's arguments or settings are invalid; nothing was sent."""


class RequestTooLargeError(InvalidArgumentError):
    """The call's request body is larger than CoCalc's API takes (1 MiB): refused before it is
    sent, or answered HTTP 413 by the server (whose text `.message` then ends with). Send less
    in one call, e.g. a large file in parts."""

    def __init__(self, message: str, *, limit: int | None, size: int) -> None:
        super().__init__(message)
        self.limit = limit  # bytes allowed (1 MiB), or None when a server's 413 said so
        self.size = size  # bytes of the request body


class APIError(CocalcError, RuntimeError):
    """The service answered with `{"error": message}`.

    `.message` is the server's exact text; `str(error)` is the same, or, where that text alone
    would leave you guessing, an explanation of it that says what to do; either is shortened
    past a few thousand characters.
    """

    def __init__(
        self, message: str, *, method: str | None = None, explanation: str | None = None
    ) -> None:
        super().__init__(shortened(explanation or message))
        self.message = message
        self.method = method  # the wire name, e.g. "system.exec"


class AuthenticationError(APIError):
    """The API key is missing, unknown, or not allowed to use this project."""


class PermissionDeniedError(APIError):
    """The key's account may not do this: it does not collaborate on the project, or the
    call needs a site admin or an organization's admin. `str()` says whose key would do."""


class UnknownFunctionError(APIError):
    """The service does not know the method (`Error: unknown function '...'`)."""


class ServerTimeoutError(APIError):
    """The call's server-side time limit (the envelope `timeout`) ran out (code 408)."""


class ProjectUnavailableError(APIError):
    """The project could not be reached, e.g. while it starts (code 503); safe to retry."""


class ExecError(APIError):
    """`exec` ran a command that exited with a non-zero code (and `err_on_exit` was on), or
    could not start it.

    `.exit_code` and `.stderr` are read from the service's text, which carries the start of
    stderr (1024 characters) and no stdout: `.stdout` is None then (pass `err_on_exit=False` to
    get the whole outcome as a result instead). A command that could not start has
    `.program_not_found` set when the program is the likely cause, and `.folder`, the folder it
    was to run in (None: the project's home folder); `str(error)` says which of the two to
    check. A bash command's temporary script is shown as your command in `str()`."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None,
        command: str,
        exit_code: int,
        stderr: str,
        program_not_found: bool = False,
        explanation: str | None = None,
        stdout: str | None = None,
        folder: str | None = None,
    ) -> None:
        super().__init__(message, method=method, explanation=explanation)
        self.command = command  # as you gave it, with its args
        self.exit_code = exit_code
        self.stdout = stdout  # None: the service's text does not carry it
        self.stderr = stderr  # the start of it (the server cuts it at 1024 characters)
        self.program_not_found = program_not_found  # the program could not be started
        self.folder = folder  # the folder it ran in, as given (None: the home folder)


class ExecTimeoutError(APIError):
    """`exec` killed the command at its own `timeout` (`killed command '...'`)."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None,
        command: str,
        timeout: float,
        explanation: str | None = None,
    ) -> None:
        super().__init__(message, method=method, explanation=explanation)
        self.command = command  # as you gave it, with its args
        self.timeout = timeout  # the limit that ran out, in seconds


class UnknownKernelError(APIError):
    """`jupyter_execute` asked for a kernel the project does not have; `.available` lists
    the ones it has."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None,
        kernel: str,
        available: list[str],
        explanation: str | None = None,
    ) -> None:
        super().__init__(message, method=method, explanation=explanation)
        self.kernel = kernel
        self.available = available


class AsyncJobNotFoundError(APIError):
    """`exec_status` asked for a job the project does not have (or no longer has)."""


class CellError(CocalcError):
    """Jupyter code raised: an error item among a call's outputs, raised on request by
    `cocalc_api.raise_for_cell_error` (the service returns errors as outputs, not as errors).

    `.ename`, `.evalue` and `.traceback` are the item's; `.cell` is the notebook cell it came
    from (None for `jupyter_execute`'s outputs); `.interrupted` is True for the
    KeyboardInterrupt of a cell stopped at its time limit."""

    def __init__(
        self,
        message: str,
        *,
        ename: str,
        evalue: str,
        traceback: list[str],
        cell: int | None = None,
        interrupted: bool = False,
    ) -> None:
        super().__init__(shortened(message))
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback
        self.cell = cell
        self.interrupted = interrupted


class ClientClosedError(CocalcError, RuntimeError):
    """A call on a project whose connections were closed (after `close()` or `aclose()`)."""


class HTTPStatusError(CocalcError):
    """The HTTP status was not 200 (the service answers 200 to every call it can read; a proxy
    did not, or the body was not JSON: 400)."""

    def __init__(
        self, message: str, *, status_code: int, body: str, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body  # the start of the body, secrets removed
        self.retry_after = retry_after  # seconds, from a Retry-After header


class APIConnectionError(CocalcError):
    """The request did not get a complete response: refused, reset, DNS, TLS, or cut off."""


class APITimeoutError(APIConnectionError, TimeoutError):
    """The client's own HTTP time limit ran out (connect, read, write or pool)."""


class ResponseValidationError(CocalcError, ValueError):
    """The response does not match the spec: not JSON, or a result of the wrong shape."""


class ResponseTooLargeError(ResponseValidationError):
    """The answer is longer than the client's `max_response_bytes` (counted after
    decompression, or announced by its Content-Length); the rest of it was not read."""

    def __init__(self, message: str, *, limit: int, size: int) -> None:
        super().__init__(message)
        self.limit = limit  # the client's max_response_bytes
        self.size = size  # bytes read when reading stopped, or the Content-Length announced


class InsecureHostWarning(UserWarning):
    """The host is plain http:// and not loopback: the API key would cross in clear text."""


for _name in __all__:
    globals()[_name].__module__ = "cocalc_api"
