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
import re
import signal as signal_module
from collections.abc import Callable, Iterable

import psutil  # type: ignore[import-untyped, unused-ignore]

from .errors import ProjectError, WireError
from .jsjson import number
from .nodeerrors import error_code, kill_error

_INT32 = range(-(2**31), 2**31)
_DIGITS = re.compile(r"-?[0-9]+")
# The largest signal number the kernel accepts (kill(2) says EINVAL above it).
_MAX_SIGNAL = int(getattr(signal_module, "SIGRTMAX", 64))
# node's os.constants.signals on Linux (src/node_constants.cc, DefineSignalConstants).
SIGNAL_NUMBERS = {
    "SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6,
    "SIGIOT": 6, "SIGBUS": 7, "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11,
    "SIGUSR2": 12, "SIGPIPE": 13, "SIGALRM": 14, "SIGTERM": 15, "SIGCHLD": 17,
    "SIGSTKFLT": 16, "SIGCONT": 18, "SIGSTOP": 19, "SIGTSTP": 20, "SIGTTIN": 21,
    "SIGTTOU": 22, "SIGURG": 23, "SIGXCPU": 24, "SIGXFSZ": 25, "SIGVTALRM": 26,
    "SIGPROF": 27, "SIGWINCH": 28, "SIGIO": 29, "SIGPOLL": 29, "SIGPWR": 30, "SIGSYS": 31,
}  # fmt: skip


def send_signals(
    sig: float | str,
    pids: Iterable[float | str],
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


def _int32(value: float | str) -> int | None:
    """``value`` as a number if it equals its own int32 (JavaScript's ``value == (value | 0)``),
    a string of digits included; else None."""
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            return None
        value = int(value)
    if isinstance(value, float) and not value.is_integer():  # also NaN and infinities
        return None
    whole = int(value)
    return whole if whole in _INT32 else None


def _node_pid(value: float | str) -> int:
    """process.kill's pid (lib/internal/process/per_thread.js): a number or a numeric string
    that equals its own int32."""
    pid = _int32(value)
    if pid is None:
        received = f"string ('{value}')" if isinstance(value, str) else f"number ({number(value)})"
        raise WireError(
            'TypeError [ERR_INVALID_ARG_TYPE]: The "pid" argument must be of type number. '
            f"Received type {received}"
        )
    return pid


def _node_signal(value: float | str) -> int:
    """process.kill's signal: an int32 number as it is, else a name of os.constants.signals
    (an empty one is SIGTERM), else ERR_UNKNOWN_SIGNAL."""
    if not isinstance(value, str):
        sig = _int32(value)
        if sig is None:
            raise WireError(f"TypeError [ERR_UNKNOWN_SIGNAL]: Unknown signal: {number(value)}")
        return sig
    name = value or "SIGTERM"
    if name not in SIGNAL_NUMBERS:
        raise WireError(f"TypeError [ERR_UNKNOWN_SIGNAL]: Unknown signal: {value}")
    return SIGNAL_NUMBERS[name]


def _kill(
    pid_value: float | str,
    sig_value: float | str,
    started_sessions: Callable[[], frozenset[int]],
    server_helpers: frozenset[int],
) -> None:
    # node's process.kill checks its arguments first, the pid, then the signal.
    pid = _node_pid(pid_value)
    sig = _node_signal(sig_value)
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
