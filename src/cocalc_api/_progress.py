"""What `Job.wait(progress=...)` shows while a job runs: nothing (the default), a live line on
stderr (rich's, when rich is installed and stderr is a terminal; else one plain line per
update), or your own callback, which gets every snapshot.

Nothing here makes a call: the job hands each snapshot it reads to `update`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TextIO

if TYPE_CHECKING:
    from cocalc_api_generated.typeddicts import ExecuteCodeOutputAsync

ProgressCallback = Callable[["ExecuteCodeOutputAsync"], object]


class Display(Protocol):
    """Receives each snapshot of a job while `wait` runs."""

    wants_updates: bool  # False: the waiter need not fetch snapshots just for the display

    def update(self, snapshot: ExecuteCodeOutputAsync) -> None: ...

    def close(self) -> None: ...


class NoDisplay:
    wants_updates = False

    def update(self, snapshot: ExecuteCodeOutputAsync) -> None:
        pass

    def close(self) -> None:
        pass


class CallbackDisplay:
    wants_updates = True

    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback

    def update(self, snapshot: ExecuteCodeOutputAsync) -> None:
        self._callback(snapshot)

    def close(self) -> None:
        pass


def describe(snapshot: ExecuteCodeOutputAsync, command: str | None, width: int = 60) -> str:
    """One line about a job: id, command, state, run time, CPU and memory, last output line."""
    parts = [f"job {snapshot['job_id'][:8]}"]
    if command:
        parts.append(_cut(command, 30))
    status = snapshot["status"]
    if status == "running":
        seconds = max(0.0, time.time() - snapshot["start"] / 1000)
        parts.append(f"running {seconds:.0f} s")
    else:
        elapsed = snapshot.get("elapsed_s")
        took = f" in {elapsed:.1f} s" if elapsed is not None else ""
        parts.append(f"{status}{took}, exit code {snapshot['exit_code']}")
    stats = snapshot.get("stats")
    if stats:
        last = stats[-1]
        parts.append(f"cpu {last['cpu_pct']:.0f}%, {last['mem_rss']:.1f} MiB")
    output = (snapshot["stdout"] or snapshot["stderr"]).rstrip().rsplit("\n", 1)[-1]
    if output and status == "running":
        parts.append(_cut(output, width))
    return " · ".join(parts)


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class TextDisplay:
    """One plain line per snapshot on a stream (a log file or a pipe stays readable)."""

    wants_updates = True

    def __init__(self, command: str | None, stream: TextIO) -> None:
        self._command = command
        self._stream = stream

    def update(self, snapshot: ExecuteCodeOutputAsync) -> None:
        print(describe(snapshot, self._command), file=self._stream, flush=True)

    def close(self) -> None:
        pass


class RichDisplay:
    """A live line with a spinner and the time waited, redrawn in place (rich)."""

    wants_updates = True

    def __init__(self, command: str | None, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._command = command
        self._progress = Progress(
            SpinnerColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(file=stream),
            transient=True,  # replaced by the last line, without the spinner, when done
        )
        self._task = self._progress.add_task("waiting for the job", total=None)
        self._last: str | None = None
        self._progress.start()

    def update(self, snapshot: ExecuteCodeOutputAsync) -> None:
        self._last = describe(snapshot, self._command)
        self._progress.update(self._task, description=self._last)

    def close(self) -> None:
        self._progress.stop()
        if self._last is not None:
            self._progress.console.print(self._last, highlight=False, markup=False)


def open_display(progress: bool | ProgressCallback, command: str | None) -> Display:
    """The display `progress` asks for: False none, True the default one, or a callback."""
    if progress is False:
        return NoDisplay()
    if progress is True:
        return default_display(command, sys.stderr)
    if callable(progress):
        return CallbackDisplay(progress)
    from cocalc_api._exceptions import InvalidArgumentError

    raise InvalidArgumentError(f"progress must be a bool or a callable, got {progress!r}")


def default_display(command: str | None, stream: TextIO) -> Display:
    """rich's live line on a terminal (when rich is installed), plain lines otherwise."""
    if _is_terminal(stream):
        try:
            return RichDisplay(command, stream)
        except ImportError:
            pass
    return TextDisplay(command, stream)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
