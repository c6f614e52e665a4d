"""The service's error texts as typed exceptions: a table of rules, tried in order.

Every `{"error": ...}` answer goes through here. A method's own rules come first (the method
table names them, e.g. exec's `exec_exit`), then the rules every method shares. An exception's
`.message` is always the server's exact text; where a bare text would leave the user guessing,
`str(error)` explains it and says what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cocalc_api._constants import SERVER_DEFAULT_ENVELOPE_S
from cocalc_api._exceptions import (
    APIError,
    AsyncJobNotFoundError,
    AuthenticationError,
    CocalcError,
    ExecError,
    ExecTimeoutError,
    PermissionDeniedError,
    ProjectUnavailableError,
    ServerTimeoutError,
    UnknownFunctionError,
    UnknownKernelError,
)
from cocalc_api._timeouts import CallLimits
from cocalc_api_generated._runtime import MethodSpec


@dataclass(frozen=True, slots=True)
class Failure:
    """What a rule reads: the call as sent and the server's (redacted) text."""

    method: MethodSpec[Any]
    args: list[Any]
    limits: CallLimits
    message: str

    @property
    def options(self) -> Mapping[str, Any]:
        first = self.args[0] if self.args else None
        return first if isinstance(first, dict) else {}


Rule = Callable[[Failure], CocalcError | None]

# The refusals of a key, each with what to do instead. The project route's texts are
# src/packages/next/pages/api/conat/project.ts and src/packages/server/auth/api.ts; the hub
# route's is src/packages/next/pages/api/conat/hub.ts.
AUTH_FIXES: dict[str, str] = {
    "You must provide authentication via an API key.": (
        "no API key reached the server: pass api_key=... or set COCALC_API_KEY"
    ),
    "must sign in as project or account": (
        "the server does not accept this API key (unknown, expired or banned): make a new one "
        "in your CoCalc account settings (API keys)"
    ),
    "must specify project_id or use project-specific api key": (
        "this is an account key, which reaches many projects: say which with "
        "Project(..., project_id=...) or COCALC_PROJECT_ID"
    ),
    "project specific api key must match requested project": (
        "this key belongs to another project: leave project_id out to use the key's own "
        "project, or use the key of this one"
    ),
    "user must be a collaborator on the project": (
        "the key's account does not collaborate on this project: an account that does can "
        "add it with hub.projects.add_collaborator(project_id, account_id)"
    ),
    "must be signed in and MUST provide an api key (cookies are not allowed)": (
        "the hub API takes an account key, and this one is not (a project-scoped key reaches "
        "its own project only, through Project): make an account key in your CoCalc account "
        "settings (API keys), or mint project keys with hub.system.manage_api_keys"
    ),
}
# A function's own refusal, thrown inside the hub (src/packages/server/conat/api/*.ts,
# src/packages/server/conat/api/org.ts), as `String(err)`: "Error: <text>".
NOT_A_COLLABORATOR = re.compile(r"^(?:Error: )?(?:user )?must be (?:a )?collaborator on")
NOT_AN_ADMIN = re.compile(
    r"^(?:Error: )?(?:must be a site admin|only admins? |only site admins |Must be an admin"
    r"|user must be an admin of the organization)"
)
# docs/wire-protocol.md §3, src/packages/backend/execute-code.ts
EXEC_EXIT = re.compile(
    r"^command '(?P<command>.*)' exited with nonzero code (?P<code>-?\d+)"
    r" -- stderr='(?P<stderr>.*)'$",
    re.DOTALL,
)
EXEC_NOT_RUN = re.compile(
    r"^command '(?P<command>.*)' was not able to run -- stderr='(?P<stderr>.*)'$", re.DOTALL
)
EXEC_KILLED = re.compile(r"^killed command '(?P<command>.*)'$", re.DOTALL)
ASYNC_UNKNOWN = re.compile(r"^Error: Async operation '.*' does not exist\.$", re.DOTALL)
# src/packages/jupyter/kernel/launch-kernel.ts, via stateless-api
UNKNOWN_KERNEL = re.compile(
    r'No spec available for kernel "(?P<kernel>[^"]*)"\.\s+Available specs: (?P<specs>\[.*?\])',
    re.DOTALL,
)


def _users_command(failure: Failure) -> str:
    """The command as the user gave it (the server names a bash script by its temp file)."""
    options = failure.options
    command = str(options.get("command", ""))
    args = options.get("args") or []
    return " ".join([command, *map(str, args)]) if args else command


def _missing_program(stderr: str) -> str | None:
    # A program that cannot start leaves node's spawn error, as JSON, in stderr.
    try:
        error = json.loads(stderr)
    except ValueError:
        return None
    if isinstance(error, dict) and error.get("code") == "ENOENT":
        return str(error.get("path") or str(error.get("syscall", "")).removeprefix("spawn "))
    return None


def _exec_failure(failure: Failure, found: re.Match[str], exit_code: int) -> ExecError:
    missing = _missing_program(found["stderr"])
    return ExecError(
        failure.message,
        method=failure.method.wire_name,
        command=_users_command(failure),
        exit_code=exit_code,
        stderr=found["stderr"],
        program_not_found=bool(missing),
        explanation=f"program not found: {missing}" if missing else None,
    )


def exec_exit(failure: Failure) -> CocalcError | None:
    found = EXEC_EXIT.match(failure.message)
    return _exec_failure(failure, found, int(found["code"])) if found else None


def exec_not_run(failure: Failure) -> CocalcError | None:
    # Only with err_on_exit=False: the program never ran, so there is no exit code; 1 is
    # what the real service reports for it (execute-code.ts).
    found = EXEC_NOT_RUN.match(failure.message)
    return _exec_failure(failure, found, 1) if found else None


def exec_killed(failure: Failure) -> CocalcError | None:
    if EXEC_KILLED.match(failure.message) is None:
        return None
    command = _users_command(failure)
    policy = failure.method.timeout
    sent = failure.options.get(policy.wire_name) if policy else None
    limit = float(sent if isinstance(sent, int | float) else policy.server_default if policy else 0)
    return ExecTimeoutError(
        failure.message,
        method=failure.method.wire_name,
        command=command,
        timeout=limit,
        explanation=(
            f"the command {command!r} was killed at its time limit of {limit:g} s; pass a "
            "larger timeout=..., or async_call=True for long work"
        ),
    )


def async_job_unknown(failure: Failure) -> CocalcError | None:
    if ASYNC_UNKNOWN.match(failure.message) is None:
        return None
    return AsyncJobNotFoundError(
        failure.message,
        method=failure.method.wire_name,
        explanation=(
            f"{failure.message} The project keeps at most 100 jobs, each for an hour after its "
            "last use, and forgets them when it restarts."
        ),
    )


def async_wait_timeout(failure: Failure) -> CocalcError | None:
    if not _is_408(failure.message) or failure.options.get("async_await") is not True:
        return None
    limit = failure.limits.envelope_s or SERVER_DEFAULT_ENVELOPE_S
    return ServerTimeoutError(
        failure.message,
        method=failure.method.wire_name,
        explanation=(
            f"the job did not end within the call's limit of {limit:g} s and is still running; "
            "wait longer with project.with_options(timeout=...).system.exec_status(job_id, "
            "wait=True), or poll it again"
        ),
    )


def unknown_kernel(failure: Failure) -> CocalcError | None:
    found = UNKNOWN_KERNEL.search(failure.message)
    if found is None:
        return None
    try:
        available = [str(name) for name in json.loads(found["specs"])]
    except ValueError:
        available = []
    return UnknownKernelError(
        failure.message,
        method=failure.method.wire_name,
        kernel=found["kernel"],
        available=available,
        explanation=(
            f"no Jupyter kernel named {found['kernel']!r}; the project has: "
            f"{', '.join(available) or 'none'}"
        ),
    )


# Rules every method shares, in order (docs/wire-protocol.md §2).
def authentication(failure: Failure) -> CocalcError | None:
    text = failure.message
    fix = AUTH_FIXES.get(text)
    if fix is not None or text.startswith("Unknown authorization type"):
        explanation = f"{fix} (the server said: {text})" if fix else None
        return AuthenticationError(text, method=failure.method.wire_name, explanation=explanation)
    return None


def permission_denied(failure: Failure) -> CocalcError | None:
    text = failure.message
    if NOT_A_COLLABORATOR.match(text):
        fix = (
            "the key's account does not collaborate on that project: an account that does can "
            "add it with hub.projects.add_collaborator(project_id, account_id)"
        )
    elif NOT_AN_ADMIN.match(text):
        fix = "only a site admin (or, for an organization's users, its admin) may do this"
    else:
        return None
    return PermissionDeniedError(
        text, method=failure.method.wire_name, explanation=f"{fix} (the server said: {text})"
    )


def unknown_function(failure: Failure) -> CocalcError | None:
    if failure.message.startswith("Error: unknown function"):
        return UnknownFunctionError(failure.message, method=failure.method.wire_name)
    return None


def _is_408(text: str) -> bool:
    return text.startswith("timeout") and "code='408'" in text


def server_timeout(failure: Failure) -> CocalcError | None:
    if _is_408(failure.message):
        return ServerTimeoutError(failure.message, method=failure.method.wire_name)
    return None


def project_unavailable(failure: Failure) -> CocalcError | None:
    if "code='503'" in failure.message:
        return ProjectUnavailableError(failure.message, method=failure.method.wire_name)
    return None


SHARED_RULES: tuple[Rule, ...] = (
    authentication,
    permission_denied,
    unknown_function,
    server_timeout,
    project_unavailable,
)
# The rules a method table entry may name under `errors`.
METHOD_RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        exec_exit,
        exec_not_run,
        exec_killed,
        async_job_unknown,
        async_wait_timeout,
        unknown_kernel,
    )
}


def api_error(failure: Failure) -> CocalcError:
    """The exception for an `{"error": ...}` answer."""
    rules = [METHOD_RULES[name] for name in failure.method.errors]
    for rule in (*rules, *SHARED_RULES):
        error = rule(failure)
        if error is not None:
            return error
    return APIError(failure.message, method=failure.method.wire_name)
