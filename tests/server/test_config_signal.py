"""system.configuration (src/packages/project/configuration.ts) and system.signal
(src/packages/project/conat/api/system.ts) against a server of their own: the configuration is
cached for the server's lifetime, so this module controls what its ``~/bin`` holds from the start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from cocalc_project_server.testing import ServerProcess, running_server

from .conftest import Api
from .polling import wait_for, wait_gone

# MainCapabilities in src/packages/comm/project-configuration.ts (sage_version only with sage).
MAIN_KEYS = {
    "jupyter",
    "formatting",
    "hashsums",
    "rserver",
    "latex",
    "sage",
    "x11",
    "rmd",
    "qmd",
    "jq",
    "spellcheck",
    "library",
    "sshd",
    "html2pdf",
    "pandoc",
    "vscode",
    "julia",
    "homeDirectory",
}
# Tools this module puts into ~/bin before the server starts: one executable, one not.
FAKE_TOOL = "pandoc"  # capability "pandoc"
NOT_EXECUTABLE = "julia"  # capability "julia"
LATE_X11_APP = "gimp"  # an X11 app (x11-apps.ts) installed only while the server runs


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("project")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / FAKE_TOOL).write_text("#!/bin/sh\n")
    (bin_dir / FAKE_TOOL).chmod(0o755)
    (bin_dir / NOT_EXECUTABLE).write_text("#!/bin/sh\n")
    (bin_dir / NOT_EXECUTABLE).chmod(0o644)
    with running_server(root=root, kernel_pool_size=0) as srv:
        yield srv


def project_path(home: str) -> str:
    # configuration.ts construct_path(): ~/bin and ~/.local/bin before the project's PATH, which
    # is the inherited one after the server's own Python tools (as the README says).
    tools = os.path.dirname(sys.executable)
    return f"{home}/bin:{home}/.local/bin:{tools}:{os.environ.get('PATH', '')}"


def assert_iso_timestamp(text: str) -> None:
    # A JavaScript Date in JSON: "2024-01-02T03:04:05.678Z".
    assert text.endswith("Z") and len(text) == 24, text
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0)


# -- system.configuration ------------------------------------------------------------------------


def test_main_configuration_reports_the_project_tools(api: Api) -> None:
    home = api.server.root
    result = api.call("system.configuration", "main")

    assert set(result) == {"timestamp", "capabilities"}
    assert_iso_timestamp(result["timestamp"])
    caps = result["capabilities"]
    assert set(caps) - {"sage_version"} == MAIN_KEYS
    assert caps["pandoc"] is True  # found in ~/bin
    if shutil.which(NOT_EXECUTABLE) is None:
        assert caps["julia"] is False  # present in ~/bin but not executable
    path = project_path(home)
    assert caps["jq"] is (shutil.which("jq", path=path) is not None)
    assert caps["hashsums"] == {
        name: shutil.which(name, path=path) is not None
        for name in ("sha1sum", "sha256sum", "md5sum")
    }
    assert caps["sshd"] is (shutil.which("/usr/sbin/sshd") is not None)
    assert caps["formatting"]["prettier"] is True  # a library of the real project
    assert "xml-tidy" not in caps["formatting"]
    jupyter = caps["jupyter"]
    if shutil.which("jupyter", path=path) is None:
        assert jupyter is False
    else:
        assert set(jupyter) == {"lab", "notebook", "kernelspec"}
    assert caps["homeDirectory"] == os.path.realpath(home)
    assert caps["sage"] is (shutil.which("sage", path=path) is not None)


def test_configuration_is_cached_until_no_cache(api: Api) -> None:
    first = api.call("system.configuration", "x11")
    assert_iso_timestamp(first["timestamp"])
    assert first["capabilities"]["unknown_test"] is False  # x11-apps.ts: a test entry
    assert first["capabilities"][LATE_X11_APP] is (shutil.which(LATE_X11_APP) is not None)

    late = Path(api.server.root) / "bin" / LATE_X11_APP
    late.write_text("#!/bin/sh\n")
    late.chmod(0o755)
    try:
        assert api.call("system.configuration", "x11") == first
        fresh = api.call("system.configuration", "x11", True)
        assert fresh["capabilities"][LATE_X11_APP] is True
        assert fresh["timestamp"] >= first["timestamp"]
        assert api.call("system.configuration", "x11") == fresh  # the cache is updated
    finally:
        late.unlink()


def test_configuration_of_an_object_or_unknown_aspect_is_null(api: Api) -> None:
    # docs/wire-protocol.md §4: an object argument silently returns null; so does any other aspect.
    assert api.call("system.configuration", {"aspect": "main"}) is None
    assert api.call("system.configuration", "nonsense") is None


def test_configuration_with_a_non_string_aspect_is_refused(api: Api) -> None:
    result = api.call("system.configuration", 42)
    assert result["error"].startswith("Error: system.configuration: ")


# -- system.signal -------------------------------------------------------------------------------


def started_sleep(api: Api) -> tuple[str, int]:
    """An async job running ``sleep`` itself (no shell): its job id and the sleep's pid."""
    job = api.exec(command="sleep", args=["300"], async_call=True, timeout=0)
    return job["job_id"], job["pid"]


def finished_job(api: Api, job_id: str) -> dict[str, object]:
    result = api.call("system.exec", {"async_get": job_id, "async_await": True}, timeout=30_000)
    assert isinstance(result, dict)
    return result


def dead_pid() -> int:
    """A process id that no process has (one that just ended and was reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.fixture
def foreign() -> Iterator[subprocess.Popen[bytes]]:
    """A process of the same user that the project did not start."""
    proc = subprocess.Popen(["sleep", "300"])
    yield proc
    proc.kill()
    proc.wait()


def test_signal_stops_a_command_the_project_started(api: Api) -> None:
    job_id, pid = started_sleep(api)
    assert api.call("system.signal", {"signal": 15, "pid": pid}) is None
    assert finished_job(api, job_id)["status"] != "running"
    wait_gone(pid)


def test_signal_reaches_what_a_command_left_running(api: Api) -> None:
    # The command ends at once; its background sleep stays in the command's session.
    result = api.exec(command="sleep 300 > /dev/null 2>&1 & echo $!")
    orphan = int(result["stdout"])
    assert psutil.pid_exists(orphan)
    assert api.call("system.signal", {"signal": 9, "pids": [orphan]}) is None
    wait_gone(orphan)


def test_signal_reaches_a_descendant_in_a_session_of_its_own(api: Api) -> None:
    pid_file = Path(api.server.root) / "setsid.pid"
    job = api.exec(
        command=f"setsid sleep 300 & echo $! > {pid_file}; wait", async_call=True, timeout=0
    )
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the child's pid")
    child = int(pid_file.read_text())
    # Not in the command's session: found by ancestry.
    wait_for(lambda: os.getsid(child) == child, "the child's own session")
    assert api.call("system.signal", {"signal": 9, "pid": child}) is None
    finished_job(api, job["job_id"])
    wait_gone(child)


def test_signal_zero_only_checks(api: Api) -> None:
    job_id, pid = started_sleep(api)
    try:
        assert api.call("system.signal", {"signal": 0, "pid": pid}) is None
        assert psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    finally:
        api.call("system.signal", {"signal": 9, "pid": pid})
        finished_job(api, job_id)


def test_signal_to_a_process_group_of_a_command(api: Api) -> None:
    job_id, pid = started_sleep(api)
    assert api.call("system.signal", {"signal": 9, "pid": -pid}) is None
    finished_job(api, job_id)
    wait_gone(pid)


def test_signal_to_another_process_is_eperm_and_sends_nothing(
    api: Api, foreign: subprocess.Popen[bytes]
) -> None:
    assert api.call("system.signal", {"signal": 9, "pid": foreign.pid}) == {
        "error": "Error: kill EPERM"
    }
    assert api.call("system.signal", {"signal": 9, "pid": api.server.pid}) == {
        "error": "Error: kill EPERM"
    }
    assert foreign.poll() is None
    assert api.server.process.poll() is None


def test_signal_to_a_process_group_the_project_did_not_start_is_eperm(api: Api) -> None:
    # A group of the same user, led by a process the project did not start.
    group = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        assert api.call("system.signal", {"signal": 9, "pid": -group.pid}) == {
            "error": "Error: kill EPERM"
        }
        assert group.poll() is None
    finally:
        group.kill()
        group.wait()


def test_signal_to_the_own_group_or_everything_is_eperm(api: Api) -> None:
    # Signal 0 keeps this test harmless even if the refusal were missing.
    for pid in (0, -1):
        assert api.call("system.signal", {"signal": 0, "pid": pid}) == {
            "error": "Error: kill EPERM"
        }


def test_signal_to_a_missing_process_is_esrch(api: Api) -> None:
    assert api.call("system.signal", {"signal": 15, "pid": dead_pid()}) == {
        "error": "Error: kill ESRCH"
    }


def test_signal_sends_to_all_and_throws_the_last_failure(
    api: Api, foreign: subprocess.Popen[bytes]
) -> None:
    gone = dead_pid()
    job_id, ours = started_sleep(api)
    result = api.call("system.signal", {"signal": 9, "pid": gone, "pids": [ours, foreign.pid]})
    assert result == {"error": "Error: kill EPERM"}
    finished_job(api, job_id)
    wait_gone(ours)  # signalled although another pid failed
    result = api.call("system.signal", {"signal": 0, "pid": foreign.pid, "pids": [gone]})
    assert result == {"error": "Error: kill ESRCH"}


def test_signal_takes_names_and_pids_as_strings(api: Api) -> None:
    # node's process.kill (lib/internal/process/per_thread.js): a signal that is not a number
    # is looked up in os.constants.signals; a pid passes if `pid == (pid | 0)`, so a string of
    # digits does, unless it is beyond 32 bits.
    job_id, pid = started_sleep(api)
    assert api.call("system.signal", {"signal": "SIGKILL", "pid": "4294967296"}) == {
        "error": 'TypeError [ERR_INVALID_ARG_TYPE]: The "pid" argument must be of type '
        "number. Received type string ('4294967296')"
    }
    assert api.call("system.signal", {"signal": 0, "pids": [str(pid)]}) is None
    assert api.call("system.signal", {"signal": "SIGTERM", "pid": str(pid)}) is None
    assert finished_job(api, job_id)["status"] != "running"
    wait_gone(pid)


def test_signal_arguments_node_refuses(api: Api) -> None:
    job_id, pid = started_sleep(api)
    try:
        # node's process.kill: a pid beyond 32 bits, a signal number it does not know.
        assert api.call("system.signal", {"signal": 0, "pid": 2**32}) == {
            "error": 'TypeError [ERR_INVALID_ARG_TYPE]: The "pid" argument must be of type '
            "number. Received type number (4294967296)"
        }
        assert api.call("system.signal", {"signal": 2**40, "pid": pid}) == {
            "error": "TypeError [ERR_UNKNOWN_SIGNAL]: Unknown signal: 1099511627776"
        }
        # kill(2) refuses a signal number above the last real-time signal.
        assert api.call("system.signal", {"signal": 200, "pid": pid}) == {
            "error": "Error: kill EINVAL"
        }
        assert psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    finally:
        api.call("system.signal", {"signal": 9, "pid": pid})
        finished_job(api, job_id)
