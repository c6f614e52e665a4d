"""Process groups that may be gone already: every command and every kernel leads its own."""

from __future__ import annotations

import contextlib
import os
import signal


def signal_group(pgid: int, signum: int = signal.SIGKILL) -> None:
    """Send ``signum`` to the group ``pgid``; one that is gone (or not ours) is left alone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def group_is_empty(pgid: int) -> bool:
    """Whether no process is left in the group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
