"""The rate limit on repeated log messages (the server's stderr under a storm of errors)."""

from __future__ import annotations

import errno
import io
import logging
from collections.abc import Iterator

import pytest

from cocalc_project_server.logs import RepeatFilter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def logged(clock: Clock) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RepeatFilter(interval_s=60, clock=clock))
    logger = logging.getLogger(f"test_logs.{id(stream)}")
    logger.propagate = False
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


def emfile() -> OSError:
    return OSError(errno.EMFILE, "Too many open files")


def test_a_storm_of_one_error_shows_once_then_once_a_minute_with_a_count(
    logged: tuple[logging.Logger, io.StringIO], clock: Clock
) -> None:
    logger, stream = logged
    for _ in range(10_000):
        logger.error("socket.accept() out of system resource", exc_info=emfile())
    assert stream.getvalue().count("Too many open files") == 1
    clock.now += 61
    logger.error("socket.accept() out of system resource", exc_info=emfile())
    lines = stream.getvalue().splitlines()
    assert stream.getvalue().count("Too many open files") == 2
    assert "[9999 more like this in the last 61 s not shown]" in stream.getvalue()
    assert lines[0] == "socket.accept() out of system resource"


def test_different_messages_or_errors_are_not_held_back(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    logger.warning("connection limit (%d) reached", 5)
    logger.warning("connection limit (%d) reached", 6)  # same template: held back
    logger.warning("something else")
    logger.error("call failed", exc_info=emfile())
    logger.error("call failed", exc_info=ValueError("other"))
    assert stream.getvalue().splitlines()[0] == "connection limit (5) reached"
    assert "connection limit (6)" not in stream.getvalue()
    assert "something else" in stream.getvalue()
    assert "Too many open files" in stream.getvalue()
    assert "ValueError: other" in stream.getvalue()
