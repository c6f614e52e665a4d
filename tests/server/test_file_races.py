"""The file methods against a process that swaps a folder for a link to outside while they run.

A child process exchanges ``race/box`` (a folder inside the project) and ``race/link`` (a link
to a folder outside) with ``renameat2(RENAME_EXCHANGE)`` in a tight loop, so every path check
made before an operation can be stale by the time the operation runs. Whatever the timing,
nothing outside the project may be read, written, created or deleted: the outside folder is
compared before and after. The methods run in this process, through the server's own handlers
(:class:`cocalc_project_server.files.ProjectFiles`), so many calls fit in a fraction of a second.

Linux only (``renameat2`` is glibc >= 2.28 on Linux >= 3.15); skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from cocalc_project_server.errors import ProjectError
from cocalc_project_server.files import ProjectFiles

CALLS = 150  # per method; each is a fraction of a millisecond
RACE_SECONDS = 5.0  # the swapping stops by itself even if a test hangs
RACE_SWAPS = 10_000_000
RENAME_EXCHANGE = 2  # linux/fs.h
AT_FDCWD = -100

SWAPPER = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2])
deadline, swaps = time.monotonic() + float(sys.argv[3]), int(sys.argv[4])
print("swapping", flush=True)
for n in range(swaps):
    if libc.renameat2(-100, a, -100, b, 2) != 0:
        sys.exit(ctypes.get_errno())
    if n % 1024 == 0 and time.monotonic() > deadline:
        break
"""


def _exchange_works(folder: Path) -> bool:
    """Whether this libc and filesystem can exchange two names atomically."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    first, second = folder / "probe-a", folder / "probe-b"
    first.mkdir()
    second.symlink_to(first)
    try:
        return bool(
            renameat2(AT_FDCWD, bytes(first), AT_FDCWD, bytes(second), RENAME_EXCHANGE) == 0
        )
    finally:
        first.unlink() if first.is_symlink() else first.rmdir()
        second.unlink() if second.is_symlink() else second.rmdir()


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry below ``folder``: a file's bytes, None for a folder."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


class Race:
    """``race/box`` inside ``root``, ``race/link`` pointing at ``outside``, being swapped."""

    def __init__(self, root: Path, outside: Path) -> None:
        self.root, self.outside = root, outside
        self.box = root / "race" / "box"
        self.box.mkdir(parents=True)
        (root / "race" / "link").symlink_to(outside)
        self.files = ProjectFiles(str(root), {}, cast(Any, None))
        self._swapper: subprocess.Popen[str] | None = None

    def both(self, name: str, text: str = "") -> None:
        """The same file inside the box and outside (inside says so)."""
        for folder, says in ((self.box, "inside"), (self.outside, "OUTSIDE")):
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text or says)

    def start(self) -> None:
        argv = [sys.executable, "-c", SWAPPER, str(self.box), str(self.root / "race" / "link")]
        self._swapper = subprocess.Popen(
            [*argv, str(RACE_SECONDS), str(RACE_SWAPS)], stdout=subprocess.PIPE, text=True
        )
        assert self._swapper.stdout is not None
        assert self._swapper.stdout.readline() == "swapping\n"

    def stop(self) -> None:
        if self._swapper is not None:
            if self._swapper.poll() is None:
                self._swapper.kill()
            self._swapper.wait()
            self._swapper = None

    def run(self, calls: Callable[[int], Awaitable[Any]]) -> list[Any]:
        """``calls(i)`` for each i, under the race; each result or the error it raised."""

        async def all_calls() -> list[Any]:
            results: list[Any] = []
            for i in range(CALLS):
                try:
                    results.append(await calls(i))
                except ProjectError as exc:
                    results.append(exc)
            return results

        self.start()
        try:
            return asyncio.run(all_calls())
        finally:
            self.stop()


@pytest.fixture
def race(tmp_path: Path) -> Iterator[Race]:
    if not sys.platform.startswith("linux") or not _exchange_works(tmp_path):
        pytest.skip("needs renameat2(RENAME_EXCHANGE) (Linux)")
    root, outside = tmp_path / "project", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    race = Race(root, outside)
    yield race
    race.stop()


def test_deleting_never_removes_anything_outside(race: Race) -> None:
    # Only the outside has these: deleting a missing path inside is fine (rimraf), and every
    # call that reached outside would remove one.
    for i in range(CALLS):
        (race.outside / f"v{i}" / "sub").mkdir(parents=True)
        (race.outside / f"v{i}" / "sub" / "a.txt").write_text("OUTSIDE")
        (race.outside / f"f{i}.txt").write_text("OUTSIDE")
    before = snapshot(race.outside)

    def delete(i: int) -> Awaitable[None]:
        return race.files.delete_files({"paths": [f"race/box/v{i}", f"race/box/f{i}.txt"]})

    race.run(delete)
    assert snapshot(race.outside) == before


def test_reading_never_answers_with_an_outside_file(race: Race) -> None:
    race.both("f.txt")
    race.both("nb.ipynb", '{"cells": [], "source": "OUTSIDE"}')
    (race.box / "nb.ipynb").write_text('{"cells": [], "source": "inside"}')

    async def read(i: int) -> Any:
        if i % 2:
            return await race.files.jupyter_strip_notebook("race/box/nb.ipynb")
        return (await race.files.read_text_file({"path": "race/box/f.txt"})).data.decode()

    results = race.run(read)
    assert not [r for r in results if "OUTSIDE" in str(r)]


def test_writing_never_changes_anything_outside(race: Race) -> None:
    race.both("f.txt")
    before = snapshot(race.outside)

    def write(i: int) -> Awaitable[None]:
        if i % 3 == 0:
            return race.files.write_text_file({"path": "race/box/f.txt", "content": "new"})
        if i % 3 == 1:
            path = f"race/box/new{i}/w.txt"
            return race.files.write_text_file({"path": path, "content": "new"})
        return race.files.new_file(f"race/box/n{i}.txt")

    race.run(write)
    assert snapshot(race.outside) == before


def test_moving_never_takes_or_puts_anything_outside(race: Race) -> None:
    for i in range(CALLS):
        race.both(f"m{i}.txt")
    (race.root / "in").mkdir()
    before = snapshot(race.outside)

    def move(i: int) -> Awaitable[None]:
        if i % 2:
            return race.files.rename_file({"src": f"race/box/m{i}.txt", "dest": f"in/m{i}.txt"})
        return race.files.move_files({"paths": [f"in/x{i}"], "dest": "race/box"})

    for i in range(0, CALLS, 2):
        (race.root / "in" / f"x{i}").write_text("inside")
    race.run(move)
    assert snapshot(race.outside) == before


def test_listing_never_shows_an_outside_folder(race: Race) -> None:
    race.both("only-outside-has-this.txt")
    (race.box / "only-outside-has-this.txt").unlink()

    async def listing(i: int) -> Any:
        return await race.files.listing({"path": "race/box"})

    results = race.run(listing)
    assert not [r for r in results if "only-outside-has-this.txt" in str(r)]


def test_the_exchange_really_happens(race: Race) -> None:
    # The swapper is effective: a plain path look-up sees both states while it runs.
    race.start()
    try:
        seen = set()
        for _ in range(100_000):
            seen.add(os.path.islink(race.box))
            if len(seen) == 2:
                break
    finally:
        race.stop()
    assert seen == {True, False}
