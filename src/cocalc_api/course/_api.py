"""Acting on many projects at once: run a command, start them, hand out a file, collect one,
run a notebook. Each `a...` function is an async iterator of records as projects finish; its
sync twin drives the same engine and returns them all (a `RunResults`).

Common keywords: `api_key` and `host` (default COCALC_API_KEY and COCALC_HOST; an account
key, which may reach every project of the run and call the hub's `projects.start`),
`concurrency` (projects at once, 30 as the web app), `start` (ask the hub to start each
project and wait until it runs, up to `start_timeout` seconds, before the operation),
`results_file` (JSON lines: each record appended as it finishes; the projects already in it
are skipped, so an interrupted run resumes) and `rerun_failed` (with `results_file`: run
again the projects whose last record failed).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path

from cocalc_api.course._drive import RunResults, collect, drive
from cocalc_api.course._engine import DEFAULT_CONCURRENCY, RunSettings, run_each
from cocalc_api.course._operations import (
    ReadFile,
    RunCommand,
    RunNotebook,
    WriteFile,
    already_running,
)
from cocalc_api.course._records import ProjectResult
from cocalc_api.course._steps import DEFAULT_START_TIMEOUT_S

# src/packages/frontend/course/configuration/terminal-command.tsx: the course's "run a
# terminal command in all student projects" box defaults to a 1 minute timeout.
DEFAULT_COMMAND_TIMEOUT_S = 60.0
PathLike = str | os.PathLike[str]


def arun_in_projects(
    project_ids: Iterable[str],
    command: str,
    *,
    args: list[str] | None = None,
    timeout: float | None = DEFAULT_COMMAND_TIMEOUT_S,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start: bool = True,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> AsyncIterator[ProjectResult]:
    """Run `command` (with `args`) in every project, at most `concurrency` at a time; yield
    each project's record as it finishes.

    As the web app's "run in all student projects": exec with `err_on_exit` off, so a
    non-zero exit is a result (`exit_code`), and a project that fails (refused, stopped,
    timed out) is a record with `exit_code` -1, the error's text as `stderr` and `error`.

    >>> async for record in cocalc_api.arun_in_projects(ids, "python3 -V"):
    ...     print(record["project_id"], record["exit_code"], record["stdout"])
    """
    settings = RunSettings(
        api_key=api_key,
        host=host,
        concurrency=concurrency,
        start=start,
        start_timeout=start_timeout,
        results_file=results_file,
        rerun_failed=rerun_failed,
    )
    return run_each(project_ids, RunCommand(command, args, timeout), settings, timeout=timeout)


def run_in_projects(
    project_ids: Iterable[str],
    command: str,
    *,
    args: list[str] | None = None,
    timeout: float | None = DEFAULT_COMMAND_TIMEOUT_S,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start: bool = True,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> RunResults:
    """`arun_in_projects`, waited for: every project's record, in the order they finished.
    Ctrl-C stops starting projects and returns the finished ones (`.interrupted` True).

    >>> results = cocalc_api.run_in_projects(ids, "python3 -V")
    >>> [r["project_id"] for r in results.failures]
    """
    return drive(
        lambda: collect(
            arun_in_projects(
                project_ids,
                command,
                args=args,
                timeout=timeout,
                api_key=api_key,
                host=host,
                concurrency=concurrency,
                start=start,
                start_timeout=start_timeout,
                results_file=results_file,
                rerun_failed=rerun_failed,
            )
        )
    )


def astart_projects(
    project_ids: Iterable[str],
    *,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> AsyncIterator[ProjectResult]:
    """Start every project with the hub's `projects.start` and wait until it runs; a
    record per project (stdout "running" once it runs)."""
    settings = RunSettings(
        api_key=api_key,
        host=host,
        concurrency=concurrency,
        start=True,
        start_timeout=start_timeout,
        results_file=results_file,
        rerun_failed=rerun_failed,
    )
    return run_each(project_ids, already_running, settings)


def start_projects(
    project_ids: Iterable[str],
    *,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> RunResults:
    """`astart_projects`, waited for (e.g. from cron before a class)."""
    return drive(
        lambda: collect(
            astart_projects(
                project_ids,
                api_key=api_key,
                host=host,
                concurrency=concurrency,
                start_timeout=start_timeout,
                results_file=results_file,
                rerun_failed=rerun_failed,
            )
        )
    )


def awrite_file_in_projects(
    project_ids: Iterable[str],
    path: str,
    content: str,
    *,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start: bool = True,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> AsyncIterator[ProjectResult]:
    """Hand out: write `content` to `path` (relative to HOME) in every project."""
    settings = RunSettings(
        api_key=api_key,
        host=host,
        concurrency=concurrency,
        start=start,
        start_timeout=start_timeout,
        results_file=results_file,
        rerun_failed=rerun_failed,
    )
    return run_each(project_ids, WriteFile(path, content), settings)


def write_file_in_projects(
    project_ids: Iterable[str],
    path: str,
    content: str,
    *,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start: bool = True,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> RunResults:
    """`awrite_file_in_projects`, waited for."""
    return drive(
        lambda: collect(
            awrite_file_in_projects(
                project_ids,
                path,
                content,
                api_key=api_key,
                host=host,
                concurrency=concurrency,
                start=start,
                start_timeout=start_timeout,
                results_file=results_file,
                rerun_failed=rerun_failed,
            )
        )
    )


def aread_file_from_projects(
    project_ids: Iterable[str],
    path: str,
    *,
    dest: PathLike | None = None,
    folders: Mapping[str, str] | None = None,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start: bool = True,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> AsyncIterator[ProjectResult]:
    """Collect: the text of `path` in every project, as each record's `stdout`; or, with
    `dest`, saved as `dest/<folder>/<file name>` (the record's stdout is then that local
    path), the folder being `folders[project_id]` (made safe as a file name) or the
    project id."""
    settings = RunSettings(
        api_key=api_key,
        host=host,
        concurrency=concurrency,
        start=start,
        start_timeout=start_timeout,
        results_file=results_file,
        rerun_failed=rerun_failed,
    )
    operation = ReadFile(path, None if dest is None else Path(dest), _folder_namer(folders))
    return run_each(project_ids, operation, settings)


def read_file_from_projects(
    project_ids: Iterable[str],
    path: str,
    *,
    dest: PathLike | None = None,
    folders: Mapping[str, str] | None = None,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start: bool = True,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> RunResults:
    """`aread_file_from_projects`, waited for."""
    return drive(
        lambda: collect(
            aread_file_from_projects(
                project_ids,
                path,
                dest=dest,
                folders=folders,
                api_key=api_key,
                host=host,
                concurrency=concurrency,
                start=start,
                start_timeout=start_timeout,
                results_file=results_file,
                rerun_failed=rerun_failed,
            )
        )
    )


def arun_notebook_in_projects(
    project_ids: Iterable[str],
    path: str,
    *,
    output_path: str | None = None,
    timeout: float | None = DEFAULT_COMMAND_TIMEOUT_S,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start: bool = True,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> AsyncIterator[ProjectResult]:
    """Run every cell of the notebook at `path` in every project
    (`editor.jupyter_run_notebook`, at most `timeout` seconds in all); with `output_path`,
    save it with its outputs there. A record's stdout is the cells' text output; a cell that
    raised makes exit code 1 and puts its traceback in stderr."""
    settings = RunSettings(
        api_key=api_key,
        host=host,
        concurrency=concurrency,
        start=start,
        start_timeout=start_timeout,
        results_file=results_file,
        rerun_failed=rerun_failed,
    )
    operation = RunNotebook(path, output_path, timeout)
    return run_each(project_ids, operation, settings, timeout=timeout)


def run_notebook_in_projects(
    project_ids: Iterable[str],
    path: str,
    *,
    output_path: str | None = None,
    timeout: float | None = DEFAULT_COMMAND_TIMEOUT_S,
    api_key: str | None = None,
    host: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    start: bool = True,
    start_timeout: float = DEFAULT_START_TIMEOUT_S,
    results_file: PathLike | None = None,
    rerun_failed: bool = False,
) -> RunResults:
    """`arun_notebook_in_projects`, waited for."""
    return drive(
        lambda: collect(
            arun_notebook_in_projects(
                project_ids,
                path,
                output_path=output_path,
                timeout=timeout,
                api_key=api_key,
                host=host,
                concurrency=concurrency,
                start=start,
                start_timeout=start_timeout,
                results_file=results_file,
                rerun_failed=rerun_failed,
            )
        )
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def _folder_namer(folders: Mapping[str, str] | None) -> Callable[[str], str]:
    def folder_of(project_id: str) -> str:
        name = (folders or {}).get(project_id) or project_id
        return _UNSAFE.sub("_", name).strip("._") or project_id

    return folder_of
