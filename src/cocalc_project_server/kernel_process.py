"""One kernel process: launching it (optionally under the real service's ulimits), signalling
it, telling how it died, and cleaning up after it.

Kernels run in their own session (jupyter_client starts them with ``start_new_session``), so
the kernel's pid is also its process group, which is what the real service signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import os
import shutil
import signal
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import zmq
import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from .errors import ProjectError
from .process_groups import signal_group

log = logging.getLogger(__name__)

KERNEL_READY_TIMEOUT_S = 60.0

# A Unix socket's path has at most 107 bytes (103 on macOS, whose $TMPDIR alone takes about
# 50): a kernel's sockets get short names of their own, `k<n>-<port>` (ports 1 to 5).
MAX_SOCKET_PATH = 103 if sys.platform == "darwin" else 107
_socket_numbers = itertools.count(1)


def _sockets(runtime_dir: str) -> dict[str, str]:
    """Where a kernel listens: Unix sockets in the server's private runtime folder rather than
    open ports, unless $TMPDIR is too long for a socket's path; then TCP on loopback, as the
    real service always does (launch-kernel.ts)."""
    prefix = os.path.join(runtime_dir, f"k{next(_socket_numbers)}")
    if len(os.fsencode(f"{prefix}-99")) <= MAX_SOCKET_PATH:
        return {"transport": "ipc", "ip": prefix}
    _warn_long_runtime_dir(runtime_dir)
    return {"transport": "tcp", "ip": "127.0.0.1"}


@functools.cache
def _warn_long_runtime_dir(runtime_dir: str) -> None:
    log.warning(
        "kernels listen on 127.0.0.1: sockets under %s would be longer than %d bytes",
        runtime_dir,
        MAX_SOCKET_PATH,
    )


# The stateless API's kernels run under `ulimit -n 1000 -f 10485760 -t 30 -v 3000000`
# (src/packages/jupyter/stateless-api/kernel.ts, DEFAULT_ULIMIT, applied by
# src/packages/jupyter/kernel/launch-kernel.ts through bash). bash's `ulimit` sets the soft and
# the hard limit; -f and -v count 1024-byte blocks, -t seconds.
KERNEL_RLIMITS: tuple[tuple[str, int], ...] = (
    ("RLIMIT_NOFILE", 1000),
    ("RLIMIT_FSIZE", 10485760 * 1024),
    ("RLIMIT_CPU", 30),
    ("RLIMIT_AS", 3000000 * 1024),
)

# Applied by a tiny interpreter that then execs the kernel, so the kernel keeps its pid. (A
# preexec_fn is not safe in a process with threads, as this server is.) A limit that cannot
# be set (e.g. above a lower hard limit) is left alone, as a failing `ulimit` is in bash.
_LIMITS_WRAPPER = (
    "import os, resource, sys\n"
    f"for name, value in {KERNEL_RLIMITS!r}:\n"
    "    try:\n"
    "        resource.setrlimit(getattr(resource, name), (value, value))\n"
    "    except (AttributeError, ValueError, OSError):\n"
    "        pass\n"
    "os.execvp(sys.argv[1], sys.argv[1:])\n"
)

# Messages from one kernel that wait in the server's queues at most, whatever their size
# (ZeroMQ's default is 1000): a kernel that outruns the server keeps the rest in its own queue,
# under its own memory limit, and past that ZeroMQ drops them, as it does for the real service.
KERNEL_MESSAGES_QUEUED = 100

# The kernel's stderr is kept (its tail goes into the "Kernel last exited" message).
_STDERR_KEPT = 5000
_STDERR_TAIL = 4000


class _LimitedKernelManager(AsyncKernelManager):
    """Launches the kernel command through the resource-limits wrapper."""

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd: list[str] = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, "-I", "-S", "-c", _LIMITS_WRAPPER, *cmd]


def _manager_class(limited: bool) -> type[AsyncKernelManager]:
    return _LimitedKernelManager if limited else AsyncKernelManager


@dataclass(eq=False)
class KernelHandle:
    """One started kernel process and a client connected to it."""

    name: str
    language: str
    manager: AsyncKernelManager
    client: AsyncKernelClient
    pid: int
    connection_file: str
    # A folder made for this kernel (its working folder), removed with it.
    own_folder: str | None
    stderr_path: str
    # Started under KERNEL_RLIMITS, which the real service applies through bash.
    limited: bool = False
    closed: bool = False
    # We SIGKILLed it (time limit, stop request, shutdown): how the real service words it.
    killed: bool = False
    _closing: asyncio.Task[None] | None = field(default=None, repr=False)

    def returncode(self) -> int | None:
        process = getattr(self.manager.provisioner, "process", None)
        code = process.poll() if process is not None else None
        return code if isinstance(code, int) else None

    async def is_alive(self) -> bool:
        if self.closed:
            return False
        return self.returncode() is None

    def signal(self, signum: int) -> None:
        """Signal the kernel's process group, as the real service does (``kill(-pid)``)."""
        if signum == signal.SIGKILL:
            self.killed = True
        signal_group(self.pid, signum)

    def death_message(self) -> str:
        """Why the kernel is gone, in the real service's words.

        src/packages/jupyter/kernel/kernel.ts (the kernel's "exit" handler). A limited kernel
        runs under bash (for its ulimit): when the whole group is killed bash reports the
        signal, otherwise bash exits with the kernel's code, or 128 + signal. Any other
        kernel is spawned directly, so the signal that ended it is reported.
        """
        code = self.returncode()
        if self.killed or code == -signal.SIGKILL:
            text = "Kernel last terminated by signal SIGKILL."
        elif code is not None and code < 0 and not self.limited:
            text = f"Kernel last terminated by signal {_signal_name(-code)}."
        else:
            status = 128 - code if code is not None and code < 0 else code
            text = f"Kernel last exited with code {status}."
        stderr = self._stderr_tail()
        return f"{text}\n...\n{stderr}" if stderr else text

    def _stderr_tail(self) -> str:
        try:
            with open(self.stderr_path, "rb") as file:
                data = file.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return data[-_STDERR_TAIL:] if len(data) > _STDERR_KEPT else data


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:  # a real-time signal without a name of its own
        return f"SIG{number}"


async def start_kernel(
    name: str,
    language: str,
    *,
    specs: KernelSpecManager,
    runtime_dir: str,
    cwd: str,
    env: Mapping[str, str],
    limited: bool,
    own_folder: str | None = None,
    on_spawn: Callable[[KernelHandle], None] | None = None,
) -> KernelHandle:
    """Launch kernel ``name`` and wait until it answers; ``limited`` applies KERNEL_RLIMITS.

    ``on_spawn`` sees the handle as soon as the process exists, before the kernel is ready.
    A kernel that dies while starting raises its death message, as the real service does.
    """
    # The real service's name for the connection file (launch-kernel.ts: kernel-<uuid>.json).
    stem = os.path.join(runtime_dir, f"kernel-{uuid.uuid4()}")
    manager = _manager_class(limited)(
        kernel_name=name,
        kernel_spec_manager=specs,
        connection_file=f"{stem}.json",
        **_sockets(runtime_dir),
    )
    stderr_path = f"{stem}.stderr"
    stderr = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        await manager.start_kernel(cwd=cwd, env=dict(env), stderr=stderr)
    finally:
        os.close(stderr)  # the kernel has its own copy
    pid = getattr(manager.provisioner, "pid", None)
    handle = KernelHandle(
        name=name,
        language=language,
        manager=manager,
        client=_client(manager),
        pid=pid if isinstance(pid, int) else -1,
        connection_file=manager.connection_file,
        own_folder=own_folder,
        stderr_path=stderr_path,
        limited=limited,
    )
    if on_spawn is not None:
        on_spawn(handle)
    try:
        handle.client.start_channels()
        await handle.client.wait_for_ready(timeout=KERNEL_READY_TIMEOUT_S)
    except Exception:
        died = handle.returncode() is not None
        message = handle.death_message() if died else ""
        await stop_kernel(handle)
        if died:
            raise ProjectError(message) from None
        raise
    except BaseException:
        await stop_kernel(handle)
        raise
    return handle


def _client(manager: AsyncKernelManager) -> AsyncKernelClient:
    """A client whose sockets queue at most KERNEL_MESSAGES_QUEUED messages each."""
    # A context of its own (destroyed with the kernel): its options apply to its sockets only.
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.RCVHWM, KERNEL_MESSAGES_QUEUED)
    return manager.client(context=context)


def kill_now(handle: KernelHandle) -> None:
    """SIGKILL the kernel and remove its folder at once; ``stop_kernel`` reaps it later.

    src/packages/jupyter/stateless-api/kernel.ts (close): the kernel is killed and its
    temporary folder removed before the call answers.
    """
    if not handle.closed:
        handle.closed = True
        handle.signal(signal.SIGKILL)
    _remove_folder(handle)


async def stop_kernel(handle: KernelHandle) -> None:
    """Kill the kernel and release everything it used; safe to call more than once."""
    if handle._closing is None:
        handle.closed = True
        handle._closing = asyncio.ensure_future(_really_stop(handle))
    await asyncio.shield(handle._closing)


async def _really_stop(handle: KernelHandle) -> None:
    with contextlib.suppress(Exception):
        handle.client.stop_channels()
    with contextlib.suppress(Exception):
        handle.client.context.destroy(linger=0)
    try:
        # now=True: SIGKILL to the process group, then the connection file is removed.
        await handle.manager.shutdown_kernel(now=True)
    except Exception as exc:  # noqa: BLE001 -- best effort: the kernel is gone either way
        log.warning("error shutting down kernel %s: %s", handle.pid, exc)
        handle.signal(signal.SIGKILL)
    finally:
        handle.killed = True
        _remove_folder(handle)
        with contextlib.suppress(OSError):
            os.unlink(handle.stderr_path)


def _remove_folder(handle: KernelHandle) -> None:
    if handle.own_folder is not None:
        shutil.rmtree(handle.own_folder, ignore_errors=True)
