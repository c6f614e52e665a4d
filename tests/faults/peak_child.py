"""Runs SDK calls in a child process and prints each one's outcome and the memory it took.

`python -m tests.faults.peak_child` reads `{"warm_url": ..., "runs": [...]}` as JSON on stdin;
each run is `{"label", "kind", "url", "target", "settings", "timeout"}` (a kind of
harness.py, a name of its TARGETS, keywords for the project's constructor, its `timeout`).
Every kind first makes one good call to `warm_url`, so that what it imports and sets up once is
not counted. For each run it prints a JSON line: the exception's name and sizes, and `peak_kib`,
the most memory the process held during the call over what it held before: VmHWM after the
call less VmRSS before it, the high-water mark reset first (5 to /proc/self/clear_refs).
"""

from __future__ import annotations

import ctypes
import json
import re
import sys
from typing import Any

from tests.faults.harness import TARGETS, Call, Outcome, run


def _kib(field: str) -> int:
    with open("/proc/self/status") as status:
        found = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    assert found is not None, field
    return int(found[1])


def _release_free_memory() -> None:
    """Return what earlier calls freed to the system, so that this call's use shows in RSS
    (glibc keeps freed memory mapped, and a later allocation would reuse it unseen)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the peak may read low, never high
        pass


def _measured(kind: str, url: str, call: Call, timeout: float | None) -> tuple[Outcome, int]:
    _release_free_memory()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM := VmRSS
    before = _kib("VmRSS")
    outcome = run(kind, url, call, client_timeout=timeout)
    return outcome, _kib("VmHWM") - before


def _report(label: str, kind: str, outcome: Outcome, peak_kib: int) -> dict[str, Any]:
    error = outcome.error
    return {
        "label": label,
        "kind": kind,
        "error": None if error is None else type(error).__name__,
        "str_chars": None if error is None else len(str(error)),
        "message_chars": len(getattr(error, "message", "")),
        "limit": getattr(error, "limit", None),
        "size": getattr(error, "size", None),
        "text": None if error is None else str(error)[:300],
        "result": None if error is not None else repr(outcome.result)[:100],
        "elapsed": round(outcome.elapsed, 3),
        "peak_kib": peak_kib,
    }


def main() -> None:
    spec = json.load(sys.stdin)
    runs = spec["runs"]
    for kind in dict.fromkeys(one["kind"] for one in runs):
        warm = run(kind, spec["warm_url"], Call(TARGETS["ping"]))
        assert warm.error is None, warm.error
    for one in runs:
        call = Call(TARGETS[one["target"]], max_retries=0, settings=one.get("settings", {}))
        outcome, peak = _measured(one["kind"], one["url"], call, one.get("timeout"))
        print(json.dumps(_report(one["label"], one["kind"], outcome, peak)), flush=True)


if __name__ == "__main__":
    main()
