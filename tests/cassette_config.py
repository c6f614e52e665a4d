"""How cassettes are matched, scrubbed and annotated; shared by the replay tests and the recorder.

Every call goes to the same URL, so requests are told apart by their JSON body. The host is not
matched, so a cassette recorded against the local server replays for any host.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import vcr
from vcr.request import Request

MATCH_ON = ("method", "path", "json_body")


def _json_body(left: Request, right: Request) -> None:
    assert json.loads(left.body or b"null") == json.loads(right.body or b"null"), (
        f"JSON bodies differ: {left.body!r} != {right.body!r}"
    )


def make_vcr(record_mode: str, **extra: Any) -> vcr.VCR:
    recorder = vcr.VCR(
        record_mode=record_mode,
        match_on=MATCH_ON,
        # The key never reaches a cassette.
        filter_headers=["authorization", "cookie", "set-cookie"],
        decode_compressed_response=True,
        **extra,
    )
    recorder.register_matcher("json_body", _json_body)
    return recorder


def annotate(cassette: Path, source: str) -> None:
    """Say where a cassette came from, in a comment vcrpy ignores on load."""
    text = cassette.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("# source:")]
    cassette.write_text(f"# source: {source}\n" + "".join(lines), encoding="utf-8")
