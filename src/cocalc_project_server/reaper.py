"""Cleaning up after a server that died without cleaning up (SIGKILL, out of memory, ...).

Every server keeps what it leaves on the machine on record in its own *instance* folder (see
:mod:`.runtime`): the process groups of its commands and the temporary folders it made. While
the server lives it holds an exclusive ``flock`` on ``<instance>/lock``; once that lock can be
taken, the server is gone and :func:`reap_if_dead` kills the recorded groups and removes the
recorded folders. That happens twice over:

- at once, by the watchdog each server starts (``python -m cocalc_project_server.reaper
  <instance>``): it waits for EOF on a pipe only the server holds, which comes however the
  server dies;
- at the next start of a server for the same project, for whatever a dead watchdog left.

Only the standard library, psutil and the small :mod:`.process_groups` are imported, so the
watchdog starts fast.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psutil  # type: ignore[import-untyped, unused-ignore]

from .process_groups import signal_group

# The layout of an instance folder.
LOCK_FILE = "lock"
GROUPS_DIR = "groups"
FOLDERS_DIR = "folders"
ROOT_RECORD = "root"
# In the per-project folder: serialises start-up scans, so a new instance is locked before
# anyone can see it.
PROJECT_LOCK_FILE = ".lock"
# The temporary project folders the CLI makes; nothing else is ever removed as a "root".
TEMPORARY_ROOT_PREFIX = "cocalc-project-"
# Process start times come from the boot time plus clock ticks: allow that much slack.
START_TIME_SLACK_S = 1.0
# How long to wait for a dead server's lock to be released (its descriptors close as it exits).
LOCK_WAIT_S = 5.0


@contextlib.contextmanager
def project_lock(folder: Path) -> Iterator[None]:
    """Hold the lock of the per-project ``folder`` (created if missing)."""
    while True:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(folder / PROJECT_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # A server that removed the folder while we waited leaves us holding a lock on a
            # deleted file: start over with the folder as it is now.
            try:
                same = os.stat(folder / PROJECT_LOCK_FILE).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield
                return
        finally:
            os.close(fd)


def try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive lock on ``path``, or None if it is held."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def reap_if_dead(instance: Path, wait_s: float = 0.0) -> bool:
    """Clean up ``instance`` if its server is gone (waiting up to ``wait_s`` for its lock).

    Call with the project lock held. True if the folder was cleaned up and removed.
    """
    if not (instance / LOCK_FILE).exists():
        # Never locked (a server killed while creating it): nothing can be on record yet
        # except, at most, empty folders.
        shutil.rmtree(instance, ignore_errors=True)
        return True
    deadline = time.monotonic() + wait_s
    fd = try_lock(instance / LOCK_FILE)
    while fd is None and time.monotonic() < deadline:
        time.sleep(0.05)
        fd = try_lock(instance / LOCK_FILE)
    if fd is None:
        return False  # a live server: never touch its state
    try:
        kill_recorded_groups(instance / GROUPS_DIR)
        remove_temporary_folders(instance)
        remove_temporary_root(instance)
        shutil.rmtree(instance, ignore_errors=True)
    finally:
        os.close(fd)
    return True


def record_group(groups: Path, pgid: int) -> None:
    """Put the process group ``pgid`` (led by the process ``pgid``) on record."""
    try:
        started = psutil.Process(pgid).create_time()
    except psutil.Error:
        # The leader is already gone: anything left in its group started after it, so after
        # this lower bound.
        started = time.time() - 2 * START_TIME_SLACK_S
    (groups / str(pgid)).write_text(repr(started), encoding="ascii")


def kill_recorded_groups(groups: Path) -> None:
    """SIGKILL every recorded process group that is still the one we started, then forget it.

    A group id is a process id, and ids get reused: a group is only killed if its leader is the
    recorded process (same start time) or, with the leader gone, if none of its members is
    older than the recorded leader.
    """
    try:
        records = list(groups.iterdir())
    except FileNotFoundError:
        return
    if not records:
        return
    members = _members_by_group()
    for record in records:
        try:
            pgid = int(record.name)
            started = float(record.read_text(encoding="ascii"))
        except (ValueError, OSError):
            record.unlink(missing_ok=True)
            continue
        if _ours(pgid, started, members.get(pgid, [])):
            signal_group(pgid)
        record.unlink(missing_ok=True)


def _members_by_group() -> dict[int, list[psutil.Process]]:
    groups: dict[int, list[psutil.Process]] = {}
    for proc in psutil.process_iter():
        try:
            groups.setdefault(os.getpgid(proc.pid), []).append(proc)
        except OSError:
            continue
    return groups


def _ours(pgid: int, started: float, members: Sequence[psutil.Process]) -> bool:
    times: dict[int, float] = {}
    for proc in members:
        with contextlib.suppress(psutil.Error):  # a member that just exited
            times[proc.pid] = proc.create_time()
    if not times:
        return False
    if pgid in times:
        return abs(times[pgid] - started) <= START_TIME_SLACK_S
    return all(t >= started - START_TIME_SLACK_S for t in times.values())


def remove_temporary_folders(instance: Path) -> None:
    """Remove the folders in $TMPDIR that ``instance`` has on record (scripts, kernel files)."""
    tmp = Path(tempfile.gettempdir())
    with contextlib.suppress(FileNotFoundError):
        for record in (instance / FOLDERS_DIR).iterdir():
            shutil.rmtree(tmp / record.name, ignore_errors=True)
            record.unlink(missing_ok=True)


def remove_temporary_root(instance: Path) -> None:
    """Remove the temporary project folder ``instance`` has on record, if any."""
    try:
        recorded = (instance / ROOT_RECORD).read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return
    root = Path(recorded)
    # Only ever a folder the CLI made with mkdtemp in $TMPDIR: never a user's --root.
    if root.parent == Path(tempfile.gettempdir()).resolve() and root.name.startswith(
        TEMPORARY_ROOT_PREFIX
    ):
        shutil.rmtree(root, ignore_errors=True)


def remove_project_folder_if_empty(folder: Path) -> None:
    """Remove the per-project ``folder`` once no instance is left in it (project lock held)."""
    with contextlib.suppress(OSError):
        if [entry.name for entry in folder.iterdir()] == [PROJECT_LOCK_FILE]:
            (folder / PROJECT_LOCK_FILE).unlink()
            folder.rmdir()


def watch(instance: Path) -> None:
    """Block until the server closes our stdin (it exits, however it dies), then reap."""
    stdin = sys.stdin.buffer
    while stdin.read(4096):
        pass
    with project_lock(instance.parent):
        if instance.exists():
            reap_if_dead(instance, wait_s=LOCK_WAIT_S)
        remove_project_folder_if_empty(instance.parent)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m cocalc_project_server.reaper <instance folder>", file=sys.stderr)
        return 2
    # Interrupting the terminal's foreground job must not stop the clean-up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(Path(args[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
