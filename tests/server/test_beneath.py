"""The component-by-component walk of :mod:`cocalc_project_server.beneath` against the kernel's
own path resolution (path_resolution(7)), which is the independent answer here: inside the
project folder, every path must land on the same file, or fail with the same errno, as
``os.stat``/``os.open`` on the path; a path the kernel resolves outside is refused.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from cocalc_project_server import fileops
from cocalc_project_server.beneath import MAX_LINKS, Beneath
from cocalc_project_server.errors import ProjectError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project folder with links of every kind, and a folder outside it."""
    project = Path(os.path.realpath(tmp_path)) / "project"
    (project / "a" / "b").mkdir(parents=True)
    (project / "a" / "b" / "f.txt").write_text("f")
    (project / "plain.txt").write_text("p")
    (project / "rel").symlink_to("a/b")  # relative, inside
    (project / "a" / "up").symlink_to("../plain.txt")  # climbs, stays inside
    (project / "abs").symlink_to(project / "a")  # absolute, inside
    (project / "chain").symlink_to("rel")  # a link to a link
    (project / "dangling").symlink_to("nowhere/x")
    (project / "loop1").symlink_to("loop2")
    (project / "loop2").symlink_to("loop1")
    (project / "abs-loop1").symlink_to(project / "abs-loop2")
    (project / "abs-loop2").symlink_to(project / "abs-loop1")
    (project / "via-root").symlink_to(f"../{project.name}/a")  # out and straight back in
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s")
    (project / "out-abs").symlink_to(outside)
    (project / "out-rel").symlink_to("../outside")
    (project / "a" / "out-file").symlink_to("../../outside/secret.txt")
    return project


INSIDE = [
    "plain.txt",
    "a/b/f.txt",
    "rel/f.txt",
    "chain/f.txt",
    "abs/b/f.txt",
    "a/up",
    "a/b/../b/f.txt",
    "rel/../plain.txt",  # ".." of a followed link goes to the target's parent (a), not root
    "a/./../plain.txt",  # "." is no step down, so ".." after it climbs out of a
    "via-root/b/f.txt",
    "a/b/",
    "a/b/.",
    ".",
    "",  # the project folder itself
    "../project/plain.txt",
    "missing.txt",
    "missing/x",
    "plain.txt/x",
    "a/b/f.txt/",
    "dangling",
    "loop1",
    "loop1/x",
    "abs-loop1",
    "abs-loop1/x",
]
OUTSIDE = ["out-abs/secret.txt", "out-rel/secret.txt", "a/out-file", "..", "../outside/secret.txt"]


def _kernel(path: str) -> tuple[int, int] | int:
    """What the kernel says: the file's (device, inode), or the errno."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return exc.errno or 0
    return info.st_dev, info.st_ino


def _walked(beneath: Beneath, path: str) -> tuple[int, int] | int:
    try:
        fd = beneath.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return exc.errno or 0
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    return info.st_dev, info.st_ino


@pytest.mark.parametrize("relative", INSIDE)
def test_a_path_inside_lands_where_the_kernel_lands(root: Path, relative: str) -> None:
    path = f"{root}/{relative}" if relative else str(root)
    assert _walked(Beneath(str(root)), path) == _kernel(path)


@pytest.mark.parametrize("relative", OUTSIDE)
def test_a_path_the_kernel_resolves_outside_is_refused(root: Path, relative: str) -> None:
    path = f"{root}/{relative}"
    assert not os.path.realpath(path).startswith(f"{root}/")
    with pytest.raises(ProjectError, match="outside of the project folder"):
        Beneath(str(root)).open(path, os.O_RDONLY)


def test_a_link_cycle_is_eloop_after_the_kernels_limit(root: Path) -> None:
    # Linux's MAXSYMLINKS is 40 (include/linux/namei.h): a chain of 40 links resolves, 41 not.
    for i in range(MAX_LINKS + 1):
        (root / f"hop{i}").symlink_to(f"hop{i + 1}" if i < MAX_LINKS else "plain.txt")
    beneath = Beneath(str(root))
    assert _walked(beneath, f"{root}/hop1") == _kernel(f"{root}/hop1")
    assert _walked(beneath, f"{root}/hop0") == _kernel(f"{root}/hop0") == errno.ELOOP


def test_the_entry_itself_is_not_followed(root: Path) -> None:
    # Deleting or renaming a link acts on the link (rimraf and rename(2) do not follow it).
    with Beneath(str(root)).parent(f"{root}/rel/f.txt") as (folder, name):
        assert name == "f.txt"
        assert os.fstat(folder).st_ino == os.stat(root / "a" / "b").st_ino
    with Beneath(str(root)).parent(f"{root}/out-abs") as (folder, name):
        assert name == "out-abs"
        assert os.fstat(folder).st_ino == os.stat(root).st_ino


def test_writing_through_a_dangling_link_creates_its_target_inside(root: Path) -> None:
    # open(2) with O_CREAT follows a dangling link and creates what it names.
    (root / "nowhere").mkdir()
    os.close(Beneath(str(root)).open(f"{root}/dangling", os.O_WRONLY | os.O_CREAT))
    assert (root / "nowhere" / "x").is_file()


def test_making_folders_is_nodes_recursive_mkdir(root: Path) -> None:
    # node's mkdir(path, {recursive: true}) (src/node_file.cc MKDirpSync): existing folders
    # are fine, EEXIST when the path is a file, ENOTDIR when a folder above it is one.
    beneath = Beneath(str(root))
    beneath.make_folders(f"{root}/rel/new/deeper", 0o700)
    assert (root / "a" / "b" / "new" / "deeper").is_dir()
    beneath.make_folders(f"{root}/a/b")
    with pytest.raises(FileExistsError):
        beneath.make_folders(f"{root}/plain.txt")
    with pytest.raises(NotADirectoryError):
        beneath.make_folders(f"{root}/plain.txt/x")
    with pytest.raises(ProjectError, match="outside"):
        beneath.make_folders(f"{root}/out-abs/new")
    assert not (root.parent / "outside" / "new").exists()


def test_a_move_across_devices_copies_then_removes(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fs-extra's move falls back to copy + remove on EXDEV (lib/move/move.js); the copy keeps
    # links as links and files' mode and times (lib/copy/copy.js).
    src = root / "a"
    (src / "b" / "f.txt").chmod(0o640)
    os.utime(src / "b" / "f.txt", ns=(1_000_000_000, 2_000_000_000))
    expected = {
        str(p.relative_to(src)): (p.is_symlink() and os.readlink(p)) or p.is_dir() or p.read_text()
        for p in src.rglob("*")
    }
    rename = os.rename

    def across_devices(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(fileops.os, "rename", across_devices)
    fileops.move(Beneath(str(root)), str(src), str(root / "moved"))
    monkeypatch.setattr(fileops.os, "rename", rename)

    moved = root / "moved"
    assert not src.exists()
    assert {
        str(p.relative_to(moved)): (p.is_symlink() and os.readlink(p))
        or p.is_dir()
        or p.read_text()
        for p in moved.rglob("*")
    } == expected
    copied = (moved / "b" / "f.txt").stat()
    assert (stat.S_IMODE(copied.st_mode), copied.st_mtime_ns) == (0o640, 2_000_000_000)


# -- stat, modes, and entries replaced while the walk looks at them ------------------------------


def _stat_walked(beneath: Beneath, path: str) -> tuple[int, int] | int:
    try:
        info = beneath.stat(path)
    except OSError as exc:
        return exc.errno or 0
    return info.st_dev, info.st_ino


@pytest.mark.parametrize("relative", INSIDE)
def test_stat_lands_where_the_kernels_stat_lands(root: Path, relative: str) -> None:
    path = f"{root}/{relative}" if relative else str(root)
    assert _stat_walked(Beneath(str(root)), path) == _kernel(path)


@pytest.mark.parametrize("relative", OUTSIDE)
def test_stat_of_a_path_the_kernel_resolves_outside_is_refused(root: Path, relative: str) -> None:
    with pytest.raises(ProjectError, match="outside of the project folder"):
        Beneath(str(root)).stat(f"{root}/{relative}")


def test_a_walk_error_has_the_kernels_text(root: Path) -> None:
    for i in range(MAX_LINKS + 1):
        (root / f"hop{i}").symlink_to(f"hop{i + 1}")
    with pytest.raises(OSError) as kernel:
        os.stat(root / "hop0")
    with pytest.raises(OSError) as walked:
        Beneath(str(root)).stat(f"{root}/hop0")
    assert (walked.value.errno, walked.value.strerror) == (errno.ELOOP, kernel.value.strerror)
    with pytest.raises(FileExistsError) as exists:
        Beneath(str(root)).make_folders(f"{root}/plain.txt")
    assert exists.value.strerror == os.strerror(errno.EEXIST)


def test_opening_a_file_as_a_folder_or_a_folder_for_writing_fails_as_in_the_kernel(
    root: Path,
) -> None:
    beneath = Beneath(str(root))
    for path, flags in [
        (f"{root}/plain.txt", os.O_RDONLY | os.O_DIRECTORY),
        (f"{root}/a/", os.O_WRONLY),
        (f"{root}/a/b/.", os.O_WRONLY),
        (str(root), os.O_RDWR),
    ]:
        assert _walked_flags(beneath, path, flags) == _kernel_flags(path, flags), path


def _walked_flags(beneath: Beneath, path: str, flags: int) -> int:
    try:
        os.close(beneath.open(path, flags))
    except OSError as exc:
        return exc.errno or 0
    return 0


def _kernel_flags(path: str, flags: int) -> int:
    try:
        os.close(os.open(path, flags))
    except OSError as exc:
        return exc.errno or 0
    return 0


def test_files_and_folders_are_made_with_the_mode_asked_for(root: Path) -> None:
    # open(2) and mkdir(2): the mode given less the umask; node's defaults are 0o666 for a
    # file (fs.open) and 0o777 for a folder (fs.mkdir).
    umask = os.umask(0o022)
    try:
        beneath = Beneath(str(root))
        os.close(beneath.open(f"{root}/new.txt", os.O_WRONLY | os.O_CREAT))
        os.close(beneath.open(f"{root}/private.txt", os.O_WRONLY | os.O_CREAT, 0o600))
        beneath.make_folders(f"{root}/made/deeper")
        beneath.make_folders(f"{root}/private/deeper", 0o700)
    finally:
        os.umask(umask)
    modes = {
        name: stat.S_IMODE(os.stat(root / name).st_mode)
        for name in ("new.txt", "private.txt", "made", "made/deeper", "private", "private/deeper")
    }
    assert modes == {
        "new.txt": 0o644,
        "private.txt": 0o600,
        "made": 0o755,
        "made/deeper": 0o755,
        "private": 0o700,
        "private/deeper": 0o700,
    }


def test_folders_are_made_along_a_path_spelled_through_the_project_folder(root: Path) -> None:
    # Through a link to the project folder, and out through ".." and back in: the folders
    # are the caller's own, so they are made (os.makedirs makes them too).
    (root.parent / "to-project").symlink_to(root)
    beneath = Beneath(str(root))
    beneath.make_folders(f"{root.parent}/to-project/via-link/deep")
    beneath.make_folders(f"{root}/../{root.name}/via-dots/deep")
    assert (root / "via-link" / "deep").is_dir() and (root / "via-dots" / "deep").is_dir()


@pytest.mark.parametrize("link", ["relative", "absolute"])
def test_no_folder_is_made_where_a_dangling_link_points(root: Path, link: str) -> None:
    # Only the caller's own components are made, never the folders a link names (node's
    # recursive mkdir stops at the link too: EEXIST, then ENOENT).
    if link == "absolute":
        (root / "dangling").unlink()
        (root / "dangling").symlink_to(root / "nowhere" / "x")
    with pytest.raises(OSError):
        Beneath(str(root)).make_folders(f"{root}/dangling/sub")
    assert not (root / "nowhere").exists()


def test_making_folders_ends_when_another_process_removes_each_one(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    mkdir = os.mkdir

    def made_then_removed(name: str, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        made.append(name)
        if len(made) > 10:
            raise RuntimeError("the walk does not end")
        mkdir(name, mode, dir_fd=dir_fd)
        os.rmdir(name, dir_fd=dir_fd)

    monkeypatch.setattr(os, "mkdir", made_then_removed)
    with pytest.raises(FileNotFoundError):
        Beneath(str(root)).make_folders(f"{root}/new/deeper")
    assert made == ["new"]


def test_an_entry_replaced_between_two_looks_is_looked_at_again(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process may turn a file into a folder (or a link into a file) between the walk's
    # open and its lstat, or between the lstat and the readlink: the walk looks again.
    real_open, real_readlink = os.open, os.readlink
    failures = {"open": [errno.ENOTDIR], "readlink": [errno.EINVAL]}

    def open_once_not_a_folder(name: str, flags: int, *args: object, **kwargs: object) -> int:
        if name == "a" and flags & os.O_DIRECTORY and failures["open"]:
            code = failures["open"].pop()
            raise OSError(code, os.strerror(code))
        return real_open(name, flags, *args, **kwargs)  # type: ignore[arg-type]

    def readlink_once_no_link(name: str, *args: object, **kwargs: object) -> str:
        if name == "rel" and failures["readlink"]:
            code = failures["readlink"].pop()
            raise OSError(code, os.strerror(code))
        return real_readlink(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_once_not_a_folder)
    monkeypatch.setattr(os, "readlink", readlink_once_no_link)
    beneath = Beneath(str(root))
    assert _walked(beneath, f"{root}/a/b/f.txt") == _kernel(f"{root}/a/b/f.txt")
    assert _stat_walked(beneath, f"{root}/rel") == _kernel(f"{root}/rel")
    assert failures == {"open": [], "readlink": []}


def test_a_folder_moved_away_while_the_walk_is_in_it_is_refused(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "a/b/../.." goes back up through the folders it came down; if "b" is moved meanwhile,
    # its ".." is another folder: the path changed while it was being resolved (README).
    (root / "elsewhere").mkdir()
    real_open = os.open

    def move_b_first(name: str, flags: int, *args: object, **kwargs: object) -> int:
        if name == ".." and (root / "a" / "b").exists():
            os.rename(root / "a" / "b", root / "elsewhere" / "b")
        return real_open(name, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", move_b_first)
    path = f"{root}/a/b/../../plain.txt"
    with pytest.raises(ProjectError) as refused:
        Beneath(str(root)).open(path, os.O_RDONLY)
    assert str(refused.value) == f"path '{path}' changed while it was being resolved; try again"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may open any folder")
def test_a_folder_that_may_be_searched_but_not_listed_is_walked_through(root: Path) -> None:
    # path_resolution(7): passing through a folder needs search (x) permission only.
    (root / "a").chmod(0o311)
    try:
        assert _walked(Beneath(str(root)), f"{root}/a/b/f.txt") == _kernel(f"{root}/a/b/f.txt")
    finally:
        (root / "a").chmod(0o755)
