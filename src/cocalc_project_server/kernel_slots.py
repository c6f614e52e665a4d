"""The cap on kernel processes (``--max-kernels``): a start takes a slot, its kernel's end gives
it back, and calls that find every slot taken wait their turn, in order, until just before
their answer is due; then they fail with :class:`KernelCapReached`.

The real service has no such cap: each kernel may use up to 3 GB (its RLIMIT_AS), and a burst
of calls without a pool starts one kernel each.
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextvars import ContextVar

from .errors import ProjectError

# When the call being served must answer by (the event loop's clock), if it has a deadline:
# set by the dispatcher, a little before the envelope timeout, so that an error of one's own
# arrives before the generic timeout text.
ANSWER_BY: ContextVar[float | None] = ContextVar("answer_by", default=None)


class KernelCapReached(ProjectError):
    """Every kernel slot stayed taken until the call had to answer."""


class KernelSlots:
    """At most ``limit`` kernels at once; waiting calls are served first come, first served."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_take(self) -> bool:
        """Take a slot if one is free and nobody waits for one (a refill never jumps the queue)."""
        if self.used < self.limit and not self._waiters:
            self.used += 1
            return True
        return False

    async def take(self) -> None:
        """Take a slot, waiting for one until ``ANSWER_BY``; :class:`KernelCapReached` then."""
        if self.try_take():
            return
        loop = asyncio.get_running_loop()
        answer_by = ANSWER_BY.get()
        turn: asyncio.Future[None] = loop.create_future()
        self._waiters.append(turn)
        timeout = None if answer_by is None else max(0.0, answer_by - loop.time())
        try:
            await asyncio.wait({turn}, timeout=timeout)
        except asyncio.CancelledError:
            if turn.done():
                self.release()  # handed a slot just as the call went away: pass it on
            else:
                turn.cancel()
                self._waiters.remove(turn)
            raise
        if not turn.done():
            turn.cancel()
            self._waiters.remove(turn)
            raise KernelCapReached(
                f"all {self.limit} Jupyter kernels the local server may run at once are busy "
                f"(--max-kernels {self.limit}); none became free before this call had to "
                "answer: try again later, or start the server with a higher --max-kernels"
            )

    def release(self) -> None:
        """A kernel has ended: its slot goes to the longest waiting call, else back to the pool."""
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot changes hands; `used` stays the same
                return
        self.used -= 1

    @property
    def waiting(self) -> bool:
        return bool(self._waiters)
