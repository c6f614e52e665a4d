"""What a ``system.exec`` call runs: its options, the program, folder and environment, and the
error texts that name it.

Follows CoCalc's ``handleExecShellCode`` (src/packages/project/exec_shell_code.ts) and
``executeCode`` (src/packages/backend/execute-code.ts): a command containing whitespace and no
``args`` runs as a bash script (a temporary ``a.sh``, prefixed with ``ulimit -t``); with ``bash``
and ``args`` the command line is built with the npm ``shell-escape`` package's quoting.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import jsjson
from .paths import confine

# src/packages/util/consts/project.ts PROJECT_EXEC_DEFAULT_TIMEOUT_S
DEFAULT_TIMEOUT_S = 60.0
# execute-code.ts: async jobs keep their output in memory, so it is capped by default.
ASYNC_DEFAULT_MAX_OUTPUT = 1024 * 1024
STDERR_IN_ERROR_CHARS = 1024

# JavaScript's \s, which decides "contains whitespace" (`command.split(/\s+/g)`).
_JS_WHITESPACE = re.compile(
    "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
)
# shell-escape 0.2.0 (the version CoCalc locks) leaves these words unquoted.
_SHELL_SAFE = re.compile(r"[A-Za-z0-9_/-]+")


@dataclass(frozen=True)
class ExecOptions:
    """``args[0]`` of ``system.exec`` (already checked against the spec; ignored options are
    not kept). ``path`` is None when the key is absent, which is not the same as ``""``."""

    command: str
    args: tuple[str, ...] = ()
    path: str | None = None
    cwd: str | None = None
    home: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_output: int | None = None
    bash: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    async_call: bool = False
    err_on_exit: bool = True
    ulimit_timeout: bool = True


def parse_exec_options(raw: Mapping[str, Any]) -> ExecOptions:
    """The options the real ``executeCode`` uses, from a spec-checked ``args[0]``.

    ``aggregate``, ``uid``, ``gid``, ``verbose`` and ``filesystem`` are accepted and ignored.
    """
    timeout = raw.get("timeout")
    max_output = raw.get("max_output")
    return ExecOptions(
        command=raw["command"],
        args=tuple(raw.get("args") or ()),
        path=raw.get("path"),
        cwd=raw.get("cwd"),
        home=raw.get("home"),
        timeout_s=DEFAULT_TIMEOUT_S if timeout is None else float(timeout),
        max_output=None if max_output is None else int(max_output),
        bash=raw.get("bash") is True,
        # Node's spawn skips undefined values only; JSON has none, so every key is kept.
        # Node's spawn makes each value a string with `${value}`.
        env={key: jsjson.to_js_string(v) for key, v in (raw.get("env") or {}).items()},
        async_call=raw.get("async_call") is True,
        err_on_exit=raw.get("err_on_exit") is not False,
        ulimit_timeout=raw.get("ulimit_timeout") is not False,
    )


def shell_escape(words: Sequence[str]) -> str:
    """The npm ``shell-escape`` 0.2.0 quoting: a word with anything but ``[A-Za-z0-9_/-]`` is
    single-quoted (so ``nonexist.y`` becomes ``'nonexist.y'``, unlike Python's shlex), a quote
    inside becomes ``'\\''``, and an empty word vanishes (its space stays)."""
    out = []
    for word in words:
        if not _SHELL_SAFE.fullmatch(word):
            word = "'" + word.replace("'", "'\\''") + "'"
            # The package's two clean-ups: no leading '' pairs, and \''' shortened to \'.
            word = re.sub(r"^(?:'')+", "", word).replace("\\'''", "\\'")
        out.append(word)
    return " ".join(out)


def working_folder(opts: ExecOptions, root: str) -> str:
    """Where the command runs, confined to the project folder ``root`` (the project's HOME).

    handleExecShellCode passes ``{path: abspath(mesg.path ?? ""), ...mesg}``: without a
    ``path`` key the folder is HOME, whatever ``home`` says; a given ``path`` goes to
    executeCode unchanged, which puts a relative one under ``home`` (default HOME), and a
    non-empty ``cwd`` wins over both. A relative result is relative to the project process's
    folder, HOME.
    """
    # Each rule confines the option it follows, so a refusal names what the caller passed.
    if opts.cwd:
        return confine(root, opts.cwd)
    if opts.path is None:
        return root
    home = root if opts.home is None else os.path.join(root, opts.home)
    return confine(root, opts.path, home)


@dataclass(frozen=True)
class PreparedCommand:
    """What is actually spawned, and the names the error messages use for it."""

    program: str
    argv: tuple[str, ...]
    cwd: str
    env: Mapping[str, str]
    # The bash script as the user gave it (shell-escaped with ``bash`` and ``args``); "" when
    # not in bash mode.
    original_command: str = ""
    script_folder: str | None = None
    remove_folder: Callable[[str], None] | None = None

    @property
    def display(self) -> str:
        """How the real service names the command in exit-code messages."""
        if self.original_command:
            return self.original_command
        return f"'{self.program}' (args={' '.join(self.argv)})"

    def cleanup(self) -> None:
        """Remove the temporary bash script, if any."""
        if self.script_folder and self.remove_folder:
            self.remove_folder(self.script_folder)


def prepare_command(
    opts: ExecOptions,
    root: str,
    base_env: Mapping[str, str],
    make_script_folder: Callable[[], str],
    remove_script_folder: Callable[[str], None],
) -> PreparedCommand:
    """Work out program, arguments, folder and environment (executeCode's order of rules)."""
    command, args, bash = opts.command, opts.args, opts.bash
    if not args and _JS_WHITESPACE.search(command):
        bash = True
    elif bash and args:
        command = shell_escape((command, *args))
        args = ()
    folder = working_folder(opts, root)
    env = {**base_env, **opts.env}
    if not bash:
        return PreparedCommand(command, args, folder, env)

    script = command
    if opts.timeout_s and opts.ulimit_timeout:
        # A CPU-time limit every child inherits; `timeout: 0` or `ulimit_timeout: false` drop it.
        script = f"ulimit -t {math.ceil(opts.timeout_s)}\n{command}"
    script_folder = make_script_folder()
    script_path = os.path.join(script_folder, "a.sh")
    try:
        with open(script_path, "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write(script)
        os.chmod(script_path, 0o700)
    except BaseException:
        remove_script_folder(script_folder)
        raise
    return PreparedCommand(
        "bash", (script_path,), folder, env, command, script_folder, remove_script_folder
    )


def js_trunc(text: str, max_length: int) -> str:
    """CoCalc's ``trunc``: cut to ``max_length`` characters, the last one being an ellipsis."""
    if len(text) <= max_length:
        return text
    return text[: max_length - 1] + "…"


def nonzero_message(cmd: PreparedCommand, exit_code: int, stderr: str) -> str:
    """Error for a non-zero exit; bash mode shows the script, otherwise ``'prog' (args=...)``."""
    return (
        f"command '{cmd.display}' exited with nonzero code {exit_code} -- "
        f"stderr='{js_trunc(stderr, STDERR_IN_ERROR_CHARS)}'"
    )


def not_run_message(cmd: PreparedCommand, stderr: str) -> str:
    """Error when the program could not be started at all."""
    return (
        f"command '{cmd.display}' was not able to run -- "
        f"stderr='{js_trunc(stderr, STDERR_IN_ERROR_CHARS)}'"
    )


def killed_message(cmd: PreparedCommand) -> str:
    """Error after a timeout: execute-code.ts builds it from the spawned program and its
    arguments joined by spaces, so bash mode says ``bash /tmp/cocalc-XXXXXX/a.sh`` and a
    command without arguments keeps the space (``killed command 'cat '``)."""
    return f"killed command '{cmd.program} {' '.join(cmd.argv)}'"


def truncation_suffix(text: str, max_output: int | None) -> str:
    """Append the real service's marker when ``text`` filled its ``max_output`` budget."""
    if max_output is not None and len(text) >= max_output:
        return f"{text} (truncated at {max_output} characters)"
    return text
