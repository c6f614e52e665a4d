"""What `course` commands print: a progress bar on stderr while projects finish, then a table
of every project (or JSON lines, or CSV, as each finishes), and the summary line."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cocalc_api.course import ProjectResult, succeeded

Format = Literal["table", "json", "csv"]
CSV_COLUMNS = ("project_id", "student", "exit_code", "total_time", "stdout", "stderr", "error")
_CELL_CHARS = 60
# Wide enough for a row of a name, an id and a cell of output.
_PIPE_WIDTH = 200


@dataclass(frozen=True)
class Row:
    """What the table keeps of a record: its first line of output, not all of it."""

    student: str
    project_id: str
    exit_code: int
    total_time: float
    shown: str
    ok: bool


def first_line(record: Mapping[str, Any]) -> str:
    text = record.get("stdout") if succeeded(record) else record.get("stderr")
    line = next((line for line in str(text or "").splitlines() if line.strip()), "")
    return line if len(line) <= _CELL_CHARS else line[: _CELL_CHARS - 1] + "…"


class Report:
    """Records in, output out: JSON lines and CSV as they come; the table at the end."""

    def __init__(self, output: Format, names: Mapping[str, str], out: TextIO | None = None) -> None:
        self._output = output
        self._names = names
        self._out = sys.stdout if out is None else out
        self._rows: list[Row] = []
        self.failed = 0
        self.total = 0
        self._csv = csv.writer(self._out) if output == "csv" else None
        if self._csv is not None:
            self._csv.writerow(CSV_COLUMNS)

    def add(self, record: ProjectResult, *, earlier: bool = False) -> None:
        """One project's record (`earlier`: from the results file of a resumed run, counted
        and shown in the table but not printed again as a line)."""
        self.total += 1
        ok = succeeded(record)
        self.failed += not ok
        student = self._names.get(record["project_id"], "")
        if self._output == "table":
            self._rows.append(
                Row(
                    student,
                    record["project_id"],
                    record["exit_code"],
                    record["total_time"],
                    first_line(record),
                    ok,
                )
            )
        elif earlier:
            return
        elif self._output == "json":
            self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._out.flush()
        elif self._csv is not None:
            self._csv.writerow(
                [student if c == "student" else record.get(c, "") for c in CSV_COLUMNS]
            )
            self._out.flush()

    def finish(self, interrupted: bool) -> None:
        if self._output == "table" and self._rows:
            table = Table(show_edge=False, pad_edge=False)
            for column in ("student", "project", "exit", "time (s)", "output"):
                table.add_column(column, no_wrap=True, overflow="ellipsis")
            for row in sorted(self._rows, key=lambda r: (r.ok, r.student, r.project_id)):
                style = None if row.ok else "red"
                table.add_row(
                    row.student,
                    row.project_id,
                    str(row.exit_code),
                    f"{row.total_time:.1f}",
                    row.shown,
                    style=style,
                )
            console = Console(file=self._out)
            if not console.is_terminal:  # a file or a pipe: whole rows, not 80 columns
                console = Console(file=self._out, width=_PIPE_WIDTH)
            console.print(table)
        summary = (
            f"{self.total} projects: {self.total - self.failed} succeeded, {self.failed} failed"
        )
        if interrupted:
            summary += "; interrupted, the others did not run"
        print(summary, file=self._out if self._output == "table" else sys.stderr, flush=True)


class ProgressBar:
    """A bar on stderr while the run goes (only on a terminal, unless told not to)."""

    def __init__(self, total: int, show: bool, label: str) -> None:
        console = Console(stderr=True)
        self._progress: Progress | None = None
        if show and console.is_terminal:
            self._progress = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._task = self._progress.add_task(label, total=total, failed=0)
            self._failed = 0
            self._progress.start()

    def advance(self, record: ProjectResult) -> None:
        if self._progress is not None:
            self._failed += not succeeded(record)
            self._progress.update(self._task, advance=1, failed=self._failed)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
