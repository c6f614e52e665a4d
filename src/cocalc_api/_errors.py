"""The service's error texts as typed exceptions: a table of rules, tried in order.

Every `{"error": ...}` answer goes through here. A method's own rules come first (the method
table names them, e.g. exec's `exec_exit`), then the rules every method shares. An exception's
`.message` is always the server's exact text; where a bare text would leave the user guessing,
`str(error)` explains it and says what to do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cocalc_api._constants import SERVER_DEFAULT_ENVELOPE_S
from cocalc_api._exceptions import (
    APIError,
    AsyncJobNotFoundError,
    AuthenticationError,
    CocalcError,
    PermissionDeniedError,
    ProjectUnavailableError,
    ServerTimeoutError,
    UnknownFunctionError,
)
from cocalc_api._exec_errors import exec_exit, exec_killed, exec_not_run
from cocalc_api._failure import Failure, Rule
from cocalc_api._notebook_errors import nbconvert_no_source, run_notebook_no_kernel, unknown_kernel
from cocalc_api.wording import key_origin, wording

if TYPE_CHECKING:
    from cocalc_api._settings import Settings


# The refusals of a key. The project route's texts are
# src/packages/next/pages/api/conat/project.ts and src/packages/server/auth/api.ts; the hub
# route's is src/packages/next/pages/api/conat/hub.ts.
NO_KEY = "You must provide authentication via an API key."
UNKNOWN_KEY = "must sign in as project or account"
NO_PROJECT = "must specify project_id or use project-specific api key"
OTHER_PROJECT = "project specific api key must match requested project"
NOT_COLLABORATING = "user must be a collaborator on the project"
NOT_AN_ACCOUNT_KEY = "must be signed in and MUST provide an api key (cookies are not allowed)"


def auth_fix(text: str, settings: Settings | None) -> str | None:
    """What to do about a refused key: which key (where it came from), sent to which host,
    for which project, and what to check."""
    host = settings.host if settings else "the server"
    key = f"the API key {key_origin(settings.api_key)}" if settings else "the API key"
    project = settings.project_id if settings else None
    words = wording()
    if text == NO_KEY:
        return (
            f"no API key reached {host} (a proxy in between may drop the Authorization "
            f"header): {words.give_key}"
        )
    if text == UNKNOWN_KEY:
        return (
            f"{host} does not accept {key}: it is unknown there (made on another CoCalc "
            "server, or mistyped), expired or banned. Check that it is a key of "
            f"{host}, or make a new one in your CoCalc account settings (API keys)"
        )
    if text == NO_PROJECT:
        return (
            f"{key} is an account key, which reaches many projects: say which with "
            f"{words.choose_project}"
        )
    if text == OTHER_PROJECT:
        return (
            f"{key} belongs to one project, and it is not {project or 'the one asked for'}: "
            f"{words.drop_project} to use the key's own project, or use a key of that project"
        )
    if text == NOT_COLLABORATING:
        where = f"project {project}" if project else "this project"
        return (
            f"the account of {key} does not collaborate on {where} at {host}: an account "
            f"that does can add it with {words.add_collaborator}"
        )
    if text == NOT_AN_ACCOUNT_KEY:
        return (
            f"the hub API of {host} takes an account key, and {key} is not one (a "
            f"project-scoped key reaches its own project only, through {words.project_client}): "
            "make an account key in your CoCalc account settings (API keys), or mint project "
            f"keys with {words.make_project_keys}"
        )
    return None


# A function's own refusal, thrown inside the hub (src/packages/server/conat/api/*.ts,
# src/packages/server/conat/api/org.ts), as `String(err)`: "Error: <text>".
NOT_A_COLLABORATOR = re.compile(r"^(?:Error: )?(?:user )?must be (?:a )?collaborator on")
NOT_AN_ADMIN = re.compile(
    r"^(?:Error: )?(?:must be a site admin|only admins? |only site admins |Must be an admin"
    r"|user must be an admin of the organization)"
)
ASYNC_UNKNOWN = re.compile(r"^Error: Async operation '.*' does not exist\.$", re.DOTALL)


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
            f"{wording().wait_longer}"
        ),
    )


# Rules every method shares, in order (docs/wire-protocol.md §2).
def authentication(failure: Failure) -> CocalcError | None:
    text = failure.message
    fix = auth_fix(text, failure.settings)
    if fix is not None or text.startswith("Unknown authorization type"):
        explanation = f"{fix} (the server said: {text})" if fix else None
        return AuthenticationError(text, method=failure.method.wire_name, explanation=explanation)
    return None


def permission_denied(failure: Failure) -> CocalcError | None:
    text = failure.message
    if NOT_A_COLLABORATOR.match(text):
        fix = (
            "the key's account does not collaborate on that project: an account that does can "
            f"add it with {wording().add_collaborator}"
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
        nbconvert_no_source,
        run_notebook_no_kernel,
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
