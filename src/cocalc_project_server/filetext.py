"""``system.readTextFileFromProject``'s file, read with a size limit, and its JSON answer made
piece by piece.

The real project reads the whole file into one string (``readFile(path).toString()``,
src/packages/project/conat/api/system.ts), whatever its size. Here the size is checked with
``fstat`` before anything is read, and no more than the limit plus one byte is ever read (a
file that grows meanwhile, or a special file with no size, is caught by that byte). The answer
is encoded a chunk at a time as it is sent: a control character takes six bytes in JSON
(``\\u0000``), so a whole answer built at once would hold six times the file.
"""

from __future__ import annotations

import codecs
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from .beneath import Beneath
from .errors import ProjectError
from .nodeerrors import fs_error

# Bytes of the file decoded and escaped per piece of the answer (at most 6x this at once;
# smaller pieces cost more thread hops: 64 KiB took twice as long as 256 KiB for 50 MB).
CHUNK_BYTES = 256 * 1024


def too_large(shown: str, limit: int) -> ProjectError:
    """The refusal of a file over ``limit`` bytes, naming the limit and what to do instead."""
    return ProjectError(
        f"file '{shown}' is larger than {limit} bytes, the local server's limit for "
        "readTextFileFromProject (cocalc-project-server --max-read-bytes); read it in parts "
        "with exec (e.g. head -c, tail -c, split) or download it"
    )


def read_limited(beneath: Beneath, target: str, shown: str, limit: int) -> bytes:
    """The bytes of ``target`` (opened inside the project folder only), at most ``limit`` of
    them, else :func:`too_large`; open errors as node's ``readFile(shown)`` words them."""
    try:
        fd = beneath.open(target, os.O_RDONLY)
    except OSError as exc:
        raise fs_error(exc, "open", shown) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            # node opens a folder fine and fails on reading it, with no path in the message.
            raise ProjectError("EISDIR: illegal operation on a directory, read")
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise too_large(shown, limit)
        data = _read_up_to(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise too_large(shown, limit)
    return data


def _read_up_to(fd: int, wanted: int) -> bytes:
    chunks: list[bytes] = []
    left = wanted
    while left > 0:
        chunk = os.read(fd, min(left, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class FileText:
    """A file's bytes, answered as the JSON string of their UTF-8 text (invalid bytes as
    U+FFFD, as node's ``Buffer.toString()``)."""

    data: bytes

    def json_chunks(self) -> Iterator[bytes]:
        """The answer, in pieces: the same bytes as the whole string's compact JSON."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        view = memoryview(self.data)
        yield b'"'
        for start in range(0, len(view), CHUNK_BYTES):
            text = decoder.decode(view[start : start + CHUNK_BYTES])
            if text:
                yield _escaped(text)
        rest = decoder.decode(b"", final=True)
        if rest:
            yield _escaped(rest)
        yield b'"'


def _escaped(text: str) -> bytes:
    # The inside of the JSON string; split on character boundaries, the pieces escape as the
    # whole would. Decoding with "replace" leaves no lone surrogate, so UTF-8 always encodes.
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8")
