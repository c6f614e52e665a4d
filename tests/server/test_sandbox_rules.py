"""The local server's confinement and signal rules, each layer on its own, in this process.

The file methods check a path before they act (:mod:`.paths`, :mod:`.fileconfine`) and then open
it through :mod:`.beneath`, so over the wire a mistake in one layer is hidden by the other
(tests/server/test_files.py checks what the caller sees). Here each layer must refuse by itself:
a path through a link in a parent folder that leads outside, and a folder beside the project
whose name merely starts with the project folder's name. The expected answers are the kernel's
(``os.path.realpath``: where the path really leads) and README's list of differences (file
methods stay inside the project folder; ``system.signal`` reaches only the project's processes).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cocalc_project_server.beneath import Beneath
from cocalc_project_server.errors import ProjectError, WireError
from cocalc_project_server.fileconfine import confine_entry, confine_lexical
from cocalc_project_server.paths import confine
from cocalc_project_server.signals import send_signals


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """``project`` with links out of it (absolute and relative), a link inside it, and the
    folders ``outside`` and ``project2`` beside it."""
    base = Path(os.path.realpath(tmp_path))
    project, outside, sibling = base / "project", base / "outside", base / "project2"
    for folder in (project / "a", outside, sibling):
        folder.mkdir(parents=True)
    (outside / "x").write_text("outside")
    (sibling / "secret.txt").write_text("secret")
    (project / "a" / "f").write_text("inside")
    (project / "out-abs").symlink_to(outside)
    (project / "out-rel").symlink_to("../outside")
    (project / "in").symlink_to("a")
    return project


# Paths that really lead outside the project folder (os.path.realpath says where).
THROUGH_A_PARENT_LINK = ["out-abs/x", "out-rel/x", "out-abs/new", "in/../out-abs/x"]
INTO_THE_SIBLING = ["../project2/secret.txt", "../project2", "../project2/new"]


def outside_refusal(path: str, root: Path) -> str:
    return f"path '{path}' is outside of the project folder '{root}'"


def test_the_layout_leads_where_the_tests_say(root: Path) -> None:
    for relative in THROUGH_A_PARENT_LINK + INTO_THE_SIBLING:
        real = os.path.realpath(root / relative)
        assert os.path.commonpath([root, real]) != str(root), relative
    assert os.path.realpath(root / "in" / "f") == str(root / "a" / "f")


@pytest.mark.parametrize("relative", THROUGH_A_PARENT_LINK + INTO_THE_SIBLING)
def test_confine_refuses_a_path_that_leads_outside(root: Path, relative: str) -> None:
    with pytest.raises(ProjectError) as refused:
        confine(str(root), relative)
    assert str(refused.value) == outside_refusal(relative, root)
    absolute = f"{root}/{relative}"
    with pytest.raises(ProjectError):
        confine(str(root), absolute)


def test_confine_resolves_links_inside_and_a_base_folder(root: Path) -> None:
    assert confine(str(root), "in/f") == f"{root}/a/f"
    assert confine(str(root), "f", f"{root}/in") == f"{root}/a/f"
    assert confine(str(root), "") == str(root)
    sibling = str(root.parent / "project2")
    with pytest.raises(ProjectError):
        confine(str(root), "secret.txt", sibling)


@pytest.mark.parametrize("relative", THROUGH_A_PARENT_LINK + INTO_THE_SIBLING)
def test_an_entry_in_a_folder_outside_is_refused(root: Path, relative: str) -> None:
    path = f"{root}/{relative}"
    with pytest.raises(ProjectError) as refused:
        confine_entry(str(root), path)
    assert str(refused.value) == outside_refusal(path, root)


def test_an_entry_that_is_a_link_is_its_own(root: Path) -> None:
    # Deleting or moving a link acts on the link, which is inside, wherever it points.
    for name in ("out-abs", "out-rel", "in"):
        confine_entry(str(root), f"{root}/{name}")
    confine_entry(str(root), f"{root}/in/f")
    confine_entry(str(root), f"{root}/a/../in")


def test_the_project_folder_itself_is_an_entry_only_when_allowed(root: Path) -> None:
    for spelled in (str(root), f"{root}/a/..", f"{root}/"):
        with pytest.raises(ProjectError) as refused:
            confine_entry(str(root), spelled)
        assert str(refused.value) == f"refusing to act on the project folder '{root}' itself"
        confine_entry(str(root), spelled, may_be_root=True)


def test_a_name_only_check_keeps_links_but_not_the_sibling(root: Path) -> None:
    # confine_lexical (system.realpath) resolves . and .. only: a link is a name inside.
    confine_lexical(str(root), f"{root}/out-abs/x")
    for relative in INTO_THE_SIBLING:
        path = f"{root}/{relative}"
        with pytest.raises(ProjectError) as refused:
            confine_lexical(str(root), path)
        assert str(refused.value) == outside_refusal(path, root)


@pytest.mark.parametrize("relative", THROUGH_A_PARENT_LINK + INTO_THE_SIBLING)
def test_the_folder_of_an_entry_outside_is_refused_by_the_walk(root: Path, relative: str) -> None:
    path = f"{root}/{relative}"
    with pytest.raises(ProjectError) as refused, Beneath(str(root)).parent(path):
        pass
    assert str(refused.value) == outside_refusal(path, root)


@pytest.mark.parametrize("spelled", ["../project2/secret.txt", "ABSOLUTE"])
def test_the_sibling_is_refused_by_the_walk_not_looked_for_inside(root: Path, spelled: str) -> None:
    sibling_file = str(root.parent / "project2" / "secret.txt")
    path = sibling_file if spelled == "ABSOLUTE" else f"{root}/{spelled}"
    beneath = Beneath(str(root))
    for use in (
        lambda: os.close(beneath.open(path, os.O_RDONLY)),
        lambda: beneath.stat(path),
        lambda: beneath.make_folders(path),
    ):
        with pytest.raises(ProjectError) as refused:
            use()
        assert str(refused.value) == outside_refusal(path, root)
    assert not (root / "2").exists()


# -- system.signal: only what the project started ----------------------------------------------


@pytest.fixture
def foreign_group() -> Iterator[subprocess.Popen[bytes]]:
    """A process group of the same user that the project did not start."""
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def no_sessions() -> frozenset[int]:
    return frozenset()


def test_a_foreign_process_group_is_eperm_and_gets_nothing(
    foreign_group: subprocess.Popen[bytes],
) -> None:
    with pytest.raises(ProjectError) as refused:
        send_signals(9, [-foreign_group.pid], no_sessions)
    assert str(refused.value) == "kill EPERM"
    assert foreign_group.poll() is None


def test_a_group_the_project_started_is_signalled(foreign_group: subprocess.Popen[bytes]) -> None:
    # The same group, now one the project started (its session is on record).
    send_signals(9, [-foreign_group.pid], lambda: frozenset({foreign_group.pid}))
    assert foreign_group.wait(timeout=30) == -9


# The rest of system.signal's rules, in this process (tests/server/test_config_signal.py checks
# them over the wire): node's process.kill checks its arguments first
# (lib/internal/process/per_thread.js), then kill(2) says ESRCH before EINVAL before EPERM.


@pytest.fixture
def ours() -> Iterator[subprocess.Popen[bytes]]:
    """A process the project started: it leads a session on record."""
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def gone_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def refusal(sig: int, pids: list[int], sessions: frozenset[int] = frozenset()) -> str:
    with pytest.raises((ProjectError, WireError)) as refused:
        send_signals(sig, pids, lambda: sessions)
    return str(refused.value)


def test_a_process_in_a_session_the_project_started_is_signalled(
    ours: subprocess.Popen[bytes],
) -> None:
    send_signals(0, [ours.pid], lambda: frozenset({ours.pid}))
    assert ours.poll() is None  # signal 0 only checks
    send_signals(15, [ours.pid], lambda: frozenset({ours.pid}))
    assert ours.wait(timeout=30) == -15


def test_a_descendant_of_the_server_is_the_projects_and_the_server_is_not() -> None:
    # In this test the test process stands for the server: its children are the project's.
    child = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        send_signals(0, [child.pid], no_sessions)
        assert refusal(0, [os.getpid()]) == "kill EPERM"
        with pytest.raises(ProjectError) as refused:
            send_signals(0, [child.pid], no_sessions, frozenset({child.pid}))
        assert str(refused.value) == "kill EPERM"  # a helper of the server, as its watchdog
    finally:
        child.kill()
        child.wait()


def test_a_process_of_another_session_that_is_no_descendant_is_eperm() -> None:
    # `sh` starts sleep in a session of its own and ends: sleep is nobody's child here.
    shell = subprocess.run(
        ["setsid", "-f", "sh", "-c", "echo $$; exec sleep 300 > /dev/null 2>&1"],
        capture_output=True,
        text=True,
        check=True,
    )
    orphan = int(shell.stdout.split()[0])
    try:
        assert refusal(9, [orphan]) == "kill EPERM"
        assert os.getsid(orphan) == orphan  # still there
    finally:
        os.kill(orphan, 9)


def test_missing_processes_bad_signals_and_the_order_of_the_answers(
    ours: subprocess.Popen[bytes],
) -> None:
    mine = frozenset({ours.pid})
    gone = gone_pid()
    assert refusal(15, [gone]) == "kill ESRCH"
    assert refusal(15, [-gone]) == "kill ESRCH"  # no such group
    assert refusal(200, [gone]) == "kill ESRCH"  # ESRCH before EINVAL
    assert refusal(200, [ours.pid], mine) == "kill EINVAL"
    assert refusal(200, [-ours.pid], mine) == "kill EINVAL"
    assert refusal(200, [os.getpid()]) == "kill EINVAL"  # EINVAL before EPERM
    assert refusal(0, [0]) == "kill EPERM"  # the server's own group
    assert refusal(0, [-1]) == "kill EPERM"  # every process of the user
    assert refusal(0, [-ours.pid]) == "kill EPERM"  # a group not on record
    assert refusal(0, [2**31]) == (
        'TypeError [ERR_INVALID_ARG_TYPE]: The "pid" argument must be of type number. '
        "Received type number (2147483648)"
    )
    unknown = "TypeError [ERR_UNKNOWN_SIGNAL]: Unknown signal: 2147483648"
    assert refusal(2**31, [ours.pid], mine) == unknown
    send_signals(0, [ours.pid, -ours.pid], lambda: mine)
    assert ours.poll() is None


def test_every_pid_is_tried_and_the_last_failure_is_raised(
    ours: subprocess.Popen[bytes],
) -> None:
    gone = gone_pid()
    mine = frozenset({ours.pid})
    assert refusal(9, [gone, ours.pid, os.getpid()], mine) == "kill EPERM"
    assert ours.wait(timeout=30) == -9  # signalled although others failed
    assert refusal(0, [os.getpid(), gone], mine) == "kill ESRCH"


# -- a link replaced while it is being read ----------------------------------------------------


def test_a_path_that_changes_while_it_is_resolved_is_refused_by_name(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # README (the local server's differences): a path another process changes while it is
    # being resolved is refused, naming the path. os.path.realpath raises only then (a link
    # swapped between its lstat and its readlink).
    def swapped(path: object, *args: object, **kwargs: object) -> str:
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os.path, "realpath", swapped)
    for check in (
        lambda path: confine(str(root), path),
        lambda path: confine_entry(str(root), f"{root}/{path}"),
    ):
        with pytest.raises(ProjectError) as refused:
            check("in/f")
        assert str(refused.value).startswith("path '"), refused.value
        assert "in/f' changed while it was being resolved; try again" in str(refused.value)


def test_the_last_real_time_signal_is_a_signal_and_the_next_is_not(
    ours: subprocess.Popen[bytes],
) -> None:
    # signal(7): SIGRTMAX is the last signal kill(2) accepts; one more is EINVAL, before EPERM.
    last = int(signal.SIGRTMAX)
    assert refusal(last + 1, [os.getpid()]) == "kill EINVAL"
    assert refusal(last + 1, [-ours.pid]) == "kill EINVAL"
    also_ours = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        mine = frozenset({ours.pid, also_ours.pid})
        send_signals(last, [-ours.pid, also_ours.pid], lambda: mine)
        assert (ours.wait(timeout=30), also_ours.wait(timeout=30)) == (-last, -last)
    finally:
        also_ours.kill()
        also_ours.wait()


def test_the_ends_of_the_pid_range_are_nodes_and_the_kernels(
    ours: subprocess.Popen[bytes],
) -> None:
    # node: a pid must be a 32-bit integer; kill(2) says ESRCH for -2**31, whose group would
    # be 2**31 (kernel/signal.c). A group that does not exist is ESRCH, whatever its number.
    too_small = -(2**31) - 1
    assert refusal(0, [too_small]) == (
        'TypeError [ERR_INVALID_ARG_TYPE]: The "pid" argument must be of type number. '
        f"Received type number ({too_small})"
    )
    assert refusal(0, [-(2**31)]) == "kill ESRCH"
    assert refusal(0, [2**31 - 1]) == "kill ESRCH"
    try:
        os.killpg(2, 0)
    except ProcessLookupError:
        assert refusal(0, [-2]) == "kill ESRCH"
    else:
        assert refusal(0, [-2]) == "kill EPERM"


def test_a_process_that_ends_before_its_signal_is_esrch(
    ours: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    # It was the project's when checked, and gone when signalled: kill(2)'s own answer.
    def gone(pid: int, sig: int) -> None:
        raise ProcessLookupError(errno.ESRCH, os.strerror(errno.ESRCH))

    monkeypatch.setattr(os, "kill", gone)
    assert refusal(15, [ours.pid], frozenset({ours.pid})) == "kill ESRCH"
