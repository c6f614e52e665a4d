"""``system.deleteFiles``'s removal (:mod:`cocalc_project_server.removal`), called in process.

The real project deletes with rimraf (src/packages/backend/files/delete-files.ts), whose posix
walk (rimraf's src/rimraf-posix.ts) is the oracle here: ``lstat`` the path (a missing one is no
error), unlink what is not a folder, ``readdir`` a folder (a folder that turned into a file is
unlinked), remove its entries, then ``rmdir`` it; a failure inside keeps the folders above it,
and every path given is tried before the first failure is raised. Errors are node's: code,
libuv's description, the syscall, the path. The project runs as root here, so failures are made
by replacing one ``os`` call; races by doing the other party's change inside that call.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cocalc_project_server import removal
from cocalc_project_server.beneath import Beneath
from cocalc_project_server.errors import ProjectError

from . import replaced_os
from .project_tree import fill


def remove(root: Path, *paths: Path | str) -> None:
    removal.remove_all(Beneath(str(root)), [str(p) for p in paths])


def left(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def replace(monkeypatch: pytest.MonkeyPatch, name: str, call: Callable[..., Any]) -> None:
    replaced_os.replace(monkeypatch, removal, name, call)


def failing(
    monkeypatch: pytest.MonkeyPatch, name: str, when: Callable[..., bool], code: int
) -> None:
    replaced_os.failing(monkeypatch, removal, name, when, code)


def test_files_folders_and_links_go_but_not_what_links_point_to(root: Path) -> None:
    target = fill(root / "kept" / "target.txt", "stays")
    (root / "file-link").symlink_to(target)
    (root / "folder-link").symlink_to(target.parent)
    fill(root / "tree" / "a" / "b" / "leaf.txt")
    fill(root / "tree" / "a" / "other.txt")
    (root / "tree" / "empty").mkdir()
    fill(root / "plain.txt")

    remove(root, root / "file-link", root / "folder-link", root / "tree", root / "plain.txt")

    assert left(root) == ["kept", "kept/target.txt"]
    assert target.read_text() == "stays"


def test_missing_paths_are_no_error(root: Path) -> None:
    # rimraf ignores ENOENT: a missing entry, and an entry in a missing folder.
    fill(root / "a.txt")
    remove(root, root / "missing.txt", root / "no" / "such" / "x", root / "a.txt")
    assert left(root) == []


def test_a_path_below_a_file_is_lstats_enotdir(root: Path) -> None:
    fill(root / "a.txt")
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "a.txt" / "x")
    assert str(failure.value) == f"ENOTDIR: not a directory, lstat '{root}/a.txt/x'"


def test_a_name_too_long_is_lstats_enametoolong(root: Path) -> None:
    long = root / ("n" * 300)
    with pytest.raises(ProjectError) as failure:
        remove(root, long)
    assert str(failure.value) == f"ENAMETOOLONG: name too long, lstat '{long}'"


def test_every_path_is_tried_then_the_first_failure_is_raised(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("first.txt", "middle.txt", "second.txt"):
        fill(root / name)
    failing(monkeypatch, "unlink", lambda name, **_: name != "middle.txt", errno.EACCES)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "first.txt", root / "middle.txt", root / "second.txt")
    assert str(failure.value) == f"EACCES: permission denied, unlink '{root}/first.txt'"
    assert left(root) == ["first.txt", "second.txt"]


def test_a_failure_inside_keeps_the_folders_above_and_removes_the_rest(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(root / "top" / "a" / "b" / "stuck.txt")
    fill(root / "top" / "a" / "b" / "z.txt")
    fill(root / "top" / "a" / "y.txt")
    fill(root / "top" / "c" / "d" / "e.txt")
    fill(root / "top" / "x.txt")
    failing(monkeypatch, "unlink", lambda name, **_: name == "stuck.txt", errno.EPERM)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top")
    stuck = root / "top" / "a" / "b" / "stuck.txt"
    assert str(failure.value) == f"EPERM: operation not permitted, unlink '{stuck}'"
    assert left(root) == ["top", "top/a", "top/a/b", "top/a/b/stuck.txt"]


def test_the_first_failure_inside_a_folder_is_the_one_raised(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("one", "two", "three"):
        fill(root / "top" / name)
    first = os.listdir(root / "top")[0]  # entries are removed in the order readdir gives them
    failing(monkeypatch, "unlink", lambda name, **_: True, errno.EACCES)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top")
    assert str(failure.value) == f"EACCES: permission denied, unlink '{root}/top/{first}'"
    assert left(root) == ["top", "top/one", "top/three", "top/two"]


def test_a_folder_that_cannot_be_removed_is_rmdirs_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(root / "top" / "inner" / "f.txt")
    fill(root / "top" / "g.txt")
    failing(monkeypatch, "rmdir", lambda name, **_: name == "inner", errno.EBUSY)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top")
    assert str(failure.value) == f"EBUSY: resource busy or locked, rmdir '{root}/top/inner'"
    assert left(root) == ["top", "top/inner"]


def test_the_top_folder_that_cannot_be_removed_is_rmdirs_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(root / "top" / "f.txt")
    failing(monkeypatch, "rmdir", lambda name, **_: name == "top", errno.EBUSY)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top")
    assert str(failure.value) == f"EBUSY: resource busy or locked, rmdir '{root}/top'"
    assert left(root) == ["top"]


def test_a_folder_that_cannot_be_read_is_readdirs_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # readdir's syscall is scandir (node's fs.readdir), for the top folder and one inside.
    fill(root / "top" / "inner" / "f.txt")
    fill(root / "top" / "g.txt")
    fill(root / "other" / "h.txt")
    failing(monkeypatch, "open", lambda name, *_: name in ("inner", "other"), errno.EMFILE)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top", root / "other")
    assert str(failure.value) == f"EMFILE: too many open files, scandir '{root}/top/inner'"
    assert left(root) == ["other", "other/h.txt", "top", "top/inner", "top/inner/f.txt"]


def test_a_folder_whose_listing_fails_is_readdirs_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(root / "top" / "inner" / "f.txt")
    fill(root / "top" / "g.txt")
    real = os.scandir
    calls = []

    def scandir(fd: Any) -> Any:
        calls.append(fd)
        if len(calls) == 2:  # the listing of top/inner
            raise OSError(errno.EIO, "I/O error")
        return real(fd)

    replace(monkeypatch, "scandir", scandir)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top")
    assert str(failure.value) == f"EIO: i/o error, scandir '{root}/top/inner'"
    assert left(root) == ["top", "top/inner", "top/inner/f.txt"]


def test_a_top_folder_whose_listing_fails_is_readdirs_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(root / "top" / "f.txt")

    def scandir(fd: Any) -> Any:
        raise OSError(errno.EIO, "I/O error")

    replace(monkeypatch, "scandir", scandir)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top")
    assert str(failure.value) == f"EIO: i/o error, scandir '{root}/top'"
    assert left(root) == ["top", "top/f.txt"]


def swapped_in(
    monkeypatch: pytest.MonkeyPatch, name: str, entry: str, change: Callable[[], None]
) -> None:
    """Another process changes ``entry`` just before removal's first ``os.<name>`` of it."""
    real = getattr(os, name)
    done = []

    def call(first: Any, *args: Any, **kwargs: Any) -> Any:
        if first == entry and not done:
            done.append(True)
            change()
        return real(first, *args, **kwargs)

    replace(monkeypatch, name, call)


def test_a_file_that_became_a_folder_meanwhile_is_removed_as_a_folder(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = fill(root / "top" / "entry")

    def make_it_a_folder() -> None:
        entry.unlink()
        fill(entry / "inside.txt")

    swapped_in(monkeypatch, "unlink", "entry", make_it_a_folder)
    remove(root, root / "top")
    assert left(root) == []


@pytest.mark.parametrize("top", [False, True])
def test_a_folder_that_became_a_file_meanwhile_is_unlinked(
    root: Path, monkeypatch: pytest.MonkeyPatch, top: bool
) -> None:
    # rimraf-posix.ts: readdir's ENOTDIR means "swapped out with a file": unlink it.
    entry = root / "top" / "entry"
    fill(entry / "inside.txt")

    def make_it_a_file() -> None:
        (entry / "inside.txt").unlink()
        entry.rmdir()
        fill(entry)

    if top:
        swapped_in(monkeypatch, "open", "entry", make_it_a_file)
        remove(root, entry)
        assert left(root) == ["top"]
    else:
        swapped_in(monkeypatch, "open", "entry", make_it_a_file)
        remove(root, root / "top")
        assert left(root) == []


@pytest.mark.parametrize("top", [False, True])
def test_a_folder_replaced_by_a_link_meanwhile_is_unlinked_not_followed(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, top: bool
) -> None:
    outside = fill(tmp_path / "outside" / "secret.txt", "stays")
    entry = root / "top" / "entry"
    fill(entry / "inside.txt")

    def make_it_a_link() -> None:
        (entry / "inside.txt").unlink()
        entry.rmdir()
        entry.symlink_to(outside.parent)

    swapped_in(monkeypatch, "open", "entry", make_it_a_link)
    remove(root, entry if top else root / "top")
    assert left(root) == (["top"] if top else [])
    assert outside.read_text() == "stays"


@pytest.mark.parametrize("top", [False, True])
def test_an_entry_gone_meanwhile_is_no_error(
    root: Path, monkeypatch: pytest.MonkeyPatch, top: bool
) -> None:
    entry = root / "top" / "entry"
    fill(entry / "inside.txt")
    fill(root / "top" / "file.txt")

    def remove_it() -> None:
        (entry / "inside.txt").unlink()
        entry.rmdir()
        (root / "top" / "file.txt").unlink()

    swapped_in(monkeypatch, "open", "entry", remove_it)
    remove(root, entry if top else root / "top")
    assert left(root) == (["top"] if top else [])


def test_a_file_gone_meanwhile_is_no_error(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = fill(root / "top" / "entry")
    swapped_in(monkeypatch, "unlink", "entry", entry.unlink)
    remove(root, root / "top")
    assert left(root) == []


def test_a_folder_gone_before_its_rmdir_is_no_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(root / "top" / "inner" / "f.txt")
    swapped_in(monkeypatch, "rmdir", "inner", lambda: (root / "top" / "inner").rmdir())
    remove(root, root / "top")
    assert left(root) == []


def test_a_file_gone_before_it_is_looked_at_is_no_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = fill(root / "entry")
    swapped_in(monkeypatch, "stat", "entry", entry.unlink)
    remove(root, entry)
    assert left(root) == []


def test_a_folder_moved_away_while_being_deleted_is_left_alone(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The walk comes back up through "..": if "inner" was moved elsewhere meanwhile, its new
    # parent is not the folder the walk came from, and the deletion stops there (README, "The
    # local server and the real service": rimraf would go on by path).
    fill(root / "top" / "inner" / "f.txt")
    elsewhere = root / "elsewhere"
    fill(elsewhere / "keep.txt")
    swapped_in(
        monkeypatch, "unlink", "f.txt", lambda: (root / "top" / "inner").rename(elsewhere / "inner")
    )
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top")
    assert str(failure.value) == f"'{root}/top/inner' was moved while being deleted"
    assert left(root) == ["elsewhere", "elsewhere/inner", "elsewhere/keep.txt", "top"]


def test_a_parent_that_cannot_be_opened_again_is_opens_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(root / "top" / "inner" / "f.txt")
    failing(monkeypatch, "open", lambda name, *_: name == "..", errno.EMFILE)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top")
    assert str(failure.value) == f"EMFILE: too many open files, open '{root}/top/inner/..'"
    assert left(root) == ["top", "top/inner"]


def test_a_deep_folder_is_removed_holding_one_descriptor_at_a_time(root: Path) -> None:
    deep = root / "deep"
    (deep / "/".join(["d"] * 40)).mkdir(parents=True)
    fill(deep / "/".join(["d"] * 40) / "leaf.txt")
    before = set(os.listdir("/proc/self/fd"))
    remove(root, deep)
    assert left(root) == []
    assert set(os.listdir("/proc/self/fd")) <= before


def test_a_dangling_link_is_removed(root: Path) -> None:
    # rimraf lstats: the link itself goes, whether or not it points anywhere.
    (root / "dangling").symlink_to("nowhere")
    (root / "tree").mkdir()
    (root / "tree" / "dangling").symlink_to("nowhere")
    remove(root, root / "dangling", root / "tree")
    assert left(root) == []


def test_no_folder_above_a_failure_is_tried(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # rimraf-posix.ts: a folder is rmdir'ed only when everything in it was removed
    # (`if (!removedAll) return false`), so nothing above a failure is even tried.
    fill(root / "top" / "a" / "b" / "stuck.txt")
    fill(root / "top" / "a" / "b" / "c" / "d.txt")
    fill(root / "top" / "e" / "f.txt")
    failing(monkeypatch, "unlink", lambda name, **_: name == "stuck.txt", errno.EACCES)
    tried: list[str] = []
    real_rmdir = removal.os.rmdir

    def rmdir(name: str, **kwargs: Any) -> None:
        tried.append(name)
        real_rmdir(name, **kwargs)

    replace(monkeypatch, "rmdir", rmdir)
    with pytest.raises(ProjectError):
        remove(root, root / "top")
    assert sorted(tried) == ["c", "e"]
    assert left(root) == ["top", "top/a", "top/a/b", "top/a/b/stuck.txt"]


def test_a_top_folder_that_cannot_be_opened_is_readdirs_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(root / "top" / "f.txt")
    failing(monkeypatch, "open", lambda name, *_: name == "top", errno.EMFILE)
    with pytest.raises(ProjectError) as failure:
        remove(root, root / "top")
    assert str(failure.value) == f"EMFILE: too many open files, scandir '{root}/top'"
    assert left(root) == ["top", "top/f.txt"]


def test_a_folder_that_became_a_file_and_cannot_be_unlinked_is_unlinks_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = root / "entry"
    fill(entry / "inside.txt")

    def make_it_a_file() -> None:
        (entry / "inside.txt").unlink()
        entry.rmdir()
        fill(entry)

    swapped_in(monkeypatch, "open", "entry", make_it_a_file)
    failing(monkeypatch, "unlink", lambda name, **_: name == "entry", errno.EPERM)
    with pytest.raises(ProjectError) as failure:
        remove(root, entry)
    assert str(failure.value) == f"EPERM: operation not permitted, unlink '{entry}'"


def test_every_entry_after_one_gone_meanwhile_is_removed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in "abcdef":
        fill(root / "top" / name / "f.txt")
    first = os.listdir(root / "top")[0]  # the walk's first entry vanishes before it is opened
    gone = root / "top" / first

    def remove_it() -> None:
        (gone / "f.txt").unlink()
        gone.rmdir()

    swapped_in(monkeypatch, "open", first, remove_it)
    remove(root, root / "top")
    assert left(root) == []
