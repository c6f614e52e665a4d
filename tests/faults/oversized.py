"""Answers too large to hold: a gzip bomb, a huge Content-Length, an endless chunked body.

Each is a behaviour of the hostile server (hostile.py). They send until the client hangs up or
the server closes, so a client that stops reading costs the server nothing more. The bodies are
a ping's result padded with spaces (JSON allows them), so a client without a bound would read
all of it and return `{"now": 1}`.
"""

from __future__ import annotations

import struct
import zlib

from tests.faults.hostile import Behaviour, Exchange, head

MiB = 1 << 20
SPACES = b" " * MiB


def _send_until(exchange: Exchange, piece: bytes, count: int | None) -> None:
    """`piece` `count` times (None: until the client or the server closes)."""
    sent = 0
    while count is None or sent < count:
        if exchange.wait(0):
            return
        exchange.send(piece)
        sent += 1


def gzip_bomb(inflated_mib: int) -> Behaviour:
    """A gzip body of about `inflated_mib` MiB / 1000 that inflates to `inflated_mib` MiB.

    Deflate encodes each further MiB of spaces as the same 1 KiB once the window holds only
    spaces, so the body is that piece repeated: cheap to make at any size. The stream is whole
    (its CRC and length are right), so a client that inflates all of it gets a valid answer.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    start = compressor.compress(b'{"now":1') + compressor.flush(zlib.Z_SYNC_FLUSH)
    first = compressor.compress(SPACES) + compressor.flush(zlib.Z_SYNC_FLUSH)
    repeated = compressor.compress(SPACES) + compressor.flush(zlib.Z_SYNC_FLUSH)
    end = (compressor.compress(b"}") + compressor.flush())[:-8]  # its CRC and length: of 2 MiB
    length = len(start) + len(first) + (inflated_mib - 1) * len(repeated) + len(end) + 8

    def behave(exchange: Exchange) -> None:
        extra = {"Content-Encoding": "gzip"}
        exchange.send(head(200, content_length=length, headers=extra) + start + first)
        batch = repeated * 64  # a send per 64 MiB inflated, not per MiB
        whole, rest = divmod(inflated_mib - 1, 64)
        _send_until(exchange, batch, whole)
        _send_until(exchange, repeated, rest)
        exchange.send(end + _trailer(inflated_mib))  # only for a client that read it all

    return behave


def _trailer(inflated_mib: int) -> bytes:
    """The gzip trailer of `{"now":1`, `inflated_mib` MiB of spaces, `}`: CRC-32 and length."""
    crc = zlib.crc32(b'{"now":1')
    for _ in range(inflated_mib):
        crc = zlib.crc32(SPACES, crc)
    size = len(b'{"now":1}') + inflated_mib * MiB
    return struct.pack("<II", zlib.crc32(b"}", crc), size & 0xFFFFFFFF)


def huge_content_length(declared: int) -> Behaviour:
    """Headers announcing `declared` bytes, then the body until the client hangs up."""

    def behave(exchange: Exchange) -> None:
        exchange.send(head(200, content_length=declared) + b'{"now":1')
        whole, rest = divmod(declared - len(b'{"now":1}'), MiB)
        _send_until(exchange, SPACES, whole)
        exchange.send(b" " * rest + b"}")

    return behave


def endless_chunked(chunk: bytes = SPACES) -> Behaviour:
    """A chunked body that never ends: `chunk` again and again until the client hangs up."""

    def behave(exchange: Exchange) -> None:
        chunked = {"Transfer-Encoding": "chunked"}
        exchange.send(head(200, content_length=None, headers=chunked) + b'8\r\n{"now":1\r\n')
        _send_until(exchange, b"%x\r\n%s\r\n" % (len(chunk), chunk), None)

    return behave


def deeply_nested(depth: int) -> bytes:
    """A JSON array nested `depth` deep: small, and deeper than Python's parser goes."""
    return b"[" * depth + b"]" * depth
