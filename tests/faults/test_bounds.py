"""Answers too large or too deep to hold: refused with a typed error, in bounded memory.

Before `max_response_bytes`, `Project(timeout=5)` held a whole answer: a 1.5 MB gzip body that
inflates to 1.5 GB took the async client to 4.5 GB, a `Content-Length: 1.5e9` answer to
2.9-4.3 GB, an endless chunked one to 1.8-2.6 GB before the deadline (issue "Reliability round
3", item 3).
Here the bound is 1 MiB where it can be, so each fault is small and cheap; the memory a call
takes is measured in a child process (peak_child.py), for every kind of client at once.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cocalc_api
from tests.faults.harness import EVERY_CLIENT, TARGETS, Call, run
from tests.faults.hostile import HostileServer, respond, respond_json
from tests.faults.oversized import (
    MiB,
    deeply_nested,
    endless_chunked,
    gzip_bomb,
    huge_content_length,
)

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BOUND = 64 * MiB  # the default
SMALL_BOUND = {"max_response_bytes": MiB}
# Measured: 0.2-5 MiB for every fault below (with no bound, hundreds of MiB).
PEAK_MARGIN_MIB = 24
# An error text just under the bound: `.message` keeps all of it.
ERROR_CHARS = 1_000_000


def faults() -> dict[str, tuple[Any, dict[str, Any]]]:
    """name -> (the server's behaviour, the project's settings)."""
    return {
        # inflates to 256 MiB from 265 kB
        "gzip bomb": (gzip_bomb(256), SMALL_BOUND),
        # refused from its headers, under the default bound: nothing of the body is read
        "huge Content-Length": (huge_content_length(1_500_000_000), {}),
        "endless chunked": (endless_chunked(), SMALL_BOUND),
        "long error text": (respond_json({"error": "x" * ERROR_CHARS}), SMALL_BOUND),
        "100k-deep nesting": (respond(200, deeply_nested(100_000)), SMALL_BOUND),
    }


EXPECTED = {
    "gzip bomb": "ResponseTooLargeError",
    "huge Content-Length": "ResponseTooLargeError",
    "endless chunked": "ResponseTooLargeError",
    "long error text": "APIError",
    "100k-deep nesting": "ResponseValidationError",
}


def measure_every_client() -> list[dict[str, Any]]:
    """Each fault against each kind of client, in one child process: outcomes and peaks."""
    cases = faults()
    servers = {name: HostileServer() for name in cases}
    warm = HostileServer()
    try:
        runs = []
        for name, (behaviour, settings) in cases.items():
            servers[name].play(behaviour)
            for kind in EVERY_CLIENT:
                url = servers[name].url
                runs.append({"label": name, "kind": kind, "url": url, "target": "ping"})
                runs[-1].update(settings=settings, timeout=5)
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.peak_child"],
            input=json.dumps({"warm_url": warm.url, "runs": runs}),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=50,
            check=False,
        )
    finally:
        for server in (*servers.values(), warm):
            server.close()
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="peak memory is read from Linux's /proc"
)
def test_every_client_refuses_what_it_cannot_hold_in_bounded_memory() -> None:
    outcomes = measure_every_client()

    assert len(outcomes) == len(EXPECTED) * len(EVERY_CLIENT)
    wrong = []
    for outcome in outcomes:
        label, peak_mib = f"{outcome['label']} / {outcome['kind']}", outcome["peak_kib"] / 1024
        print(f"\n[{label}] {outcome['error']} {peak_mib:.1f} MiB: {outcome['text']}")
        expected = EXPECTED[outcome["label"]]
        if outcome["error"] != expected:
            wrong.append(f"{label}: {outcome['error']} ({outcome['text']}), not {expected}")
        if peak_mib > PEAK_MARGIN_MIB:
            wrong.append(f"{label}: took {peak_mib:.1f} MiB")
        if expected == "ResponseTooLargeError":
            text = outcome["text"]
            if "max_response_bytes" not in text or str(outcome["limit"]) not in text:
                wrong.append(f"{label}: the message names no limit or setting: {text}")
        declared = (outcome["limit"], outcome["size"])
        if outcome["label"] == "huge Content-Length" and declared != (DEFAULT_BOUND, 1.5e9):
            wrong.append(f"{label}: limit {outcome['limit']}, size {outcome['size']}")
        # A long error text: all of it in .message, a shortened one in str().
        sizes = (outcome["message_chars"], outcome["str_chars"])
        if outcome["label"] == "long error text" and not (
            sizes[0] == ERROR_CHARS > 5_000 > sizes[1]
        ):
            wrong.append(f"{label}: .message has {sizes[0]} characters, str() {sizes[1]}")
    assert not wrong, "\n".join(wrong)


# -- the bound itself, in this process ---------------------------------------------------------


@pytest.mark.every_client
def test_an_answer_of_exactly_the_bound_is_read_and_one_byte_more_is_not(
    kind: str, server: HostileServer
) -> None:
    body = json.dumps({"now": 1}).encode()
    server.play(respond(200, body), respond(200, body + b" "))
    bounded = Call(TARGETS["ping"], max_retries=0, settings={"max_response_bytes": len(body)})

    assert run(kind, server.url, bounded).result == {"now": 1}
    error = run(kind, server.url, bounded).raised(cocalc_api.ResponseTooLargeError)

    assert (error.limit, error.size) == (len(body), len(body) + 1)
    assert isinstance(error, cocalc_api.ResponseValidationError)


@pytest.mark.every_client
def test_the_bound_counts_bytes_after_decompression(kind: str, server: HostileServer) -> None:
    inflated = b'{"now":1' + b" " * 100_000 + b"}"
    packed = gzip.compress(inflated)  # about 150 bytes
    headers = {"Content-Encoding": "gzip"}
    server.play(respond(200, packed, headers=headers))
    near = {"max_response_bytes": len(inflated)}
    under = {"max_response_bytes": len(inflated) - 1}

    assert run(kind, server.url, Call(TARGETS["ping"], settings=near)).result == {"now": 1}
    outcome = run(kind, server.url, Call(TARGETS["ping"], max_retries=0, settings=under))

    assert outcome.raised(cocalc_api.ResponseTooLargeError).size > len(packed)


def test_with_options_sets_the_bound(server: HostileServer) -> None:
    server.play(respond_json({"now": 1, "pad": "y" * 2000}))
    call = Call(TARGETS["ping"], max_retries=0, options={"max_response_bytes": 1000})

    error = run("sync", server.url, call).raised(cocalc_api.ResponseTooLargeError)

    assert error.limit == 1000
    assert "max_response_bytes=1000" in str(error)


def test_a_proxys_error_page_past_the_bound_is_still_its_status_error(
    kind: str, server: HostileServer
) -> None:
    # A 502 is retried (HTTPStatusError with a retryable status), a ResponseTooLargeError not.
    page = "<p>bad gateway</p>" * 1000
    server.play(respond(502, page, content_type="text/html"))
    call = Call(TARGETS["ping"], max_retries=0, settings={"max_response_bytes": 1000})

    error = run(kind, server.url, call).raised(cocalc_api.HTTPStatusError)

    assert error.status_code == 502
    assert error.body.startswith("<p>bad gateway</p>")
