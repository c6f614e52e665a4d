"""Nothing outlives the server: commands (and what they started) die with it, however it dies,
and its temporary folders go. Each test runs its own servers with a private $TMPDIR."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from cocalc_project_server.testing import ServerProcess, running_server

from .conftest import Api
from .polling import alive, wait_for, wait_gone

# bash runs a.sh, which runs bash -c, which runs sleep in the background and waits: the sleep
# is a grandchild of the job's process.
NESTED = "bash -c 'sleep 1000 & wait'"


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants, once the nested ``sleep`` has started."""
    proc = psutil.Process(pid)

    def descendants_once_sleeping() -> list[int]:
        kids = proc.children(recursive=True)
        return [k.pid for k in kids] if any(k.name() == "sleep" for k in kids) else []

    return [pid, *wait_for(descendants_once_sleeping, "the nested sleep")]


def watchdog_of(server: ServerProcess) -> psutil.Process:
    for child in psutil.Process(server.pid).children():
        if "cocalc_project_server.reaper" in child.cmdline():
            return child
    raise AssertionError("the server has no watchdog")


@pytest.fixture
def tmpdir_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Short, unlike pytest's tmp_path: kernels put their sockets below it, and a socket path
    # has at most 107 bytes.
    tmp = Path(tempfile.mkdtemp(prefix="orphans-"))
    monkeypatch.setenv("TMPDIR", str(tmp))
    yield tmp
    # Should a test fail, do not leave its sleeps running.
    for proc in psutil.process_iter():
        try:
            if str(tmp) in " ".join(proc.cmdline()) or proc.cwd().startswith(str(tmp)):
                proc.kill()
        except psutil.Error:
            continue
    shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def serving(**kwargs: Any) -> Iterator[Api]:
    kwargs.setdefault("kernel_pool_size", 0)
    with running_server(**kwargs) as server, httpx2.Client(timeout=30) as c:
        yield Api(server, c)


def start_jobs(api: Api) -> list[int]:
    """A bash-mode job with a grandchild and a plain one; all their pids."""
    nested = api.exec(command=NESTED, async_call=True)
    plain = api.exec(command="sleep", args=["1000"], async_call=True)
    return [*tree(nested["pid"]), plain["pid"]]


def entries(tmp: Path) -> set[str]:
    """What is in ``tmp`` and one level down, except the project folder ``home``."""
    found = set()
    for entry in tmp.iterdir():
        if entry.name != "home":
            found.add(entry.name)
            if entry.is_dir():
                found.update(f"{entry.name}/{sub.name}" for sub in entry.iterdir())
    return found


def runtime_folder(project_id: str) -> str:
    return f"cocalc-project-server-{project_id}"


def kill_hard(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)


def test_sigkill_of_the_server_kills_its_commands_and_removes_its_folders(
    tmpdir_env: Path,
) -> None:
    with serving() as api:
        pids = start_jobs(api)
        assert list(tmpdir_env.glob("cocalc-??????/a.sh"))  # the job's script
        kill_hard(api.server.pid)
        wait_gone(*pids)
        # Script folder, kernel folder, runtime folder and the temporary project folder.
        wait_for(lambda: not list(tmpdir_env.iterdir()), "the folders to go")


def test_sigkill_of_the_server_stops_its_kernels_and_removes_their_folders(
    tmpdir_env: Path,
) -> None:
    with serving(kernel_pool_size=1) as api:
        # The warm kernel, in a working folder of its own as the real service's stateless
        # kernels are (stateless-api/kernel.ts: mkdtemp(tmpdir()/"cocalc")).
        listed = wait_for(lambda: api.call("system.listJupyterKernels", {}), "the warm kernel")
        wait_for(
            lambda: any(
                re.fullmatch(r"cocalc[A-Za-z0-9]{6}", e.name) for e in tmpdir_env.iterdir()
            ),
            "the kernel's working folder",
        )
        kill_hard(api.server.pid)
        wait_gone(*(kernel["pid"] for kernel in listed))
        wait_for(lambda: not list(tmpdir_env.iterdir()), "the folders to go")


def test_a_new_server_of_the_project_reaps_what_a_dead_one_left(tmpdir_env: Path) -> None:
    project_id = str(uuid.uuid4())
    home = tmpdir_env / "home"
    with serving(project_id=project_id, root=home) as api:
        pids = start_jobs(api)
        kill_hard(watchdog_of(api.server).pid)
        kill_hard(api.server.pid)
        # Nobody cleaned up: the commands run on.
        assert all(alive(pid) for pid in pids)
        leftovers = entries(tmpdir_env)
        # A script folder, a kernel folder and the dead server's own runtime folder.
        assert any(re.fullmatch(r"cocalc-[A-Za-z0-9]{6}", name) for name in leftovers)
        assert any(name.startswith("cocalc-kernels-") for name in leftovers)
        assert any(name.startswith(runtime_folder(project_id) + "/") for name in leftovers)
    with serving(project_id=project_id, root=home):
        assert not any(alive(pid) for pid in pids)
        # Its script and kernel folders, and its own folder in the project's runtime folder.
        shared = {runtime_folder(project_id), runtime_folder(project_id) + "/.lock"}
        assert not (leftovers - shared) & entries(tmpdir_env)
        assert home.is_dir()  # a --root is the user's: never removed


def test_the_watchdog_is_not_the_projects_to_signal(tmpdir_env: Path) -> None:
    with serving() as api:
        watchdog = watchdog_of(api.server)
        # As the server itself: a process of another user in a real project.
        assert api.call("system.signal", {"signal": 9, "pid": watchdog.pid}) == {
            "error": "Error: kill EPERM"
        }
        assert watchdog.is_running()


def test_a_live_server_of_the_same_project_is_left_alone(tmpdir_env: Path) -> None:
    project_id = str(uuid.uuid4())
    with serving(project_id=project_id) as first:
        pids = start_jobs(first)
        with serving(project_id=project_id) as second:
            assert second.exec(command="echo hi")["stdout"] == "hi\n"
        assert all(alive(pid) for pid in pids)
        assert first.exec(command="echo still here")["stdout"] == "still here\n"
        assert list(tmpdir_env.glob("cocalc-??????/a.sh"))


def test_background_processes_die_at_a_clean_shutdown(tmpdir_env: Path) -> None:
    with serving() as api:
        # The command returns at once; its background sleep lives on in its process group.
        result = api.exec(command="sleep 1000 > /dev/null 2>&1 & echo $!", ulimit_timeout=False)
        daemon = int(result["stdout"])
        assert alive(daemon)
        os.kill(api.server.pid, signal.SIGTERM)
        assert api.server.process.wait(timeout=30) == 0
    wait_gone(daemon)
    wait_for(lambda: not list(tmpdir_env.iterdir()), "the folders to go")


STARTER = """
import sys
from cocalc_project_server.testing import running_server
with running_server(kernel_pool_size=0) as server:
    print(server.pid, flush=True)
    sys.stdin.read()
"""


def test_a_server_the_test_helpers_started_stops_when_its_starter_is_killed() -> None:
    # A test run killed outright (SIGKILL: no fixture teardown) must not leave its servers.
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert starter.stdout is not None
    server = psutil.Process(int(starter.stdout.readline()))
    starter.kill()
    starter.wait()
    gone, alive = psutil.wait_procs([server], timeout=30)
    assert gone and not alive
