"""The error texts of `system.exec` (src/packages/backend/execute-code.ts) as ExecError and
ExecTimeoutError, with what the text leaves out said in `str()`.

- A non-zero exit (`err_on_exit` on): the text carries the code and the start of stderr, never
  stdout; `str()` says how to get all of it.
- A command with whitespace (and no `args`) runs as a temporary bash script whose first line
  sets a CPU limit, so bash names its lines `/tmp/cocalc-XXXXXX/a.sh: line 2:`; `str()` names
  your command and its own line numbers instead.
- A program that cannot start leaves node's spawn error in stderr. Node reports a missing
  working folder (`cwd`) exactly as a missing program (`spawn ls ENOENT`), so where the folder
  was given, `str()` names both; under bash (which exists) it can only be the folder.
"""

from __future__ import annotations

import json
import re

from cocalc_api._exceptions import CocalcError, ExecError, ExecTimeoutError
from cocalc_api._failure import Failure
from cocalc_api.wording import wording

EXEC_EXIT = re.compile(
    r"^command '(?P<command>.*)' exited with nonzero code (?P<code>-?\d+)"
    r" -- stderr='(?P<stderr>.*)'$",
    re.DOTALL,
)
EXEC_NOT_RUN = re.compile(
    r"^command '(?P<command>.*)' was not able to run -- stderr='(?P<stderr>.*)'$", re.DOTALL
)
EXEC_KILLED = re.compile(r"^killed command '(?P<command>.*)'$", re.DOTALL)
# The script executeCode writes a bash command to: join(tmpdir(), mkdtemp "cocalc-") + "a.sh".
SCRIPT = re.compile(r"\S*/cocalc-[A-Za-z0-9]+/a\.sh(?:: line (?P<line>\d+):)?")
# The server's default command limit (execute-code.ts PROJECT_EXEC_DEFAULT_TIMEOUT_S).
SERVER_DEFAULT_LIMIT_S = 60
SHOWN_COMMAND_CHARS = 60


def users_command(failure: Failure) -> str:
    """The command as the user gave it (the server names a bash script by its temp file)."""
    options = failure.options
    command = str(options.get("command", ""))
    args = options.get("args") or []
    return " ".join([command, *map(str, args)]) if args else command


def _runs_under_bash(failure: Failure) -> bool:
    # executeCode: a command with whitespace and no args, or `bash: true`.
    options = failure.options
    command = str(options.get("command", ""))
    return bool(options.get("bash")) or (not options.get("args") and len(command.split()) > 1)


def _script_lines_before_yours(failure: Failure) -> int:
    # executeCode puts `ulimit -t <timeout>` before the command when it has a time limit (the
    # server's 60 s unless `timeout: 0`) and `ulimit_timeout` is not off.
    options = failure.options
    timeout = options.get("timeout", SERVER_DEFAULT_LIMIT_S)
    return 1 if timeout and options.get("ulimit_timeout", True) is not False else 0


def _short(command: str) -> str:
    first = command.strip().splitlines()[0] if command.strip() else command
    if len(first) > SHOWN_COMMAND_CHARS or first != command.strip():
        first = first[:SHOWN_COMMAND_CHARS].rstrip() + "…"
    return repr(first)


def as_users_script(text: str, failure: Failure) -> str:
    """`text` with the temporary bash script named as the user's command, its lines counted
    from the command's first."""
    if not _runs_under_bash(failure):
        return text
    shown = _short(users_command(failure))
    before = _script_lines_before_yours(failure)

    def name(found: re.Match[str]) -> str:
        if found["line"] is None:
            return shown
        line = int(found["line"]) - before
        return f"{shown}: line {line}:" if line >= 1 else found[0]

    return SCRIPT.sub(name, text)


def _spawn_error(stderr: str) -> dict[str, object] | None:
    # A program that cannot start leaves node's spawn error, as JSON, in stderr.
    try:
        error = json.loads(stderr)
    except ValueError:
        return None
    return error if isinstance(error, dict) else None


def _missing(stderr: str) -> str | None:
    """The program node could not spawn (ENOENT), if that is what stderr says."""
    error = _spawn_error(stderr)
    if error is None or error.get("code") != "ENOENT":
        return None
    return str(error.get("path") or str(error.get("syscall", "")).removeprefix("spawn ")) or None


def _folder(failure: Failure) -> str | None:
    # executeCode: a non-empty `cwd` wins over `path`; neither: the home folder.
    options = failure.options
    for name in ("cwd", "path"):
        value = options.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _not_started(failure: Failure, program: str) -> tuple[str, bool]:
    """What to check when `program` could not start, and whether the program is the likely
    cause."""
    folder = _folder(failure)
    if folder is None:
        return f"program not found: {program} (it was to run in the project's home folder)", True
    if program == "bash" and _runs_under_bash(failure):
        command = _short(users_command(failure))
        why = f"the folder {folder!r} does not exist (the command {command} runs under bash, "
        return why + "which could not start there)", False
    why = f"{program!r} was not found, or the folder {folder!r} it was to run in does not exist"
    return why + " (the service reports both alike, as spawn ENOENT)", True


def _exec_failure(failure: Failure, found: re.Match[str], exit_code: int) -> ExecError:
    stderr = found["stderr"]
    missing = _missing(stderr)
    if missing:
        explanation, program_not_found = _not_started(failure, missing)
    else:
        program_not_found = False
        shown = as_users_script(stderr, failure)
        explanation = (
            f"command '{users_command(failure)}' exited with nonzero code {exit_code} -- "
            f"stderr='{shown}' (the service's error carries no stdout: "
            f"{wording().keep_output})"
        )
    return ExecError(
        failure.message,
        method=failure.method.wire_name,
        command=users_command(failure),
        exit_code=exit_code,
        stderr=stderr,
        program_not_found=program_not_found,
        explanation=explanation,
        folder=_folder(failure),
    )


def exec_exit(failure: Failure) -> CocalcError | None:
    found = EXEC_EXIT.match(failure.message)
    return _exec_failure(failure, found, int(found["code"])) if found else None


def exec_not_run(failure: Failure) -> CocalcError | None:
    # Only with err_on_exit=False: the program never ran, so there is no exit code; 1 is
    # what the real service reports for it (execute-code.ts).
    found = EXEC_NOT_RUN.match(failure.message)
    if found is None:
        return None
    error = _exec_failure(failure, found, 1)
    if not _missing(found["stderr"]):
        # Not a missing program: the text has no exit code or output to add to.
        error = ExecError(
            failure.message,
            method=failure.method.wire_name,
            command=error.command,
            exit_code=1,
            stderr=error.stderr,
            explanation=as_users_script(failure.message, failure),
            folder=error.folder,
        )
    return error


def exec_killed(failure: Failure) -> CocalcError | None:
    if EXEC_KILLED.match(failure.message) is None:
        return None
    command = users_command(failure)
    policy = failure.method.timeout
    sent = failure.options.get(policy.wire_name) if policy else None
    limit = float(sent if isinstance(sent, int | float) else policy.server_default if policy else 0)
    return ExecTimeoutError(
        failure.message,
        method=failure.method.wire_name,
        command=command,
        timeout=limit,
        explanation=(
            f"the command {command!r} was killed at its time limit of {limit:g} s; "
            f"{wording().longer_command}"
        ),
    )
