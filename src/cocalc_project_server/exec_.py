"""``system.exec``: run a command in the project folder, the way the real project does.

Mirrors CoCalc's ``executeCode``: a command containing whitespace and no ``args`` runs as a bash
script (written to a temporary ``a.sh``, prefixed with ``ulimit -t``), the child gets its own
process group, and on timeout the whole group is killed. Error texts are copied from the real
service, including its quirks (see :func:`nonzero_message` and :func:`killed_message`).
"""

from __future__ import annotations

import asyncio
import codecs
import errno
import json
import math
import os
import re
import shlex
import shutil
import signal
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ProjectError, WireError
from .paths import confine

DEFAULT_TIMEOUT_S = 60.0
# Async jobs keep their output in memory, so the real service caps it by default.
ASYNC_DEFAULT_MAX_OUTPUT = 1024 * 1024
STDERR_IN_ERROR_CHARS = 1024
# After a SIGKILL, how long to wait for the pipes to close before giving up on them.
KILL_GRACE_S = 2.0
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ExecOptions:
    """Validated ``args[0]`` of ``system.exec`` (ignored options are not kept)."""

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


def _js_string(value: object, what: str) -> str:
    # Node stringifies numbers passed as arguments or environment values.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    raise ProjectError(f"{what} must be a string")


def _opt_bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ProjectError(f"'{key}' must be a boolean")
    return value


def _opt_str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProjectError(f"'{key}' must be a string")
    return value


def _opt_number(raw: Mapping[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ProjectError(f"'{key}' must be a non-negative number")
    return float(value)


def parse_exec_options(raw: Mapping[str, Any]) -> ExecOptions:
    """Check the options the real ``executeCode`` understands; unknown keys are ignored.

    ``aggregate``, ``uid``, ``gid``, ``verbose``, ``filesystem`` and ``compute_server_id`` are
    accepted and ignored (the real project ignores ``compute_server_id`` inside ``args[0]`` too).
    """
    command = raw.get("command")
    if not isinstance(command, str) or not command:
        raise ProjectError("'command' must be a non-empty string")
    args_raw = raw.get("args")
    if args_raw is None:
        args: tuple[str, ...] = ()
    elif isinstance(args_raw, list):
        args = tuple(_js_string(a, "every element of 'args'") for a in args_raw)
    else:
        raise ProjectError("'args' must be a list of strings")
    env_raw = raw.get("env")
    env: dict[str, str] = {}
    if env_raw is not None:
        if not isinstance(env_raw, dict):
            raise ProjectError("'env' must be an object")
        for key, value in env_raw.items():
            if value is not None:
                env[key] = _js_string(value, f"env variable '{key}'")
    timeout = _opt_number(raw, "timeout")
    max_output = _opt_number(raw, "max_output")
    return ExecOptions(
        command=command,
        args=args,
        path=_opt_str(raw, "path"),
        cwd=_opt_str(raw, "cwd"),
        home=_opt_str(raw, "home"),
        timeout_s=DEFAULT_TIMEOUT_S if timeout is None else timeout,
        max_output=None if max_output is None else int(max_output),
        bash=_opt_bool(raw, "bash", False),
        env=env,
        async_call=_opt_bool(raw, "async_call", False),
        err_on_exit=_opt_bool(raw, "err_on_exit", True),
        ulimit_timeout=_opt_bool(raw, "ulimit_timeout", True),
    )


@dataclass(frozen=True)
class PreparedCommand:
    """What is actually spawned, and the names the error messages use for it."""

    program: str
    argv: tuple[str, ...]
    cwd: str
    env: Mapping[str, str]
    # The bash script as the user wrote it ("" when not in bash mode).
    original_command: str
    temp_dir: str | None

    @property
    def display(self) -> str:
        """How the real service names the command in exit-code messages."""
        if self.original_command:
            return self.original_command
        return f"'{self.program}' (args={' '.join(self.argv)})"

    def cleanup(self) -> None:
        """Remove the temporary bash script, if any."""
        if self.temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def prepare_command(opts: ExecOptions, root: str, base_env: Mapping[str, str]) -> PreparedCommand:
    """Work out program, arguments, folder and environment, refusing paths outside ``root``."""
    command, args, bash = opts.command, opts.args, opts.bash
    if not args and re.search(r"\s", command):
        bash = True
    elif bash and args:
        command = shlex.join((command, *args))
        args = ()

    home = confine(root, opts.home) if opts.home else root
    folder = home if opts.path is None else confine(root, opts.path, home)
    if opts.cwd:
        folder = confine(root, opts.cwd, home)

    env = {**base_env, **opts.env}
    if not bash:
        return PreparedCommand(command, args, folder, env, "", None)

    script = command
    if opts.timeout_s and opts.ulimit_timeout:
        # A CPU-time limit inherited by every child: the real service's second line of defence.
        script = f"ulimit -t {math.ceil(opts.timeout_s)}\n{command}"
    temp_dir = tempfile.mkdtemp(prefix="cocalc-")
    script_path = os.path.join(temp_dir, "a.sh")
    with open(script_path, "w", encoding="utf-8") as fh:
        fh.write(script)
    os.chmod(script_path, 0o700)
    return PreparedCommand("bash", (script_path,), folder, env, command, temp_dir)


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
    """Error after a timeout; like the real service it names the spawned program (``bash <file>``
    in bash mode) and keeps the space even when there are no arguments."""
    return f"killed command '{cmd.program} {' '.join(cmd.argv)}'"


def truncation_suffix(text: str, max_output: int | None) -> str:
    """Append the real service's marker when ``text`` filled its ``max_output`` budget."""
    if max_output is not None and len(text) >= max_output:
        return f"{text} (truncated at {max_output} characters)"
    return text


class _Capture:
    """Decoded text of one output stream, keeping at most ``limit`` characters."""

    def __init__(self, limit: int | None) -> None:
        self._limit = limit
        self._parts: list[str] = []
        self._length = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data: bytes, final: bool = False) -> None:
        text = self._decoder.decode(data, final)
        if self._limit is not None:
            # Keep reading past the limit (so the child never blocks on a full pipe), but drop it.
            text = text[: max(0, self._limit - self._length)]
        if text:
            self._parts.append(text)
            self._length += len(text)

    @property
    def text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""


@dataclass(frozen=True)
class Outcome:
    """How a child process ended."""

    stdout: str
    stderr: str
    exit_code: int
    killed: bool = False
    # False when the program could not be started (then ``stderr`` describes the spawn error).
    ran: bool = True


class SpawnFailed(Exception):
    """The program could not be started; carries the outcome the real service reports."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.stderr)
        self.outcome = outcome


def _spawn_error_json(cmd: PreparedCommand, exc: OSError) -> str:
    # Node reports spawn failures as a JSON-serialised error object on stderr.
    code = exc.errno or errno.EIO
    return json.dumps(
        {
            "errno": -code,
            "code": errno.errorcode.get(code, "UNKNOWN"),
            "syscall": f"spawn {cmd.program}",
            "path": cmd.program,
            "spawnargs": list(cmd.argv),
        },
        separators=(",", ":"),
    )


class ExecProcess:
    """A running child process in its own process group, with captured output."""

    def __init__(
        self, proc: asyncio.subprocess.Process, timeout_s: float, max_output: int | None
    ) -> None:
        self._proc = proc
        self._timeout_s = timeout_s
        self.pid = proc.pid
        self._stdout = _Capture(max_output)
        self._stderr = _Capture(max_output)
        assert proc.stdout is not None and proc.stderr is not None
        self._io = asyncio.ensure_future(
            asyncio.gather(
                self._pump(proc.stdout, self._stdout),
                self._pump(proc.stderr, self._stderr),
                proc.wait(),
            )
        )
        # Retrieve the outcome even when nobody waits any more (e.g. cancelled at shutdown).
        self._io.add_done_callback(lambda f: f.cancelled() or f.exception())

    @classmethod
    async def start(
        cls, cmd: PreparedCommand, timeout_s: float, max_output: int | None
    ) -> ExecProcess:
        """Spawn ``cmd``; raise :class:`SpawnFailed` if it cannot be started."""
        try:
            proc = await asyncio.create_subprocess_exec(
                cmd.program,
                *cmd.argv,
                cwd=cmd.cwd,
                env=dict(cmd.env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                # Own process group, so a timeout can kill the command and everything it started.
                start_new_session=True,
            )
        except OSError as exc:
            raise SpawnFailed(Outcome("", _spawn_error_json(cmd, exc), 1, ran=False)) from None
        except ValueError as exc:  # a NUL byte in an argument or the environment
            raise ProjectError(str(exc)) from None
        return cls(proc, timeout_s, max_output)

    @staticmethod
    async def _pump(stream: asyncio.StreamReader, capture: _Capture) -> None:
        while chunk := await stream.read(_READ_CHUNK):
            capture.feed(chunk)
        capture.feed(b"", final=True)

    @property
    def stdout(self) -> str:
        return self._stdout.text

    @property
    def stderr(self) -> str:
        return self._stderr.text

    def when_collected(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the process has exited and its pipes are closed."""
        self._io.add_done_callback(lambda _: callback())

    async def collect(self) -> None:
        """Wait up to :data:`KILL_GRACE_S` for exit and closed pipes, then stop reading."""
        done, _ = await asyncio.wait({self._io}, timeout=KILL_GRACE_S)
        if not done:
            self._io.cancel()

    def kill(self) -> None:
        """SIGKILL the whole process group."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    async def wait(self) -> Outcome:
        """Wait for exit and closed pipes, killing the group when the timeout passes."""
        killed = False
        timeout = self._timeout_s or None  # 0 means no limit, as in the real service
        try:
            done, _ = await asyncio.wait({self._io}, timeout=timeout)
        except asyncio.CancelledError:
            # Nobody will collect the result (server shutdown): do not leave the command behind.
            self.kill()
            raise
        if not done:
            killed = True
            self.kill()
            # If something outside the group still holds the pipes, stop reading them.
            await self.collect()
        code = self._proc.returncode
        if code is None:
            code = 1
        elif code < 0:
            # Node reports a signal death as exit code null, which the real service turns into 0.
            code = 0
        return Outcome(self.stdout, self.stderr, code, killed=killed)


def blocking_result(cmd: PreparedCommand, opts: ExecOptions, outcome: Outcome) -> dict[str, Any]:
    """The ``{"type": "blocking", ...}`` result, or the real service's error for ``outcome``."""
    if outcome.killed:
        raise WireError(killed_message(cmd))
    if opts.err_on_exit and outcome.exit_code != 0:
        raise WireError(nonzero_message(cmd, outcome.exit_code, outcome.stderr))
    if not outcome.ran:
        raise WireError(not_run_message(cmd, outcome.stderr))
    return {
        "type": "blocking",
        "stdout": truncation_suffix(outcome.stdout, opts.max_output),
        "stderr": truncation_suffix(outcome.stderr, opts.max_output),
        "exit_code": outcome.exit_code,
    }


class ProcessRegistry:
    """Exec children not yet fully collected, so shutdown can kill their groups and reap them."""

    def __init__(self) -> None:
        self._live: set[ExecProcess] = set()
        # Each command leads its own session, which whatever it leaves running stays in.
        self._sessions: set[int] = set()

    def add(self, proc: ExecProcess) -> None:
        self._live.add(proc)
        self._sessions.add(proc.pid)
        proc.when_collected(lambda: self._live.discard(proc))

    def started_sessions(self) -> frozenset[int]:
        """The session ids of every command started so far (for ``system.signal``)."""
        return frozenset(self._sessions)

    async def close(self) -> None:
        """Kill every process group and wait (briefly) until the children are reaped."""
        for proc in list(self._live):
            proc.kill()
        await asyncio.gather(*(proc.collect() for proc in list(self._live)))


async def run_blocking(
    opts: ExecOptions, root: str, base_env: Mapping[str, str], registry: ProcessRegistry
) -> dict[str, Any]:
    """Run a blocking ``system.exec`` call to completion."""
    cmd = prepare_command(opts, root, base_env)
    try:
        try:
            proc = await ExecProcess.start(cmd, opts.timeout_s, opts.max_output)
        except SpawnFailed as failed:
            return blocking_result(cmd, opts, failed.outcome)
        registry.add(proc)
        return blocking_result(cmd, opts, await proc.wait())
    finally:
        cmd.cleanup()
