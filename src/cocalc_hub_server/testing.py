"""Run a real hub subprocess for tests and demos.

>>> with running_hub(root=tmp_path) as hub:
...     httpx2.post(hub.hub_endpoint, auth=(hub.api_key, ""), json={"name": "system.ping"})

The hub is started as ``python -m cocalc_hub_server --port 0 --root DIR`` in its own process
group; the ready line gives its URL and the admin's account; on exit the group gets SIGTERM
(then SIGKILL if needed).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cocalc_project_server.testing import ready_from, stop_process_group

from .config import API_KEY_ENV, HUB_ENDPOINT, PROJECT_ENDPOINT
from .server import READY_PREFIX

_READY = re.compile(
    re.escape(READY_PREFIX) + r" url=(?P<url>\S+) api_key=(?P<api_key>\S+) "
    r"account_id=(?P<account_id>\S+)(?: demo_course=(?P<demo_course>\S+))? root=(?P<root>.*)$"
)


@dataclass(frozen=True)
class HubReadyLine:
    """The fields of the ``cocalc-hub-server listening ...`` line."""

    url: str
    api_key: str
    account_id: str
    root: str
    # ``PROJECT_ID:PATH`` of the demo course (``--demo-course``), else None.
    demo_course: str | None = None


def parse_ready_line(line: str) -> HubReadyLine | None:
    match = _READY.match(line.rstrip("\r\n"))
    return None if match is None else HubReadyLine(**match.groupdict())


@dataclass(frozen=True)
class HubProcess:
    """A running hub subprocess."""

    url: str
    api_key: str
    account_id: str
    root: str
    process: subprocess.Popen[str]
    # ``PROJECT_ID:PATH`` of the demo course (``--demo-course``), else None.
    demo_course: str | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Stop the hub (its process group): SIGTERM, then SIGKILL if it lingers."""
        stop_process_group(self.process)

    @property
    def hub_endpoint(self) -> str:
        return self.url + HUB_ENDPOINT

    @property
    def project_endpoint(self) -> str:
        return self.url + PROJECT_ENDPOINT


def start_hub(
    root: str | os.PathLike[str],
    *,
    api_key: str | None = None,
    host: str = "127.0.0.1",
    extra_args: Sequence[str] = (),
    startup_timeout: float = 60.0,
    python: str = sys.executable,
    stderr: int | IO[Any] | None = None,
) -> HubProcess:
    """Start ``python -m cocalc_hub_server`` and return it once ready; the caller stops it
    (``hub.stop()``). One still running when the interpreter exits is stopped then: it runs
    in a session of its own, which would outlive the caller."""
    # If this process is killed outright, the hub (and its projects) do not outlive it.
    argv = [python, "-m", "cocalc_hub_server", "--host", host, "--port", "0"]
    argv.append("--exit-with-parent")
    argv += ["--root", os.fspath(root), *extra_args]
    env = dict(os.environ)
    env.pop(API_KEY_ENV, None)
    if api_key is not None:
        env[API_KEY_ENV] = api_key
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, start_new_session=True
    )
    try:
        ready = ready_from(process, parse_ready_line, startup_timeout, "cocalc-hub-server")
    except BaseException:
        stop_process_group(process)
        raise
    atexit.register(stop_process_group, process)
    return HubProcess(
        ready.url, ready.api_key, ready.account_id, ready.root, process, ready.demo_course
    )


@contextmanager
def running_hub(root: str | os.PathLike[str] | None = None, **options: Any) -> Iterator[HubProcess]:
    """:func:`start_hub` for the duration of a ``with`` block (a temporary root by default,
    removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="cocalc-hub-") as scratch:
        hub = start_hub(Path(scratch) if root is None else root, **options)
        try:
            yield hub
        finally:
            stop_process_group(hub.process)


def set_account_key(root: str | os.PathLike[str], account_id: str, api_key: str) -> None:
    """Give an account a legacy account key (``accounts.api_key``), as the owner of a real
    site could in its database: how a test acts as a user who is not the site admin.

    Works while the hub runs (SQLite in WAL mode takes a second writer).
    """
    import sqlite3

    from .config import DATABASE_FILE

    with contextlib.closing(sqlite3.connect(Path(root) / DATABASE_FILE, timeout=30)) as db, db:
        changed = db.execute(
            "UPDATE accounts SET api_key = ? WHERE account_id = ?", (api_key, account_id)
        ).rowcount
    if changed != 1:
        raise LookupError(f"no account {account_id}")
