"""``system.listing``'s entries (:mod:`cocalc_project_server.listing`), called in process.

The oracle is src/packages/backend/get-listing.ts: for each entry of ``opendir(dir)`` (in
directory order; a name starting with "." only when ``hidden``), ``{name}``, ``issymlink:
true`` and ``link_target`` (left out when ``readlink`` fails) for a link, then ``stat`` (falling
back on ``lstat``: a broken link) for ``mtime`` (``stats.mtime.valueOf() / 1000``), ``isdir:
true`` and ``size`` the number of entries (only those not hidden unless ``hidden``) for a
folder, else ``size`` in bytes; a failure there is the entry's ``error`` (``${err}``, so
"Error: " and node's message) and the listing goes on. Node's error texts: code, libuv's
description, syscall, path. Failures are made by replacing one ``os`` call (the tests run as
root, which may read anything).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from cocalc_project_server import listing
from cocalc_project_server.beneath import Beneath
from cocalc_project_server.errors import ProjectError

from . import replaced_os
from .project_tree import fill


def list_of(root: Path, folder: Path, hidden: bool = False) -> list[dict[str, Any]]:
    return listing.list_folder(Beneath(str(root)), str(folder), hidden)


def by_name(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in entries}


def mtime_of(path: Path, ns: int) -> None:
    os.utime(path, ns=(ns, ns), follow_symlinks=False)


# 1_700_000_000.5 s: node's mtime.valueOf() / 1000 of it.
WHEN_NS, WHEN = 1_700_000_000_500_000_000, 1700000000.5


def test_each_kind_of_entry_as_get_listing_makes_it(root: Path) -> None:
    mtime_of(fill(root / "small.txt", "hello"), WHEN_NS)
    fill(root / "folder" / "one")
    fill(root / "folder" / "two")
    fill(root / "folder" / ".dot")
    mtime_of(root / "folder", WHEN_NS)
    (root / "link").symlink_to("small.txt")
    (root / "folder-link").symlink_to("folder")
    (root / "dangling").symlink_to("no-such-target")
    mtime_of(root / "dangling", WHEN_NS)
    fill(root / ".hidden")

    entries = list_of(root, root)

    assert [e["name"] for e in entries] == [n for n in os.listdir(root) if n != ".hidden"]
    assert by_name(entries) == {
        "small.txt": {"name": "small.txt", "mtime": WHEN, "size": 5},
        "folder": {"name": "folder", "mtime": WHEN, "isdir": True, "size": 2},
        # stat follows the link: the target's mtime and size.
        "link": {
            "name": "link",
            "issymlink": True,
            "link_target": "small.txt",
            "mtime": WHEN,
            "size": 5,
        },
        "folder-link": {
            "name": "folder-link",
            "issymlink": True,
            "link_target": "folder",
            "mtime": WHEN,
            "isdir": True,
            "size": 2,
        },
        # stat fails, lstat is the link's own: its size is the target's length.
        "dangling": {
            "name": "dangling",
            "issymlink": True,
            "link_target": "no-such-target",
            "mtime": WHEN,
            "size": len("no-such-target"),
        },
    }


def test_hidden_lists_dot_entries_and_counts_them_in_folders(root: Path) -> None:
    fill(root / ".hidden")
    fill(root / "folder" / ".dot")
    fill(root / "folder" / "one")
    (root / "folder" / ".dot-folder").mkdir()

    entries = by_name(list_of(root, root, hidden=True))

    assert sorted(entries) == [".hidden", "folder"]
    assert entries["folder"]["size"] == 3


def test_a_folder_of_only_hidden_entries_counts_none(root: Path) -> None:
    fill(root / "folder" / ".a")
    fill(root / "folder" / ".b")
    (entry,) = list_of(root, root)
    assert entry["size"] == 0


@pytest.mark.parametrize(
    ("mtime_ns", "mtime"),
    [
        # node: mtimeMs = sec * 1e3 + nsec / 1e6, the Date made of Math.round(mtimeMs)
        # (lib/internal/fs/utils.js msFromTimeSpec, dateFromMs), then valueOf() / 1000.
        (1_700_000_000_000_000_000, 1700000000),
        (1_700_000_000_123_400_000, 1700000000.123),
        # In doubles, 1.7e12 ms + 123.499999 ms is ...123.5 (their spacing there is 2**-12).
        (1_700_000_000_123_499_999, 1700000000.124),
        (1_499_999, 0.001),
        (1_700_000_000_123_500_000, 1700000000.124),  # a half goes up
        (1_700_000_000_123_600_000, 1700000000.124),  # rounded, not truncated
        (1_700_000_000_999_600_000, 1700000001),  # a whole number, written without ".0"
        (1_500_000, 0.002),
        (-1_500_000, -0.001),  # Math.round(-1.5) is -1
        (-1_600_000, -0.002),
    ],
)
def test_mtimes_are_rounded_to_the_millisecond_as_node_rounds(
    root: Path, mtime_ns: int, mtime: float
) -> None:
    mtime_of(fill(root / "dated.txt"), mtime_ns)
    (entry,) = list_of(root, root)
    assert entry["mtime"] == mtime and type(entry["mtime"]) is type(mtime)


def test_a_name_that_is_not_utf8_is_decoded_and_its_lookup_fails(root: Path) -> None:
    # Node reads the name with U+FFFD for the bad bytes (JSON.stringify takes it), and stat,
    # then lstat, of that name fail.
    with open(os.path.join(os.fsencode(root), b"bad\xff\xfename"), "w"):
        pass
    os.symlink(b"target\xff", os.path.join(os.fsencode(root), b"ok-link"))
    entries = by_name(list_of(root, root))
    assert entries["bad\ufffd\ufffdname"] == {
        "name": "bad\ufffd\ufffdname",
        "error": f"Error: ENOENT: no such file or directory, lstat '{root}/bad\ufffd\ufffdname'",
    }
    assert entries["ok-link"]["link_target"] == "target\ufffd"


def test_a_missing_folder_is_opendirs_enoent(root: Path) -> None:
    with pytest.raises(ProjectError) as failure:
        list_of(root, root / "no" / "such")
    assert str(failure.value) == f"ENOENT: no such file or directory, opendir '{root}/no/such'"


def test_a_file_is_opendirs_enotdir(root: Path) -> None:
    fill(root / "plain.txt")
    with pytest.raises(ProjectError) as failure:
        list_of(root, root / "plain.txt")
    assert str(failure.value) == f"ENOTDIR: not a directory, opendir '{root}/plain.txt'"


def test_a_folder_that_cannot_be_read_is_opendirs_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def scandir(fd: Any) -> Any:
        raise OSError(errno.EACCES, "Permission denied")

    replaced_os.replace(monkeypatch, listing, "scandir", scandir)
    with pytest.raises(ProjectError) as failure:
        list_of(root, root)
    assert str(failure.value) == f"EACCES: permission denied, opendir '{root}'"


def test_an_unreadable_link_target_is_left_out(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(root / "target.txt", "abc")
    (root / "link").symlink_to("target.txt")
    replaced_os.failing(monkeypatch, listing, "readlink", lambda *_: True, errno.EACCES)
    entries = by_name(list_of(root, root))
    assert "link_target" not in entries["link"]
    assert entries["link"]["issymlink"] is True and entries["link"]["size"] == 3


def test_an_entry_whose_lstat_fails_has_the_error_and_the_rest_is_listed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(root / "bad.txt")
    fill(root / "good.txt", "ok")
    replaced_os.failing(
        monkeypatch, listing, "stat", lambda name, **_: name == "bad.txt", errno.EIO
    )
    entries = by_name(list_of(root, root))
    assert entries["bad.txt"] == {
        "name": "bad.txt",
        "error": f"Error: EIO: i/o error, lstat '{root}/bad.txt'",
    }
    assert entries["good.txt"]["size"] == 2 and "error" not in entries["good.txt"]


@pytest.mark.parametrize("failing_call", ["open", "listdir"])
def test_a_subfolder_that_cannot_be_read_has_readdirs_error(
    root: Path, monkeypatch: pytest.MonkeyPatch, failing_call: str
) -> None:
    # get-listing.ts sets isdir before readdir throws; readdir's syscall is scandir.
    fill(root / "folder" / "one")
    mtime_of(root / "folder", WHEN_NS)
    replaced_os.failing(monkeypatch, listing, failing_call, lambda *_: True, errno.EACCES)
    (entry,) = list_of(root, root)
    assert entry == {
        "name": "folder",
        "mtime": WHEN,
        "isdir": True,
        "error": f"Error: EACCES: permission denied, scandir '{root}/folder'",
    }
