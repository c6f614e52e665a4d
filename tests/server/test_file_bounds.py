"""What one file call can make the server hold: a file read (bounded by --max-read-bytes, its
answer encoded as it is sent), a deep folder deleted (no recursion).

Memory is the server process's peak resident size from /proc (VmHWM, reset first through
clear_refs where the kernel allows it), compared with margins of several times what the bound
allows. Expected texts: the limits as set here, node's error words (libuv's descriptions).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cocalc_project_server import removal
from cocalc_project_server.beneath import Beneath
from cocalc_project_server.errors import ProjectError
from cocalc_project_server.filetext import CHUNK_BYTES, FileText
from cocalc_project_server.testing import ServerProcess, running_server

from .conftest import Api, make_api

MiB = 1024 * 1024
READ_LIMIT = 8 * MiB
# Only to stop a hang: the pipe's reader is done long before this.
CEILING_S = 30.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    # In memory where there is a tmpfs: on a disk, making and removing a folder 500 levels
    # deep can take a second or more (a millisecond per folder).
    memory = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with (
        tempfile.TemporaryDirectory(dir=memory) as root,
        running_server(
            kernel_pool_size=0, root=root, extra_args=["--max-read-bytes", str(READ_LIMIT)]
        ) as s,
    ):
        yield s


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[Api]:
    yield from make_api(server)


@pytest.fixture
def home(server: ServerProcess) -> Path:
    return Path(server.root)


def _status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def peak_growth_mib(pid: int, action: Callable[[], None]) -> float:
    """How far the peak resident size of ``pid`` rose above its start while ``action`` ran."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak becomes the current size
    except OSError:
        pass  # then the peak so far is the start: growth is only under-reported
    start = _status_mib(pid, "VmHWM")
    action()
    return _status_mib(pid, "VmHWM") - start


needs_proc = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc")


def read(api: Api, path: str) -> object:
    return api.call("system.readTextFileFromProject", {"path": path})


def assert_refused_for_size(answer: object, path: str) -> None:
    assert isinstance(answer, dict), str(answer)[:200]
    message = answer["error"]
    assert message.startswith(f"Error: file '{path}' is larger than {READ_LIMIT} bytes"), message
    assert "--max-read-bytes" in message and "exec" in message and "download" in message


# -- system.readTextFileFromProject ------------------------------------------------------------


@needs_proc
def test_a_file_over_the_limit_is_refused_by_its_size_unread(api: Api, home: Path) -> None:
    # Sparse: 16 MiB of NUL bytes that cost nothing to make. Read and answered whole, they
    # would be 96 MiB of JSON (each NUL is \u0000), several copies of it held at once.
    with (home / "big.bin").open("wb") as file:
        file.truncate(2 * READ_LIMIT)
    answers: list[object] = []

    growth = peak_growth_mib(api.server.pid, lambda: answers.append(read(api, "big.bin")))

    assert_refused_for_size(answers[0], "big.bin")
    assert growth < 16, f"the server's peak grew {growth:.0f} MiB for a refused read"


@needs_proc
def test_a_file_of_the_limit_is_answered_encoded_as_it_is_sent(api: Api, home: Path) -> None:
    size = READ_LIMIT  # NUL bytes: an answer of 48 MiB
    with (home / "nul.bin").open("wb") as file:
        file.truncate(size)
    received: dict[str, Any] = {"bytes": 0, "head": b"", "tail": b""}

    def read() -> None:
        call = {"name": "system.readTextFileFromProject", "args": [{"path": "nul.bin"}]}
        with api.client.stream(
            "POST", api.server.endpoint, json=call, auth=(api.server.api_key, "")
        ) as response:
            for chunk in response.iter_bytes():
                received["head"] = (received["head"] + chunk)[:13]
                received["bytes"] += len(chunk)
                received["tail"] = (received["tail"] + chunk)[-7:]

    growth = peak_growth_mib(api.server.pid, read)

    assert received["bytes"] == 6 * size + 2
    assert received["head"] == b'"\\u0000\\u0000'
    assert received["tail"] == b'\\u0000"'
    # The file itself (8 MiB) plus pieces of 1.5 MiB; built whole, the 48 MiB answer would be
    # there twice (as text and as bytes) on top of the file and its decoded text.
    assert growth < 48, f"the server's peak grew {growth:.0f} MiB for an 8 MiB file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_file_without_a_size_is_cut_at_the_limit(api: Api, home: Path) -> None:
    # A named pipe has no size to check first: the limit is found by reading one byte past it.
    fifo = home / "pipe"
    os.mkfifo(fifo)
    written = {"bytes": 0}

    def feed() -> None:
        with fifo.open("wb") as pipe:
            try:
                for _ in range(READ_LIMIT // MiB + 4):
                    pipe.write(b"x" * MiB)
                    written["bytes"] += MiB
            except BrokenPipeError:
                pass  # the server stopped reading and closed it

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    answer = read(api, "pipe")
    feeder.join(CEILING_S)

    assert_refused_for_size(answer, "pipe")
    assert written["bytes"] < READ_LIMIT + 4 * MiB  # not drained to the end


@pytest.mark.parametrize(
    "data",
    [
        "é€😀".encode() * (CHUNK_BYTES // 3),  # characters across every piece boundary
        b"a" * (CHUNK_BYTES - 1) + b"\xe2\x82" + b'\xff\x00\x1f"\\' + b"\xf0\x9f",  # cut ones
        b"",
    ],
    ids=["multibyte", "invalid", "empty"],
)
def test_the_pieces_are_the_whole_strings_json(data: bytes) -> None:
    # Oracle: Python's one-shot decoding (U+FFFD for bad bytes, as node's Buffer.toString())
    # and json.dumps of the whole string, as the server answered before pieces.
    whole = json.dumps(data.decode("utf-8", "replace"), ensure_ascii=False).encode()
    assert b"".join(FileText(data).json_chunks()) == whole


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
        removal.remove_all(
            Beneath(os.path.realpath(tmp_path)), [str(top), str(tmp_path / "missing")]
        )

    # libuv's words for EACCES (include/uv.h), with rimraf's syscall and the entry's path.
    assert str(failure.value) == f"EACCES: permission denied, unlink '{stuck}'"
    remaining = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert remaining == ["top", "top/a", "top/a/b", "top/a/b/stuck.txt"]
