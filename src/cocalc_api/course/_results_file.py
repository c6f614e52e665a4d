"""A run's results as JSON lines, one record per project, appended as each project finishes:
an interrupted run is resumed from the file, and only the projects missing from it run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from cocalc_api.course._records import ProjectResult, succeeded


class ResultsFile:
    """`path` as a results file: read what is in it, then append (and flush) record by record.

    A line that is not a whole record (the process was killed while writing it) is ignored:
    its project runs again. A project listed twice counts by its last record."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._out: IO[str] | None = None

    def records(self) -> Iterator[ProjectResult]:
        """The records in the file, in order (nothing if there is no file yet)."""
        try:
            stream = self.path.open(encoding="utf-8")
        except FileNotFoundError:
            return
        with stream:
            for line in stream:
                record = _record(line)
                if record is not None:
                    yield record

    def latest(self) -> dict[str, ProjectResult]:
        """The last record of each project in the file."""
        return {record["project_id"]: record for record in self.records()}

    def done(self, *, rerun_failed: bool = False) -> set[str]:
        """The projects a resumed run leaves out: every one with a record, or with
        `rerun_failed` only those whose last record succeeded."""
        return {
            project_id
            for project_id, record in self.latest().items()
            if not rerun_failed or succeeded(record)
        }

    def append(self, record: ProjectResult) -> None:
        if self._out is None:
            self._out = self._open_for_append()
        self._out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._out.flush()

    def _open_for_append(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A last line cut off by a kill: end it, so that the next record is a line of its own.
        cut_off = False
        try:
            with self.path.open("rb") as existing:
                if existing.seek(0, os.SEEK_END) > 0:
                    existing.seek(-1, os.SEEK_END)
                    cut_off = existing.read(1) != b"\n"
        except FileNotFoundError:
            pass
        out = self.path.open("a", encoding="utf-8")
        if cut_off:
            out.write("\n")
        return out

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _record(line: str) -> ProjectResult | None:
    try:
        value: Any = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("project_id"), str):
        return None
    if not isinstance(value.get("exit_code"), int):
        return None
    record: ProjectResult = value  # type: ignore[assignment]  # checked above, as far as needed
    return record
