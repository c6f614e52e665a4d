"""How our cassettes are matched, scrubbed and annotated; shared by the replay tests and the
recorder. Matching and scrubbing are cocalc_api.testing's, which users get for their own
recordings; only the `# source:` annotation is ours.

Every call goes to the same URL, so requests are told apart by their JSON body. The host is not
matched, so a cassette recorded against the local server replays for any host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vcr

from cocalc_api import testing

MATCH_ON = testing.MATCH_ON


def make_vcr(record_mode: str, **extra: Any) -> vcr.VCR:
    return testing.make_vcr(record_mode, **extra)


def annotate(cassette: Path, source: str) -> None:
    """Say where a cassette came from, in a comment vcrpy ignores on load."""
    text = cassette.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("# source:")]
    cassette.write_text(f"# source: {source}\n" + "".join(lines), encoding="utf-8")
