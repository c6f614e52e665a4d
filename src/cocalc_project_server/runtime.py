"""The server's runtime folder: everything a server leaves on the machine is on record here.

::

    $TMPDIR/cocalc-project-server-<project_id>/
        .lock              serialises the start-ups of this project's servers
        <pid>-<random>/    one per server ("instance")
            lock           flock-ed by the server for its whole life
            groups/<pgid>  a process group of a command (content: its leader's start time)
            folders/<name> a folder $TMPDIR/<name>: a bash script's ``cocalc-XXXXXX``, the
                           Jupyter connection files' ``cocalc-kernels-XXXXXXXX`` (kept short:
                           kernels put sockets there, and socket paths are limited to 107 bytes),
                           a stateless kernel's working folder ``cocalcXXXXXX``
            root           the project folder, when it is a temporary one

A server that dies without cleaning up is reaped at once by its watchdog process, or else by
the next server of the same project when it starts (see :mod:`.reaper`). Servers of other
projects, and live servers of the same project, are never touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .config import API_KEY_ENV
from .process_groups import group_is_empty
from .reaper import (
    FOLDERS_DIR,
    GROUPS_DIR,
    LOCK_FILE,
    ROOT_RECORD,
    kill_recorded_groups,
    project_lock,
    reap_if_dead,
    record_group,
    remove_project_folder_if_empty,
    remove_temporary_folders,
)

FOLDER_PREFIX = "cocalc-project-server-"
# Node's mkdtemp (what the real service uses for bash scripts and stateless kernels' folders)
# appends six of these.
_MKDTEMP_CHARS = string.ascii_letters + string.digits
WATCHDOG_EXIT_WAIT_S = 5.0


def project_folder(project_id: str) -> Path:
    """``$TMPDIR/cocalc-project-server-<project_id>`` (an odd id is reduced to a safe name)."""
    safe = re.sub(r"[^A-Za-z0-9-]", "_", project_id)[:100] or "_"
    return Path(tempfile.gettempdir()) / f"{FOLDER_PREFIX}{safe}"


def _node_mkdtemp(prefix: str) -> str:
    """``fs.mkdtemp(join(tmpdir(), prefix))``: a new private folder, six random characters
    after ``prefix``."""
    tmp = tempfile.gettempdir()
    while True:
        name = prefix + "".join(secrets.choice(_MKDTEMP_CHARS) for _ in range(6))
        path = os.path.join(tmp, name)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return path


class Runtime:
    """One server's instance folder, its lock, and its watchdog."""

    def __init__(self, folder: Path, lock_fd: int) -> None:
        self.folder = folder
        self._lock_fd: int | None = lock_fd
        self._groups = folder / GROUPS_DIR
        self._folders = folder / FOLDERS_DIR
        # Groups whose leader is done but which may still hold background processes.
        self._lingering: set[int] = set()
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._watchdog_pipe: int | None = None
        self.kernels_dir = self._make_folder(lambda: tempfile.mkdtemp(prefix="cocalc-kernels-"))

    @classmethod
    def create(cls, project_id: str, *, temporary_root: Path | None = None) -> Runtime:
        """Reap dead servers of ``project_id``, then make and lock this server's folder."""
        base = project_folder(project_id)
        with project_lock(base):
            for entry in base.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    reap_if_dead(entry)
            folder = base / f"{os.getpid()}-{secrets.token_hex(4)}"
            folder.mkdir(mode=0o700)
            lock_fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            for sub in (GROUPS_DIR, FOLDERS_DIR):
                (folder / sub).mkdir(mode=0o700)
            if temporary_root is not None:
                (folder / ROOT_RECORD).write_text(
                    str(temporary_root), encoding="utf-8", errors="surrogateescape"
                )
        runtime = cls(folder, lock_fd)
        runtime._start_watchdog()
        return runtime

    def make_script_folder(self) -> str:
        """A new private ``$TMPDIR/cocalc-XXXXXX`` folder (named as Node's mkdtemp names the
        real service's), put on record."""
        return self._make_folder(lambda: _node_mkdtemp("cocalc-"))

    def make_kernel_folder(self) -> str:
        """A new private ``$TMPDIR/cocalcXXXXXX`` folder for a stateless kernel to work in
        (as src/packages/jupyter/stateless-api/kernel.ts makes it), put on record."""
        return self._make_folder(lambda: _node_mkdtemp("cocalc"))

    def remove_folder(self, path: str) -> None:
        """Remove a folder made by this runtime, and its record."""
        shutil.rmtree(path, ignore_errors=True)
        (self._folders / os.path.basename(path)).unlink(missing_ok=True)

    def _make_folder(self, make: Callable[[], str]) -> str:
        path = make()
        # Recorded after it exists: a crash in between leaks a folder, never deletes someone
        # else's.
        (self._folders / os.path.basename(path)).touch()
        return path

    def helper_pids(self) -> frozenset[int]:
        """Processes of the server itself (the watchdog): never the project's to signal."""
        return frozenset() if self._watchdog is None else frozenset({self._watchdog.pid})

    def track_group(self, pgid: int) -> None:
        """Put a command's new process group on record."""
        record_group(self._groups, pgid)
        self._prune()

    def release_group(self, pgid: int) -> None:
        """The command is collected; its group stays on record while anything is left in it
        (a background process started with ``&`` is killed with the server, as when a real
        project stops)."""
        self._lingering.add(pgid)
        self._prune()

    def _prune(self) -> None:
        for pgid in list(self._lingering):
            if group_is_empty(pgid):
                (self._groups / str(pgid)).unlink(missing_ok=True)
                self._lingering.discard(pgid)

    def close(self) -> None:
        """Kill what is left of the recorded groups, remove the folder, stop the watchdog."""
        if self._lock_fd is None:
            return
        kill_recorded_groups(self._groups)
        remove_temporary_folders(self.folder)
        base = self.folder.parent
        with project_lock(base):
            shutil.rmtree(self.folder, ignore_errors=True)
            os.close(self._lock_fd)
            self._lock_fd = None
            remove_project_folder_if_empty(base)
        self._stop_watchdog()

    def _start_watchdog(self) -> None:
        read_end, write_end = os.pipe()  # neither end is inherited by commands or kernels
        env = {k: v for k, v in os.environ.items() if k != API_KEY_ENV}
        try:
            self._watchdog = subprocess.Popen(
                [sys.executable, "-m", "cocalc_project_server.reaper", str(self.folder)],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                # Out of the server's process group and session: a kill of the group or a
                # hang-up of the terminal leaves it running to clean up.
                start_new_session=True,
            )
        except OSError:
            os.close(write_end)
            return
        finally:
            os.close(read_end)
        self._watchdog_pipe = write_end

    def _stop_watchdog(self) -> None:
        if self._watchdog_pipe is not None:
            os.close(self._watchdog_pipe)  # EOF: it finds the folder gone and exits
            self._watchdog_pipe = None
        if self._watchdog is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=WATCHDOG_EXIT_WAIT_S)
            self._watchdog = None
