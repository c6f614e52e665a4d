"""What one file call can make the server hold: a deep folder deleted (no recursion).

Expected texts: node's error words (libuv's descriptions).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cocalc_project_server import removal
from cocalc_project_server.errors import ProjectError
from cocalc_project_server.testing import ServerProcess, running_server

from .conftest import Api, make_api


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    # In memory where there is a tmpfs: on a disk, making and removing a folder 500 levels
    # deep can take a second or more (a millisecond per folder).
    memory = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with (
        tempfile.TemporaryDirectory(dir=memory) as root,
        running_server(kernel_pool_size=0, root=root) as s,
    ):
        yield s


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[Api]:
    yield from make_api(server)


@pytest.fixture
def home(server: ServerProcess) -> Path:
    return Path(server.root)


# -- system.deleteFiles --------------------------------------------------------------------------


def test_a_folder_500_levels_deep_is_deleted(api: Api, home: Path) -> None:
    # One write makes it (ensure-containing-directory-exists.ts creates every parent).
    deep = "deep/" + "d/" * 500 + "leaf.txt"
    assert api.call("system.writeTextFileToProject", {"path": deep, "content": "x"}) is None
    assert (home / deep).is_file()

    assert api.call("system.deleteFiles", {"paths": ["deep"]}) is None
    assert not (home / "deep").exists()


def test_a_failure_deep_inside_keeps_its_folders_and_removes_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = tmp_path / "top"
    stuck = top / "a" / "b" / "stuck.txt"
    stuck.parent.mkdir(parents=True)
    stuck.write_text("x")
    for sibling in (top / "a" / "b" / "z.txt", top / "a" / "y.txt", top / "x.txt"):
        sibling.write_text("x")
    (top / "c" / "d").mkdir(parents=True)
    unlink = os.unlink

    def refuse_stuck(path: str, *, dir_fd: int | None = None) -> None:
        if path == "stuck.txt":
            raise PermissionError(13, "Permission denied")
        unlink(path, dir_fd=dir_fd)

    monkeypatch.setattr(removal.os, "unlink", refuse_stuck)
    with pytest.raises(ProjectError) as failure:
        removal.remove_all([str(top), str(tmp_path / "missing")])

    # libuv's words for EACCES (include/uv.h), with rimraf's syscall and the entry's path.
    assert str(failure.value) == f"EACCES: permission denied, unlink '{stuck}'"
    remaining = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert remaining == ["top", "top/a", "top/a/b", "top/a/b/stuck.txt"]
