"""How a tool's result becomes MCP content blocks (cocalc_mcp._content): Jupyter's images as
image blocks, named in the text instead of repeated as base64 (docs/mcp.md).

The MIME bundle shape is nbformat's (display_data / execute_result "data"); the images are
built here, so what each block must carry is known without the code under test.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

import pytest
from mcp_types import ImageContent, TextContent

from cocalc_mcp._content import MAX_DEPTH, content_blocks


def tiny_png() -> bytes:
    """A valid 1x1 PNG (PNG spec: signature, IHDR, IDAT, IEND, each chunk with its CRC)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = tiny_png()
PNG_B64 = base64.b64encode(PNG).decode()
NOTE = f"<image/png, {len(PNG)} bytes: image 1 after this text>"


def blocks(result: Any) -> tuple[Any, list[ImageContent]]:
    """The text block (parsed back from JSON) and the image blocks after it."""
    first, *rest = content_blocks(result)
    assert isinstance(first, TextContent)
    assert all(isinstance(block, ImageContent) for block in rest)
    shown = first.text if isinstance(result, str) else json.loads(first.text)
    return shown, [block for block in rest if isinstance(block, ImageContent)]


def test_an_output_image_becomes_an_image_block_named_in_the_text() -> None:
    outputs = [
        {"name": "stdout", "text": "plotting\n"},
        {"data": {"image/png": PNG_B64, "text/plain": "<Figure>"}, "metadata": {}},
    ]
    shown, images = blocks(outputs)
    assert [(i.mime_type, base64.b64decode(i.data)) for i in images] == [("image/png", PNG)]
    assert shown == [
        {"name": "stdout", "text": "plotting\n"},
        {"data": {"image/png": NOTE, "text/plain": "<Figure>"}, "metadata": {}},
    ]
    assert outputs[1]["data"]["image/png"] == PNG_B64  # the result itself is left alone


def test_images_in_order_each_numbered_and_base64_line_breaks_removed() -> None:
    jpeg = b"\xff\xd8\xff\xe0 not decoded, only base64"
    wrapped = "\n".join(PNG_B64[i : i + 20] for i in range(0, len(PNG_B64), 20)) + "\n"
    notebook = {
        "cells": [
            {"outputs": [{"data": {"image/png": wrapped}}]},
            {"outputs": [{"data": {"image/jpeg": base64.b64encode(jpeg).decode()}}]},
        ]
    }
    shown, images = blocks(notebook)
    assert [(i.mime_type, i.data) for i in images] == [
        ("image/png", PNG_B64),
        ("image/jpeg", base64.b64encode(jpeg).decode()),
    ]
    assert shown["cells"][1]["outputs"][0]["data"]["image/jpeg"] == (
        f"<image/jpeg, {len(jpeg)} bytes: image 2 after this text>"
    )


@pytest.mark.parametrize(
    "bundle",
    [
        {"image/svg+xml": "<svg/>"},  # text, not an image type MCP clients render
        {"image/png": "not base64!"},
        {"image/png": ""},
        {"image/png": 42},
        {"text/plain": PNG_B64},
    ],
    ids=["svg", "not-base64", "empty", "not-a-string", "not-an-image-type"],
)
def test_what_is_not_an_image_stays_text(bundle: dict[str, Any]) -> None:
    shown, images = blocks([{"data": bundle}])
    assert images == []
    assert shown == [{"data": bundle}]


def test_only_a_data_object_is_a_bundle() -> None:
    result = {"image/png": PNG_B64, "data": [PNG_B64], "other": {"image/png": PNG_B64}}
    shown, images = blocks(result)
    assert images == [] and shown == result


def test_a_string_result_is_the_text_as_it_is() -> None:
    shown, images = blocks('{"data": 1}\n')
    assert shown == '{"data": 1}\n' and images == []


def test_bundles_deeper_than_the_limit_stay_text() -> None:
    def nested(levels: int) -> Any:
        value: Any = {"data": {"image/png": PNG_B64}}
        for _ in range(levels):
            value = [value]
        return value

    # docs/mcp.md: a bundle nested more than 16 levels deep stays text.
    assert MAX_DEPTH == 16
    assert len(blocks(nested(MAX_DEPTH - 1))[1]) == 1
    shown, images = blocks(nested(MAX_DEPTH))
    assert images == [] and shown == nested(MAX_DEPTH)


@pytest.mark.parametrize("mime", ["image/png", "image/jpeg", "image/gif", "image/webp"])
def test_each_image_type_mcp_clients_take_is_an_image_block(mime: str) -> None:
    # docs/mcp.md: a PNG, JPEG, GIF or WebP in a MIME bundle; the bytes are not decoded.
    data = base64.b64encode(b"image bytes").decode()
    shown, images = blocks({"data": {mime: data}})
    assert [(i.mime_type, i.data) for i in images] == [(mime, data)]
    assert shown == {"data": {mime: f"<{mime}, 11 bytes: image 1 after this text>"}}
