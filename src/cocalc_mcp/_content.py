"""A tool's result as MCP content blocks: the result as text, and each image in it as an image.

Jupyter output carries an image as a base64 string in a MIME bundle, ``{"data": {"image/png":
"iVBOR..."}}`` (nbformat's display_data and execute_result, as ``system.jupyterExecute`` and a
notebook's outputs return them). A client that shows content blocks gets such an image as an
image block; the text block names it instead of repeating its base64, which for a plot is tens
of kilobytes an agent would otherwise read as text. The structured content keeps everything.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import mcp_types as types

# The image types MCP clients take as images (SVG is XML text: it stays in the text).
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Bundles are this deep at most in the API's results (a notebook's cells, a cell's outputs, an
# output's data); past it, the walk stops and anything deeper is left as text.
MAX_DEPTH = 16


def content_blocks(result: Any) -> list[types.ContentBlock]:
    """The text of `result` (a string as it is, anything else as JSON), then its images."""
    images: list[types.ImageContent] = []
    shown = _images_named(result, images, MAX_DEPTH)
    text = shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)
    return [types.TextContent(text=text), *images]


def _images_named(value: Any, images: list[types.ImageContent], depth: int) -> Any:
    """`value` with each image of a MIME bundle replaced by a note naming its image block."""
    if depth == 0:
        return value
    if isinstance(value, list):
        return [_images_named(item, images, depth - 1) for item in value]
    if not isinstance(value, dict):
        return value
    named: dict[str, Any] = {}
    for key, item in value.items():
        if key == "data" and isinstance(item, dict):
            named[key] = {
                mime: _image_note(mime, data, images)
                if mime in IMAGE_TYPES
                else _images_named(data, images, depth - 2)
                for mime, data in item.items()
            }
        else:
            named[key] = _images_named(item, images, depth - 1)
    return named


def _image_note(mime: str, data: Any, images: list[types.ImageContent]) -> Any:
    """A note for the text in place of the image, which joins `images`; not base64: as it is."""
    if not isinstance(data, str):
        return data
    # Kernels may wrap base64 at 76 columns (MIME style); an image block wants it in one piece.
    packed = "".join(data.split())
    try:
        size = len(base64.b64decode(packed, validate=True))
    except (binascii.Error, ValueError):
        return data
    if size == 0:
        return data
    images.append(types.ImageContent(data=packed, mime_type=mime))
    return f"<{mime}, {size} bytes: image {len(images)} after this text>"
