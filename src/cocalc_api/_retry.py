"""Retries of retry-safe calls, timed by tenacity: exponential backoff with jitter, at least
the server's Retry-After, and never past the call's deadline (a retry starts only while time
is left; the transport cuts its attempt to what remains).

Imported only after a call failed in a retryable way, so the happy path never pays for it.
Which failures are retryable is decided by `CallPolicy.retryable`; this module only waits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
    wait_random,
)

from cocalc_api._constants import INITIAL_BACKOFF_S, MAX_BACKOFF_S
from cocalc_api._exceptions import CocalcError

R = TypeVar("R")

logger = logging.getLogger("cocalc_api")

# 0.5, 1, 2, 4, 8 s, each plus up to 0.5 s of jitter. Built from the two waits that tenacity 8
# and 9 both keep stable (9.2 deprecated wait_exponential_jitter's `initial`).
_backoff = wait_exponential(multiplier=INITIAL_BACKOFF_S, max=MAX_BACKOFF_S) + wait_random(
    0, INITIAL_BACKOFF_S
)


def _wait(state: RetryCallState) -> float:
    delay = float(_backoff(state))
    error = state.outcome.exception() if state.outcome is not None else None
    # A Retry-After too long to wait for never gets here: CallPolicy.retryable refuses it.
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return delay


def _announce(retries: int) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        logger.info(
            "retrying in %.2f s (attempt %d of %d) after %s",
            state.upcoming_sleep,
            state.attempt_number + 1,
            retries + 1,
            type(error).__name__,
        )

    return before_sleep


def _options(
    retries: int, retryable: Callable[[BaseException], bool], deadline: float
) -> dict[str, object]:
    # tenacity's clock starts now; the next attempt must start before the deadline.
    return {
        "before_sleep": _announce(retries),
        "stop": stop_after_attempt(retries + 1) | stop_before_delay(deadline - time.monotonic()),
        "wait": _wait,
        "retry": retry_if_exception(retryable),
        "reraise": True,
    }


def _replaying(first: CocalcError) -> Iterator[CocalcError | None]:
    # Attempt 1 already happened (on the fast path); tenacity sees its failure first.
    yield first
    while True:
        yield None


def retry_sync(
    send: Callable[[], R],
    first: CocalcError,
    retries: int,
    retryable: Callable[[BaseException], bool],
    deadline: float,
) -> R:
    earlier = _replaying(first)

    def attempt() -> R:
        failure = next(earlier)
        if failure is not None:
            raise failure
        return send()

    return Retrying(**_options(retries, retryable, deadline))(attempt)  # type: ignore[arg-type]


async def retry_async(
    send: Callable[[], Awaitable[R]],
    first: CocalcError,
    retries: int,
    retryable: Callable[[BaseException], bool],
    deadline: float,
) -> R:
    earlier = _replaying(first)

    async def attempt() -> R:
        failure = next(earlier)
        if failure is not None:
            raise failure
        return await send()

    return await AsyncRetrying(**_options(retries, retryable, deadline))(attempt)  # type: ignore[arg-type]
