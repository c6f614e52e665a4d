"""Logging to stderr, with a repeated message shown once a minute instead of every time.

Out of file descriptors, asyncio logs ``socket.accept() out of system resource`` with a
traceback for every failed accept, many times per event (CPython gh-151615); uvicorn logs each
failing request. Measured: 78 MB of tracebacks in 12 s. Here the first record of a kind goes
through, like ones within the next minute are counted, and the next one after that says how
many were held back.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

REPEAT_INTERVAL_S = 60.0
# Kinds remembered at most; older ones are forgotten first (their counts are then lost).
_MAX_KINDS = 256

_Kind = tuple[str, int, str, str]


@dataclass
class _Seen:
    shown_at: float
    held_back: int = 0


class RepeatFilter(logging.Filter):
    """Let through one record of a kind per ``interval_s``; a kind is logger, level, the first
    line of the message template and the exception type and text."""

    def __init__(
        self,
        interval_s: float = REPEAT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._interval_s = interval_s
        self._clock = clock
        self._seen: dict[_Kind, _Seen] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        kind = _kind_of(record)
        now = self._clock()
        seen = self._seen.get(kind)
        if seen is not None and now - seen.shown_at < self._interval_s:
            seen.held_back += 1
            return False
        if seen is not None and seen.held_back:
            # No '%' added: the message stays a valid template for record.args.
            record.msg = (
                f"{record.msg} [{seen.held_back} more like this in the last "
                f"{now - seen.shown_at:.0f} s not shown]"
            )
        self._seen.pop(kind, None)
        self._seen[kind] = _Seen(shown_at=now)
        if len(self._seen) > _MAX_KINDS:
            del self._seen[next(iter(self._seen))]
        return True


def _kind_of(record: logging.LogRecord) -> _Kind:
    error = ""
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        error = f"{type(exc).__name__}: {exc}"
    first_line = str(record.msg).partition("\n")[0]
    return (record.name, record.levelno, first_line, error)


def configure_logging(level: str) -> None:
    """Log to stderr at ``level`` (e.g. "warning"), repeated messages rate-limited."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(logging.BASIC_FORMAT))
    handler.addFilter(RepeatFilter())
    logging.basicConfig(level=level.upper(), handlers=[handler])
