"""Running ``system.exec`` commands: real processes, each in its own process group, with bounded
output capture.

As in CoCalc's ``executeCode`` (src/packages/backend/execute-code.ts) the child gets its own
process group (Node's ``detached: true``), a stdin pipe that is never written to nor closed, and
on timeout the whole group gets SIGKILL. Output is read as it comes and kept up to a limit per
stream (the call's ``max_output``, and at most the server's cap); past the limit the pipes are
still drained, so the command runs on as it would in the real service, but nothing more is kept.
"""

from __future__ import annotations

import asyncio
import codecs
import errno
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ProjectError, WireError
from .exec_command import (
    ExecOptions,
    PreparedCommand,
    killed_message,
    nonzero_message,
    not_run_message,
    prepare_command,
    truncation_suffix,
)
from .nodeerrors import error_code
from .process_groups import signal_group
from .runtime import Runtime

# After a SIGKILL, how long to wait for the pipes to close before giving up on them.
KILL_GRACE_S = 2.0
# Reading in large pieces keeps the cost of draining a fast writer (`yes`) low.
_READ_CHUNK = 1024 * 1024


class _ExitWatch(asyncio.subprocess.SubprocessStreamProtocol):
    """asyncio's protocol for a subprocess, plus a future done when the process exits:
    ``Process.wait()`` returns only once every pipe is closed as well, which a process it
    started may keep open long after."""

    def __init__(self, limit: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=limit, loop=loop)
        self.exited: asyncio.Future[None] = loop.create_future()

    def process_exited(self) -> None:
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


class _Capture:
    """Decoded text of one output stream, keeping at most ``limit`` characters."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._parts: list[str] = []
        self._length = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    @property
    def full(self) -> bool:
        return self._length >= self._limit

    @property
    def length(self) -> int:
        """Characters kept so far."""
        return self._length

    def feed(self, data: bytes, final: bool = False) -> None:
        if self.full:
            return  # drained and dropped, not even decoded
        text = self._decoder.decode(data, final)[: self._limit - self._length]
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
            "code": error_code(exc),
            "syscall": f"spawn {cmd.program}",
            "path": cmd.program,
            "spawnargs": list(cmd.argv),
        },
        separators=(",", ":"),
    )


class ExecProcess:
    """A running child process in its own process group, with captured output."""

    def __init__(
        self,
        proc: asyncio.subprocess.Process,
        exited: asyncio.Future[None],
        timeout_s: float,
        limit: int,
    ) -> None:
        self._proc = proc
        self._exited = exited
        self._timeout_s = timeout_s
        self.pid = proc.pid
        self._stdout = _Capture(limit)
        self._stderr = _Capture(limit)
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
        self._io.add_done_callback(lambda _: self._close_stdin())

    @classmethod
    async def start(cls, cmd: PreparedCommand, timeout_s: float, limit: int) -> ExecProcess:
        """Spawn ``cmd``; raise :class:`SpawnFailed` if it cannot be started."""
        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await loop.subprocess_exec(
                lambda: _ExitWatch(_READ_CHUNK, loop),
                cmd.program,
                *cmd.argv,
                cwd=cmd.cwd,
                env=dict(cmd.env),
                # Node's default stdio: a stdin pipe nobody writes to, so a command that reads
                # stdin waits (until its timeout) instead of seeing end-of-file.
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                # Own process group, so a timeout can kill the command and everything it started.
                start_new_session=True,
            )
        except OSError as exc:
            raise SpawnFailed(Outcome("", _spawn_error_json(cmd, exc), 1, ran=False)) from None
        except ValueError as exc:  # a NUL byte in an argument or the environment
            raise ProjectError(str(exc)) from None
        proc = asyncio.subprocess.Process(transport, protocol, loop)
        return cls(proc, protocol.exited, timeout_s, limit)

    @staticmethod
    async def _pump(stream: asyncio.StreamReader, capture: _Capture) -> None:
        while chunk := await stream.read(_READ_CHUNK):
            capture.feed(chunk)
        capture.feed(b"", final=True)

    def _close_stdin(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()

    @property
    def stdout(self) -> str:
        return self._stdout.text

    @property
    def stderr(self) -> str:
        return self._stderr.text

    @property
    def kept(self) -> tuple[int, int]:
        """Characters of stdout and of stderr kept so far."""
        return self._stdout.length, self._stderr.length

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
        signal_group(self.pid)

    async def wait(self, pipes_after_exit_s: float | None = None) -> Outcome:
        """Wait for exit and closed pipes, killing the group when the timeout passes.

        With ``pipes_after_exit_s``, the outcome comes at most that long after the process
        exited, even while something it started still holds the pipes (which are read on).
        """
        killed = False
        timeout = self._timeout_s or None  # 0 means no limit, as in the real service
        watched: set[asyncio.Future[Any]] = {self._io}
        if pipes_after_exit_s is not None:
            watched.add(self._exited)
        try:
            done, _ = await asyncio.wait(
                watched, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if self._io not in done and self._exited in done:
                # Exited: its timeout no longer applies (execute-code.ts checks exitCode).
                await asyncio.wait({self._io}, timeout=pipes_after_exit_s)
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


class ProcessRegistry:
    """Exec children not yet fully collected, so shutdown can kill their groups and reap them.

    Every group is also on record in the server's runtime folder until it is empty, so that a
    server killed outright still has its commands killed (see :mod:`.reaper`).
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._live: set[ExecProcess] = set()
        # Each command leads its own session, which whatever it leaves running stays in.
        self._sessions: set[int] = set()

    def add(self, proc: ExecProcess) -> None:
        self.runtime.track_group(proc.pid)
        self._live.add(proc)
        self._sessions.add(proc.pid)
        proc.when_collected(lambda: self._collected(proc))

    def _collected(self, proc: ExecProcess) -> None:
        self._live.discard(proc)
        self.runtime.release_group(proc.pid)

    def started_sessions(self) -> frozenset[int]:
        """The session ids of every command started so far (for ``system.signal``)."""
        return frozenset(self._sessions)

    async def close(self) -> None:
        """Kill every process group and wait (briefly) until the children are reaped."""
        for proc in list(self._live):
            proc.kill()
        await asyncio.gather(*(proc.collect() for proc in list(self._live)))


@dataclass(frozen=True)
class ExecContext:
    """What every exec call of one server shares."""

    root: str
    env: Mapping[str, str]
    processes: ProcessRegistry
    # The server's cap on the characters kept per stream of one call.
    max_output: int

    def prepare(self, opts: ExecOptions) -> PreparedCommand:
        runtime = self.processes.runtime
        return prepare_command(
            opts,
            self.root,
            self.env,
            runtime.make_script_folder,
            runtime.remove_folder,
        )

    def output_limit(self, opts: ExecOptions) -> int:
        """Characters kept per stream: the call's ``max_output``, at most the server's cap."""
        if opts.max_output is None:
            return self.max_output
        return min(opts.max_output, self.max_output)

    async def start(self, cmd: PreparedCommand, opts: ExecOptions) -> ExecProcess:
        proc = await ExecProcess.start(cmd, opts.timeout_s, self.output_limit(opts))
        self.processes.add(proc)
        return proc


def blocking_result(
    outcome: Outcome, cmd: PreparedCommand, err_on_exit: bool, limit: int
) -> dict[str, Any]:
    """The ``{"type": "blocking", ...}`` result, or the real service's error for ``outcome``
    (execute-code.ts ``finish``: killed first, then a non-zero exit, then a failed spawn)."""
    if outcome.killed:
        raise WireError(killed_message(cmd))
    if err_on_exit and outcome.exit_code != 0:
        raise WireError(nonzero_message(cmd, outcome.exit_code, outcome.stderr))
    if not outcome.ran:
        raise WireError(not_run_message(cmd, outcome.stderr))
    return {
        "type": "blocking",
        "stdout": truncation_suffix(outcome.stdout, limit),
        "stderr": truncation_suffix(outcome.stderr, limit),
        "exit_code": outcome.exit_code,
    }


async def run_blocking(opts: ExecOptions, ctx: ExecContext) -> dict[str, Any]:
    """Run a blocking ``system.exec`` call to completion."""
    cmd = ctx.prepare(opts)
    limit = ctx.output_limit(opts)
    try:
        try:
            proc = await ctx.start(cmd, opts)
        except SpawnFailed as failed:
            return blocking_result(failed.outcome, cmd, opts.err_on_exit, limit)
        return blocking_result(await proc.wait(), cmd, opts.err_on_exit, limit)
    finally:
        cmd.cleanup()
