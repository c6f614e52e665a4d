"""The decisions of the per-project loop, without I/O: which projects to run, whether one may
run at all, and how long to wait for it to start. The engine (_engine.py) does the calls."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from cocalc_api._exceptions import CocalcError

# src/packages/frontend/frame-editors/generic/client.ts: start_project(project_id, 60) waits
# up to 60 s for the project to be running (run-in-all-projects.ts calls it so).
DEFAULT_START_TIMEOUT_S = 60.0
# Between two looks at a starting project's state: soon at first, then every few seconds.
STATE_POLL_DELAYS_S = (0.25, 0.5, 1.0, 2.0)
RUNNING = "running"


class DeletedProjectError(CocalcError):
    """The project is deleted: running anything in it would start it again, so it is left
    alone (a deleted student's project, say)."""


class StartTimeoutError(CocalcError, TimeoutError):
    """The project was asked to start but was not running within the time allowed."""


def projects_to_run(project_ids: Iterable[str], done: Collection[str]) -> Iterator[str]:
    """Each project once, in the order given, leaving out those already done (a resumed
    run's). Lazy: a long list is never copied."""
    seen: set[str] = set()
    for project_id in project_ids:
        if not isinstance(project_id, str):
            raise TypeError(f"project ids must be strings, got {type(project_id).__name__}")
        if project_id in seen or project_id in done:
            continue
        seen.add(project_id)
        yield project_id


def deleted_projects(rows: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The deleted ones among the projects `projects.get(all=True)` lists."""
    return frozenset(str(row["project_id"]) for row in rows if row.get("deleted"))


def check_may_run(project_id: str, deleted: Collection[str]) -> None:
    if project_id in deleted:
        raise DeletedProjectError(f"project {project_id} is deleted; left alone")


# The stable states of a project that is not running (src/packages/util/compute-states.ts):
# seen after a start was asked for, the project stopped again (or never started), so the
# start is asked for again ("calling start also deals with possibility that it's in stop
# state", src/packages/frontend/course/student-projects/actions.ts).
STOPPED_STATES = frozenset({"opened", "closed", "archived"})


class Look(NamedTuple):
    """What to do after a look at a starting project's state."""

    running: bool
    delay: float = 0.0  # seconds before the next look
    start_again: bool = False


class StartWait:
    """When to look at a starting project's state again, and when to ask again for the start.

    A project seen stopped after a start was asked for is asked again and looked at at once
    (a site short of room may have stopped it to start another); seen stopped again right
    after that, the next ask waits for the next delay, so a project that will not start costs
    one start and one look per delay, not a loop of them."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._looks = 0
        self._just_asked = True  # the engine looks right after the first start

    def after(self, state: str | None, elapsed: float) -> Look:
        """What to do once the state is `state`, `elapsed` seconds after the first start
        was asked for; StartTimeoutError when the time allowed is over."""
        if state == RUNNING:
            return Look(running=True)
        left = self.timeout - elapsed
        if left <= 0:
            raise StartTimeoutError(
                f"the project was not running {self.timeout:g} s after it was asked to start "
                f"(its state: {state or 'unknown'})"
            )
        if state in STOPPED_STATES and not self._just_asked:
            self._just_asked = True
            return Look(running=False, delay=0.0, start_again=True)
        self._just_asked = False
        delay = STATE_POLL_DELAYS_S[min(self._looks, len(STATE_POLL_DELAYS_S) - 1)]
        self._looks += 1
        return Look(running=False, delay=min(delay, left))
