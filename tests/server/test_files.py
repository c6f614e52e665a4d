"""The file methods against real files: system.listing/deleteFiles/moveFiles/renameFile/realpath/
canonicalPaths/writeTextFileToProject/readTextFileFromProject, editor.newFile,
editor.jupyterStripNotebook, sync.close and system.version.

Expected values come from the filesystem (os.stat, os.listdir), docs/wire-protocol.md §4 and the CoCalc
source the behaviour is taken from (named in each test).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Api

# src/packages/util/delete-files.ts: the hidden companions of a file "<name>".
DELETED_COMPANIONS = [
    "sage-chat",
    "sage-jupyter",
    "sage-jupyter2",
    "time-travel",
    "sage-history",
    "syncdb",
]
MOVED_COMPANIONS = DELETED_COMPANIONS[:-1]  # move-files.ts leaves .syncdb behind


@pytest.fixture
def home(api: Api) -> Path:
    return Path(api.server.root)


@pytest.fixture
def work(home: Path, request: pytest.FixtureRequest) -> Path:
    """A fresh folder for this test inside the project, named after it."""
    folder: Path = home / request.node.name
    folder.mkdir()
    return folder


def rel(path: Path, home: Path) -> str:
    return str(path.relative_to(home))


def companion(path: Path, ext: str) -> Path:
    return path.parent / f".{path.name}.{ext}"


def fill(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def assert_outside_refused(result: object) -> None:
    assert isinstance(result, dict), result
    assert "outside of the project folder" in result["error"], result


# -- system.version, sync.close, argument checks -------------------------------------------------


def test_version_is_a_stable_integer(api: Api) -> None:
    first = api.call("system.version")
    assert isinstance(first, int) and not isinstance(first, bool) and first > 0
    assert api.call("system.version") == first


def test_sync_close_is_a_no_op_returning_null(api: Api, work: Path, home: Path) -> None:
    fill(work / "a.txt", "keep")
    assert api.call("sync.close", rel(work / "a.txt", home)) is None
    assert (work / "a.txt").read_text() == "keep"


def test_arguments_of_the_wrong_type_are_refused(api: Api) -> None:
    result = api.call("system.listing", {"path": 5})
    assert result["error"].startswith("Error: system.listing: ")


# -- system.listing (src/packages/backend/get-listing.ts) ----------------------------------------


def test_listing_matches_the_filesystem(api: Api, work: Path, home: Path) -> None:
    fill(work / "small.txt", "hello")
    fill(work / ".hidden", "secret")
    fill(work / "folder" / "one", "1")
    fill(work / "folder" / "two", "2")
    fill(work / "folder" / ".dot", "3")
    (work / "link").symlink_to("small.txt")
    (work / "dangling").symlink_to("no-such-target")

    listing = api.call("system.listing", {"path": rel(work, home)})

    visible = [name for name in os.listdir(work) if not name.startswith(".")]
    # Unsorted: in the order the folder itself yields its entries.
    assert [entry["name"] for entry in listing] == visible
    by_name = {entry["name"]: entry for entry in listing}
    for name, entry in by_name.items():
        path = work / name
        st = path.stat() if path.exists() else path.lstat()  # a dangling link: lstat
        assert abs(entry["mtime"] - st.st_mtime) < 0.001, name
        assert entry["mtime"] * 1000 == pytest.approx(round(entry["mtime"] * 1000)), name
        if stat.S_ISDIR(st.st_mode):
            assert entry["isdir"] is True
            assert entry["size"] == len([n for n in os.listdir(path) if not n.startswith(".")])
        else:
            assert "isdir" not in entry
            assert entry["size"] == st.st_size
        if path.is_symlink():
            assert entry["issymlink"] is True
            assert entry["link_target"] == os.readlink(path)
        else:
            assert "issymlink" not in entry and "link_target" not in entry
        assert "error" not in entry
    assert by_name["folder"]["size"] == 2
    assert by_name["link"]["size"] == len("hello")  # the link's target


def test_listing_hidden_shows_dot_files_and_counts_them(api: Api, work: Path, home: Path) -> None:
    fill(work / ".hidden", "secret")
    fill(work / "folder" / ".dot", "3")
    fill(work / "folder" / "one", "1")

    listing = api.call("system.listing", {"path": rel(work, home), "hidden": True})

    assert sorted(entry["name"] for entry in listing) == sorted(os.listdir(work))
    folder = next(entry for entry in listing if entry["name"] == "folder")
    assert folder["size"] == len(os.listdir(work / "folder")) == 2


def test_listing_joins_an_absolute_path_onto_home(api: Api, work: Path, home: Path) -> None:
    fill(work / "a.txt")
    absolute = api.call("system.listing", {"path": "/" + rel(work, home)})
    assert [entry["name"] for entry in absolute] == ["a.txt"]


def test_listing_a_missing_folder_is_node_enoent(api: Api, home: Path) -> None:
    assert api.call("system.listing", {"path": "no/such/folder"}) == {
        "error": f"Error: ENOENT: no such file or directory, opendir '{home}/no/such/folder'"
    }


def test_listing_a_file_is_node_enotdir(api: Api, work: Path, home: Path) -> None:
    fill(work / "plain.txt")
    assert api.call("system.listing", {"path": rel(work / "plain.txt", home)}) == {
        "error": f"Error: ENOTDIR: not a directory, opendir '{work}/plain.txt'"
    }


def test_listing_a_name_that_is_not_utf8_is_decoded_and_its_lookup_fails(
    api: Api, work: Path, home: Path
) -> None:
    # Node reads the name with U+FFFD for the bad bytes, JSON.stringify takes it (so
    # get-listing.ts's "????" branch never runs), and stat, then lstat, of that name fail.
    with open(os.path.join(os.fsencode(work), b"bad\xff\xfename"), "w"):
        pass
    (entry,) = api.call("system.listing", {"path": rel(work, home)})
    assert entry == {
        "name": "bad\ufffd\ufffdname",
        "error": f"Error: ENOENT: no such file or directory, lstat '{work}/bad\ufffd\ufffdname'",
    }


@pytest.mark.parametrize(
    ("mtime_ns", "mtime"),
    [
        # node: mtimeMs = sec * 1e3 + nsec / 1e6, the Date made of Math.round(mtimeMs)
        # (lib/internal/fs/utils.js msFromTimeSpec, dateFromMs), then valueOf() / 1000.
        (1_700_000_000_123_600_000, 1700000000.124),  # rounded up, not truncated to .123
        (1_700_000_000_123_400_000, 1700000000.123),
        (1_700_000_000_123_500_000, 1700000000.124),  # a half goes up
        (1_700_000_000_999_600_000, 1700000001),  # a whole number, written without ".0"
        (-1_500_000, -0.001),  # Math.round(-1.5) is -1
    ],
)
def test_listing_mtimes_are_rounded_to_the_millisecond_as_node_rounds(
    api: Api, work: Path, home: Path, mtime_ns: int, mtime: float
) -> None:
    path = fill(work / "dated.txt")
    os.utime(path, ns=(mtime_ns, mtime_ns))
    (entry,) = api.call("system.listing", {"path": rel(work, home)})
    assert entry["mtime"] == mtime and type(entry["mtime"]) is type(mtime)


def test_listing_outside_the_project_is_refused(api: Api, home: Path) -> None:
    assert_outside_refused(api.call("system.listing", {"path": ".."}))
    (home / "escape").symlink_to("/")
    try:
        assert_outside_refused(api.call("system.listing", {"path": "escape"}))
    finally:
        (home / "escape").unlink()


# node's stats.mtime: mtimeMs (sec * 1e3 + nsec / 1e6) made a Date with Math.round
# (lib/internal/fs/utils.js, dateFromMs); get-listing.ts sends stats.mtime.valueOf() / 1000.
# (modification time in ns, mtime listed)
MTIME_ROUNDING = [
    (1_700_000_000_000_000_000, 1700000000),
    (1_700_000_000_123_400_000, 1700000000.123),
    (1_700_000_000_123_500_000, 1700000000.124),  # a half goes up
    (1_700_000_000_123_600_000, 1700000000.124),
    (1_700_000_000_999_700_000, 1700000001),
]


def test_listing_rounds_the_mtime_to_the_nearest_millisecond(
    api: Api, work: Path, home: Path
) -> None:
    for index, (ns, _) in enumerate(MTIME_ROUNDING):
        os.utime(fill(work / f"f{index}"), ns=(ns, ns))
    listing = api.call("system.listing", {"path": rel(work, home)})
    listed = {entry["name"]: entry["mtime"] for entry in listing}
    assert listed == {f"f{i}": mtime for i, (_, mtime) in enumerate(MTIME_ROUNDING)}


# -- system.deleteFiles (src/packages/backend/files/delete-files.ts) ------------------------------


def test_delete_removes_files_folders_and_links_but_not_link_targets(
    api: Api, work: Path, home: Path
) -> None:
    target = fill(work / "target.txt", "stays")
    (work / "link").symlink_to("target.txt")
    fill(work / "tree" / "deep" / "leaf.txt")
    fill(work / "file.txt")

    paths = ["link", "tree", "file.txt", "never-existed"]
    result = api.call("system.deleteFiles", {"paths": [rel(work / p, home) for p in paths]})

    assert result is None
    assert sorted(os.listdir(work)) == ["target.txt"]
    assert target.read_text() == "stays"


def test_delete_also_removes_the_hidden_companions(api: Api, work: Path, home: Path) -> None:
    doc = fill(work / "notes.ipynb")
    for ext in DELETED_COMPANIONS:
        fill(companion(doc, ext))
    unrelated = fill(work / ".notes.ipynb.other")

    assert api.call("system.deleteFiles", {"paths": [rel(doc, home)]}) is None
    assert os.listdir(work) == [unrelated.name]


def test_delete_takes_absolute_paths_inside_the_project(api: Api, work: Path) -> None:
    doc = fill(work / "a.txt")
    assert api.call("system.deleteFiles", {"paths": [str(doc)]}) is None
    assert not doc.exists()


def test_delete_refuses_outside_paths_and_the_project_folder(api: Api, home: Path) -> None:
    assert_outside_refused(api.call("system.deleteFiles", {"paths": ["../elsewhere"]}))
    assert_outside_refused(api.call("system.deleteFiles", {"paths": ["/etc/hostname"]}))
    result = api.call("system.deleteFiles", {"paths": [""]})
    assert "project folder" in result["error"]
    assert home.is_dir()


@pytest.mark.parametrize("link", ["absolute", "relative"])
def test_delete_through_a_link_in_a_parent_folder_is_refused(
    api: Api, work: Path, home: Path, tmp_path: Path, link: str
) -> None:
    # "out" is a link to a folder outside the project: "out/x" names the outside file.
    victim = fill(tmp_path / "outside" / "x", "stays")
    target = victim.parent if link == "absolute" else os.path.relpath(victim.parent, work)
    (work / "out").symlink_to(target)
    result = api.call("system.deleteFiles", {"paths": [rel(work / "out" / "x", home)]})
    assert_outside_refused(result)
    assert victim.read_text() == "stays"


# -- system.moveFiles (src/packages/backend/files/move-files.ts, fs-extra's move) -----------------


def test_move_into_a_folder_takes_companions_but_not_syncdb(
    api: Api, work: Path, home: Path
) -> None:
    doc = fill(work / "doc.md", "body")
    for ext in DELETED_COMPANIONS:
        fill(companion(doc, ext), ext)
    fill(work / "folder" / "inside.txt")
    dest = work / "dest"  # missing: created

    result = api.call(
        "system.moveFiles",
        {"paths": [rel(doc, home), rel(work / "folder", home)], "dest": rel(dest, home)},
    )

    assert result is None
    moved = dest / "doc.md"
    assert moved.read_text() == "body"
    assert (dest / "folder" / "inside.txt").is_file()
    for ext in MOVED_COMPANIONS:
        assert companion(moved, ext).read_text() == ext
        assert not companion(doc, ext).exists()
    assert companion(doc, "syncdb").exists() and not companion(moved, "syncdb").exists()


def test_move_to_empty_dest_means_home(api: Api, work: Path, home: Path) -> None:
    name = f"{work.name}-moved.txt"
    fill(work / name, "to home")
    assert api.call("system.moveFiles", {"paths": [rel(work / name, home)], "dest": ""}) is None
    assert (home / name).read_text() == "to home"
    (home / name).unlink()


def test_move_never_overwrites(api: Api, work: Path, home: Path) -> None:
    fill(work / "a.txt", "new")
    fill(work / "dest" / "a.txt", "old")
    result = api.call(
        "system.moveFiles", {"paths": [rel(work / "a.txt", home)], "dest": rel(work / "dest", home)}
    )
    assert result == {"error": "Error: dest already exists."}  # fs-extra lib/move/move.js
    assert (work / "dest" / "a.txt").read_text() == "old"
    assert (work / "a.txt").read_text() == "new"


def test_move_of_a_missing_file_is_node_enoent(api: Api, work: Path, home: Path) -> None:
    result = api.call(
        "system.moveFiles", {"paths": [rel(work / "ghost", home)], "dest": rel(work, home)}
    )
    assert result == {"error": f"Error: ENOENT: no such file or directory, lstat '{work}/ghost'"}


def test_move_of_a_folder_into_itself_is_refused(api: Api, work: Path, home: Path) -> None:
    fill(work / "box" / "item")
    result = api.call(
        "system.moveFiles",
        {"paths": [rel(work / "box", home)], "dest": rel(work / "box" / "inner", home)},
    )
    # fs-extra lib/util/stat.js
    assert result == {
        "error": f"Error: Cannot move '{work}/box' to a subdirectory of itself, "
        f"'{work}/box/inner/box'."
    }
    assert (work / "box" / "item").is_file()


def test_move_outside_the_project_is_refused(api: Api, work: Path, home: Path) -> None:
    doc = fill(work / "a.txt")
    result = api.call("system.moveFiles", {"paths": [rel(doc, home)], "dest": "/tmp"})
    assert_outside_refused(result)
    assert doc.exists()


# -- system.renameFile (src/packages/backend/files/rename-file.ts) --------------------------------


def test_rename_takes_companions_and_creates_parent_folders(
    api: Api, work: Path, home: Path
) -> None:
    doc = fill(work / "old.ipynb", "{}")
    for ext in DELETED_COMPANIONS:
        fill(companion(doc, ext), ext)
    new = work / "sub" / "new.ipynb"

    assert api.call("system.renameFile", {"src": rel(doc, home), "dest": rel(new, home)}) is None

    assert new.read_text() == "{}" and not doc.exists()
    for ext in MOVED_COMPANIONS:
        assert companion(new, ext).read_text() == ext
    assert companion(doc, "syncdb").exists()


def test_rename_to_the_same_path_does_nothing(api: Api, work: Path, home: Path) -> None:
    ghost = rel(work / "ghost", home)
    assert api.call("system.renameFile", {"src": ghost, "dest": ghost}) is None


def test_rename_never_overwrites(api: Api, work: Path, home: Path) -> None:
    fill(work / "a", "a")
    fill(work / "b", "b")
    result = api.call(
        "system.renameFile", {"src": rel(work / "a", home), "dest": rel(work / "b", home)}
    )
    assert result == {"error": "Error: dest already exists."}
    assert (work / "a").read_text() == "a" and (work / "b").read_text() == "b"


def test_rename_outside_the_project_is_refused(api: Api, work: Path, home: Path) -> None:
    doc = fill(work / "a")
    assert_outside_refused(
        api.call("system.renameFile", {"src": rel(doc, home), "dest": "../escaped"})
    )
    assert doc.exists()


# -- system.realpath (src/packages/project/browser-websocket/realpath.ts) -------------------------


def test_realpath_resolves_links_inside_home(api: Api, work: Path, home: Path) -> None:
    fill(work / "real" / "file.txt")
    (work / "alias").symlink_to("real")
    path = rel(work / "alias" / "file.txt", home)
    assert api.call("system.realpath", path) == rel((work / "alias" / "file.txt").resolve(), home)
    plain = rel(work / "real" / "file.txt", home)
    assert api.call("system.realpath", plain) == plain


def test_realpath_normalizes_a_path_that_is_no_link(api: Api, work: Path, home: Path) -> None:
    # realpath.ts answers `path` unchanged only when fs.realpath gives back HOME + "/" + path
    # itself; otherwise the real path, relative to HOME, so a mere spelling is normalized.
    fill(work / "d" / "f")
    d = rel(work / "d", home)
    for spelling in (f"{d}/", f"./{d}", f"{d}/../d/", f"{d}//"):
        assert api.call("system.realpath", spelling) == d, spelling


def test_realpath_of_a_link_leaving_home_is_the_input(api: Api, work: Path, home: Path) -> None:
    (work / "tmp-link").symlink_to("/tmp")
    path = rel(work / "tmp-link", home)
    assert api.call("system.realpath", path) == path


def test_realpath_of_a_missing_path_is_node_enoent(api: Api, home: Path) -> None:
    assert api.call("system.realpath", "missing/thing") == {
        "error": f"Error: ENOENT: no such file or directory, realpath '{home}/missing/thing'"
    }


def test_realpath_outside_the_project_is_refused(api: Api) -> None:
    assert_outside_refused(api.call("system.realpath", "../.."))


# -- system.canonicalPaths (src/packages/project/browser-websocket/canonical-path.ts) -------------


def test_canonical_paths_are_home_relative(api: Api, work: Path, home: Path) -> None:
    fill(work / "real" / "f")
    (work / "alias").symlink_to("real")
    paths = [rel(work / "alias" / "f", home), str(work / "real"), ""]
    assert api.call("system.canonicalPaths", paths) == [
        rel((work / "real" / "f").resolve(), home),
        rel(work / "real", home),
        "",
    ]


def test_canonical_path_outside_home_goes_through_smc_root(api: Api, home: Path) -> None:
    outside = os.path.realpath("/tmp")
    assert api.call("system.canonicalPaths", ["/tmp"]) == [f"{home}/.smc/root{outside}"]


def test_canonical_path_of_a_missing_path_is_node_enoent(api: Api, home: Path) -> None:
    assert api.call("system.canonicalPaths", ["nope"]) == {
        "error": f"Error: ENOENT: no such file or directory, realpath '{home}/nope'"
    }


# -- system.writeTextFileToProject / readTextFileFromProject (conat/api/system.ts) ---------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_write_creates_parent_folders_with_mode_0700(api: Api, work: Path, home: Path) -> None:
    target = work / "new" / "deeper" / "note.txt"
    text = "grüße ✓\nline 2"
    result = api.call("system.writeTextFileToProject", {"path": rel(target, home), "content": text})
    assert result is None
    assert target.read_bytes() == text.encode("utf-8")
    for folder in (work / "new", work / "new" / "deeper"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700 & ~_umask()


def test_write_replaces_the_contents(api: Api, work: Path, home: Path) -> None:
    target = fill(work / "f.txt", "a long old text")
    api.call("system.writeTextFileToProject", {"path": str(target), "content": "new"})
    assert target.read_text() == "new"


def test_write_resolves_dot_dot_like_the_kernel(api: Api, work: Path, home: Path) -> None:
    # The parent is made from the normalized path, but the write goes through "missing/..".
    path = rel(work / "missing" / ".." / "x.txt", home)
    result = api.call("system.writeTextFileToProject", {"path": path, "content": "x"})
    assert result == {"error": f"Error: ENOENT: no such file or directory, open '{path}'"}


def test_write_through_a_file_is_node_enotdir(api: Api, work: Path, home: Path) -> None:
    fill(work / "plain")
    path = rel(work / "plain" / "x.txt", home)
    result = api.call("system.writeTextFileToProject", {"path": path, "content": "x"})
    assert result == {"error": f"Error: ENOTDIR: not a directory, open '{path}'"}


def test_read_returns_utf8_text(api: Api, work: Path, home: Path) -> None:
    (work / "f.txt").write_bytes("héllo\n".encode() + b"\xff!")
    result = api.call("system.readTextFileFromProject", {"path": rel(work / "f.txt", home)})
    assert result == "héllo\n\ufffd!"  # an invalid byte reads as U+FFFD, as Buffer.toString


def test_read_errors_are_node_texts(api: Api, work: Path, home: Path) -> None:
    missing = rel(work / "missing.txt", home)
    assert api.call("system.readTextFileFromProject", {"path": missing}) == {
        "error": f"Error: ENOENT: no such file or directory, open '{missing}'"
    }
    assert api.call("system.readTextFileFromProject", {"path": rel(work, home)}) == {
        "error": "Error: EISDIR: illegal operation on a directory, read"
    }


def test_paths_are_encoded_as_node_encodes_them(api: Api, work: Path, home: Path) -> None:
    # A lone surrogate (valid in JSON) is written as U+FFFD; a NUL byte is node's TypeError.
    body = {
        "name": "system.writeTextFileToProject",
        "args": [{"path": rel(work, home) + "/s\udcff.txt", "content": "x"}],
    }
    response = api.post(json.dumps(body).encode())
    assert response.json() is None
    assert os.listdir(os.fsencode(work)) == ["s\ufffd.txt".encode()]
    assert api.call("system.readTextFileFromProject", {"path": "a\x00b"}) == {
        "error": "TypeError [ERR_INVALID_ARG_VALUE]: The argument 'path' must be a string, "
        "Uint8Array, or URL without null bytes. Received 'a\\x00b'"
    }


def test_read_and_write_outside_the_project_are_refused(api: Api) -> None:
    assert_outside_refused(api.call("system.readTextFileFromProject", {"path": "/etc/hostname"}))
    result = api.call("system.writeTextFileToProject", {"path": "../x.txt", "content": "x"})
    assert_outside_refused(result)


@pytest.fixture
def sibling(home: Path) -> Iterator[Path]:
    """A folder beside the project whose name starts with the project folder's name."""
    folder = Path(f"{home}2")
    fill(folder / "secret.txt", "secret")
    yield folder
    shutil.rmtree(folder)


def test_a_sibling_whose_name_starts_like_the_projects_is_outside(
    api: Api, home: Path, sibling: Path
) -> None:
    for path in (f"../{sibling.name}/secret.txt", f"{sibling}/secret.txt"):
        read = api.call("system.readTextFileFromProject", {"path": path})
        assert_outside_refused(read)
        written = api.call("system.writeTextFileToProject", {"path": path, "content": "x"})
        assert_outside_refused(written)
        assert_outside_refused(api.call("system.deleteFiles", {"paths": [path]}))
    assert_outside_refused(api.call("system.listing", {"path": f"../{sibling.name}"}))
    assert (sibling / "secret.txt").read_text() == "secret"


# -- editor.newFile (src/packages/backend/misc/new-file.ts) ---------------------------------------


def test_new_file_is_empty_with_parent_folders(api: Api, work: Path, home: Path) -> None:
    target = work / "a" / "b" / "script.py"
    assert api.call("editor.newFile", rel(target, home)) is None
    assert target.read_bytes() == b""


def test_new_file_leaves_an_existing_file_alone(api: Api, work: Path, home: Path) -> None:
    target = fill(work / "keep.txt", "precious")
    assert api.call("editor.newFile", rel(target, home)) is None
    assert target.read_text() == "precious"


def test_new_file_with_empty_path_does_nothing(api: Api, home: Path) -> None:
    before = sorted(os.listdir(home))
    assert api.call("editor.newFile", "") is None
    assert sorted(os.listdir(home)) == before


def test_new_file_copies_the_template_for_its_extension(api: Api, work: Path, home: Path) -> None:
    ext = f"{work.name}ext"  # an extension no other test uses
    template = fill(home / "templates" / sys.platform.lower() / f"default.{ext}", "TEMPLATE")
    try:
        target = work / f"doc.{ext}"
        assert api.call("editor.newFile", rel(target, home)) is None
        assert target.read_text() == "TEMPLATE"
    finally:
        template.unlink()


def test_new_file_outside_the_project_is_refused(api: Api) -> None:
    assert_outside_refused(api.call("editor.newFile", "/tmp/should-not-be-created.txt"))
    assert not os.path.exists("/tmp/should-not-be-created.txt")


# -- editor.jupyterStripNotebook (src/packages/jupyter/nbgrader/jupyter-parse.ts) -----------------


NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": 3,
            "metadata": {"scale": 1.0, "tiny": 1e-7},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "hi\n"}],
            "source": "print('hi')",
        },
        {
            "cell_type": "markdown",
            "attachments": {"a.png": {"image/png": "iVBOR"}},
            "metadata": {},
            "source": "![a](attachment:a.png) ünïcode",
        },
    ],
    "metadata": {"kernelspec": {"name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
# JSON.stringify with no indentation: no spaces, 1.0 as 1, 1e-7 as 1e-7, text not escaped.
STRIPPED = (
    '{"cells":[{"cell_type":"code","execution_count":3,"metadata":{"scale":1,"tiny":1e-7},'
    '"outputs":[],"source":"print(\'hi\')"},{"cell_type":"markdown","metadata":{},'
    '"source":"![a](attachment:a.png) ünïcode"}],"metadata":{"kernelspec":{"name":"python3"}},'
    '"nbformat":4,"nbformat_minor":5}'
)


def test_strip_notebook_empties_outputs_and_drops_attachments(
    api: Api, work: Path, home: Path
) -> None:
    path = work / "nb.ipynb"
    original = json.dumps(NOTEBOOK, indent=1, ensure_ascii=False)
    path.write_text(original, encoding="utf-8")

    assert api.call("editor.jupyterStripNotebook", rel(path, home)) == STRIPPED
    assert path.read_text(encoding="utf-8") == original  # the file is not changed


def test_strip_notebook_errors(api: Api, work: Path, home: Path) -> None:
    missing = rel(work / "missing.ipynb", home)
    assert api.call("editor.jupyterStripNotebook", missing) == {
        "error": f"Error: ENOENT: no such file or directory, open '{missing}'"
    }
    fill(work / "cut.ipynb", '{"cells": [')
    # V8's JSON.parse message, sent as `${err}` of a SyntaxError.
    assert api.call("editor.jupyterStripNotebook", rel(work / "cut.ipynb", home)) == {
        "error": "SyntaxError: Unexpected end of JSON input"
    }
