"""Run a real server subprocess for tests and demos.

>>> with running_server() as server:
...     httpx2.post(server.endpoint, auth=(server.api_key, ""), json={"name": "system.ping"})

The server is started as ``python -m cocalc_project_server --port 0`` in its own process group;
the ready line gives its URL, and on exit the group gets SIGTERM (then SIGKILL if needed).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from .config import API_KEY_ENV, ENDPOINT
from .server import READY_PREFIX

R = TypeVar("R")

_READY = re.compile(
    re.escape(READY_PREFIX) + r" url=(?P<url>\S+) api_key=(?P<api_key>\S+) "
    r"project_id=(?P<project_id>\S+) root=(?P<root>.*)$"
)


@dataclass(frozen=True)
class ReadyLine:
    """The fields of the ``cocalc-project-server listening ...`` line."""

    url: str
    api_key: str
    project_id: str
    root: str


def parse_ready_line(line: str) -> ReadyLine | None:
    """Parse the ready line; None if ``line`` is something else."""
    match = _READY.match(line.rstrip("\r\n"))
    if match is None:
        return None
    return ReadyLine(**match.groupdict())


@dataclass(frozen=True)
class ServerProcess:
    """A running server subprocess."""

    url: str
    api_key: str
    project_id: str
    root: str
    process: subprocess.Popen[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def endpoint(self) -> str:
        """The full URL of ``POST /api/conat/project``."""
        return self.url + ENDPOINT


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    # Keeps draining stdout after the ready line so the server never blocks on a full pipe.
    for line in stream:
        lines.put(line)
    lines.put(None)


def stop_process_group(process: subprocess.Popen[str], timeout: float = 15.0) -> None:
    """SIGTERM the process group of ``process``, SIGKILL it if it does not exit in time."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


@contextmanager
def running_server(
    *,
    api_key: str | None = None,
    project_id: str | None = None,
    root: str | os.PathLike[str] | None = None,
    host: str = "127.0.0.1",
    kernel_pool_size: int | None = None,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 60.0,
    python: str = sys.executable,
    stderr: int | IO[Any] | None = None,
    max_open_files: int | None = None,
) -> Iterator[ServerProcess]:
    """Start ``python -m cocalc_project_server`` and yield it once it is ready.

    The API key travels in the environment, not on the command line (where ``ps`` shows it).
    ``stderr`` is passed to :class:`subprocess.Popen` (default: inherited);
    ``max_open_files`` lowers the server's open-file limit (``ulimit -n``).
    """
    # If this process is killed outright, the server does not outlive it.
    argv = [python, "-m", "cocalc_project_server", "--host", host, "--port", "0"]
    argv.append("--exit-with-parent")
    if project_id is not None:
        argv += ["--project-id", project_id]
    if root is not None:
        argv += ["--root", os.fspath(root)]
    if kernel_pool_size is not None:
        argv += ["--kernel-pool-size", str(kernel_pool_size)]
    argv += list(extra_args)
    if max_open_files is not None:
        # bash sets the limit, then becomes the server (exec: same pid, no preexec_fn hazards).
        set_limit = 'ulimit -Sn "$1" && shift && exec "$@"'
        argv = ["bash", "-c", set_limit, "bash", str(max_open_files), *argv]
    env = dict(os.environ)
    env.pop(API_KEY_ENV, None)
    if api_key is not None:
        env[API_KEY_ENV] = api_key
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        ready = ready_from(process, parse_ready_line, startup_timeout)
        yield ServerProcess(ready.url, ready.api_key, ready.project_id, ready.root, process)
    finally:
        stop_process_group(process)


def ready_from(
    process: subprocess.Popen[str],
    parse: Callable[[str], R | None],
    timeout: float,
    name: str = "cocalc-project-server",
) -> R:
    """The ready line of a server started as ``process`` (stdout piped), parsed by ``parse``;
    TimeoutError after ``timeout`` s, RuntimeError if it exits first. Its later lines are
    read (and dropped) by a thread, so the pipe never fills."""
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{name} not ready after {timeout} s")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError(f"{name} exited before it was ready (status {process.wait()})")
        ready = parse(line)
        if ready is not None:
            return ready
