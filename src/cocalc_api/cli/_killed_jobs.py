"""Which jobs `cocalc-project jobs kill` killed, remembered across commands.

The service reports a job ended by a signal as "completed" with exit code 0
(src/packages/backend/execute-code.ts), so a later `jobs wait` in another process would exit
0. `jobs kill` notes the job and its signal here, and `jobs wait`, `follow` and `status` hand
that to the job's handle, which then reports it as killed (exit 128 + the signal).

A small JSON file, private to the user: $XDG_STATE_HOME/cocalc-project/killed-jobs.json
(default ~/.local/state/...), holding the most recent entries for a day (the service forgets a
job an hour after its last use, and keeps at most 100). A file that cannot be read or written
is no worse than none: the job is then reported as the service reports it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

KEEP_S = 24 * 3600
KEEP_ENTRIES = 100


def ledger_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(state) / "cocalc-project" / "killed-jobs.json"


def _entries(path: Path) -> dict[str, list[float]]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {
        job: entry
        for job, entry in found.items()
        if isinstance(entry, list)
        and len(entry) == 2
        and all(isinstance(n, int | float) for n in entry)
    }


def remember(job_id: str, signal: int) -> None:
    """Note that `job_id` was sent `signal`, a signal that ends a process."""
    path = ledger_path()
    now = time.time()
    entries = {job: entry for job, entry in _entries(path).items() if now - entry[1] < KEEP_S}
    entries[job_id] = [signal, now]
    newest = dict(sorted(entries.items(), key=lambda item: item[1][1])[-KEEP_ENTRIES:])
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".killed-jobs.")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(newest, file)
        os.replace(temporary, path)


def recall(job_id: str) -> int | None:
    """The signal `jobs kill` sent `job_id`, if it did (in the last day)."""
    entry = _entries(ledger_path()).get(job_id)
    if entry is None or time.time() - entry[1] >= KEEP_S:
        return None
    return int(entry[0])
