"""``system.signal``: real signals, but only to processes this project started.

The real project calls node's ``process.kill`` on any pid its user may signal. Here the server
shares its user with everything else on the machine, so a process counts as the project's only
if it descends from the server (commands, kernels and their children) or lives in the session
of a command the project started (what a command left running, e.g. ``nohup ... &``). Any other
process, and the server itself and its watchdog, answers ``kill EPERM``, as one of another user
would in a real project.
"""

from __future__ import annotations

import os
import signal as signal_module
from collections.abc import Callable, Iterable

import psutil  # type: ignore[import-untyped, unused-ignore]

from .errors import ProjectError, WireError
from .jsjson import number
from .nodeerrors import error_code, kill_error

_INT32 = range(-(2**31), 2**31)
# The largest signal number the kernel accepts (kill(2) says EINVAL above it).
_MAX_SIGNAL = int(getattr(signal_module, "SIGRTMAX", 64))


def send_signals(
    sig: int,
    pids: Iterable[int],
    started_sessions: Callable[[], frozenset[int]],
    server_helpers: frozenset[int] = frozenset(),
) -> None:
    """Signal each pid in turn; if any failed, raise the last failure (as the real one).

    ``server_helpers`` are processes of the server itself (its watchdog), refused like it.
    """
    failures: list[Exception] = []
    for pid in pids:
        try:
            _kill(pid, sig, started_sessions, server_helpers)
        except (ProjectError, WireError) as exc:
            failures.append(exc)
    if failures:
        raise failures[-1]


def _kill(
    pid: int,
    sig: int,
    started_sessions: Callable[[], frozenset[int]],
    server_helpers: frozenset[int],
) -> None:
    # node's process.kill checks its arguments first (lib/internal/process/per_thread.js).
    if pid not in _INT32:
        raise WireError(
            'TypeError [ERR_INVALID_ARG_TYPE]: The "pid" argument must be of type number. '
            f"Received type number ({number(pid)})"
        )
    if sig not in _INT32:
        raise WireError(f"TypeError [ERR_UNKNOWN_SIGNAL]: Unknown signal: {number(sig)}")
    # Then kill(2): no such process (ESRCH) before a bad signal (EINVAL) before EPERM.
    if pid == _INT32.start:
        raise kill_error("ESRCH")  # -INT_MIN names no group (kernel/signal.c kill_something_info)
    if pid <= 0:
        # 0 is the server's own process group, -1 every process of the user, -N a group.
        _check_group(-pid, sig, started_sessions)
    else:
        _check_process(pid, sig, started_sessions, server_helpers)
    try:
        os.kill(pid, sig)
    except OSError as exc:
        raise kill_error(error_code(exc)) from None


def _check_process(
    pid: int,
    sig: int,
    started_sessions: Callable[[], frozenset[int]],
    server_helpers: frozenset[int],
) -> None:
    try:
        session = os.getsid(pid)
    except ProcessLookupError:
        raise kill_error("ESRCH") from None
    except OSError:
        session = None
    if sig > _MAX_SIGNAL:
        raise kill_error("EINVAL")
    if pid == os.getpid() or pid in server_helpers:
        raise kill_error("EPERM")  # the server is not one of the project's processes
    if session in started_sessions() or _descends_from_server(pid):
        return
    raise kill_error("EPERM")


def _check_group(group: int, sig: int, started_sessions: Callable[[], frozenset[int]]) -> None:
    # Only a whole group a command of the project leads (each command leads its own session
    # and group); not the server's group (0) nor every process (-1).
    ours = group > 1 and group in started_sessions()
    if group > 1:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            raise kill_error("ESRCH") from None
        except OSError:
            ours = False
    if sig > _MAX_SIGNAL:
        raise kill_error("EINVAL")
    if not ours:
        raise kill_error("EPERM")


def _descends_from_server(pid: int) -> bool:
    server = os.getpid()
    try:
        return any(parent.pid == server for parent in psutil.Process(pid).parents())
    except psutil.Error:
        return False
