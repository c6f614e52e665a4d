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

import inspect
import os
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from typing import ParamSpec, TypedDict, Unpack

from cocalc_api.course._drive import RunResults, collect, drive
from cocalc_api.course._engine import RunSettings, run_each
from cocalc_api.course._operations import (
    ReadFile,
    RunCommand,
    RunNotebook,
    WriteFile,
    already_running,
)
from cocalc_api.course._records import ProjectResult

# src/packages/frontend/course/configuration/terminal-command.tsx: the course's "run a
# terminal command in all student projects" box defaults to a 1 minute timeout.
DEFAULT_COMMAND_TIMEOUT_S = 60.0
PathLike = str | os.PathLike[str]
P = ParamSpec("P")


class StartOptions(TypedDict, total=False):
    """How a run reaches and starts the projects (RunSettings has the defaults)."""

    api_key: str | None
    host: str | None
    concurrency: int
    start_timeout: float
    results_file: PathLike | None
    rerun_failed: bool


class RunOptions(StartOptions, total=False):
    """StartOptions, and whether to start each project first (default True)."""

    start: bool


def _settings(
    function: str, options: Mapping[str, object], accepted: type = RunOptions, **fixed: object
) -> RunSettings:
    """A run's settings from the options `function` was given; a keyword it does not take is
    refused in its name, as Python refuses any other."""
    for keyword in options:
        if keyword not in accepted.__optional_keys__:  # type: ignore[attr-defined]
            raise TypeError(f"{function}() got an unexpected keyword argument {keyword!r}")
    return RunSettings(**options, **fixed)  # type: ignore[arg-type]


def _waited(arun: Callable[P, AsyncIterator[ProjectResult]], doc: str) -> Callable[P, RunResults]:
    """The sync twin of `arun`: its parameters, and every record it yields, collected (on an
    event loop of its own inside a running one; Ctrl-C returns the finished ones)."""

    def waited(*args: P.args, **kwargs: P.kwargs) -> RunResults:
        return drive(lambda: collect(arun(*args, **kwargs)))

    waited.__name__ = waited.__qualname__ = arun.__name__.removeprefix("a")
    waited.__doc__ = doc
    # help() and IDEs show arun's parameters with the twin's result.
    signature = inspect.signature(arun).replace(return_annotation=RunResults)
    setattr(waited, "__signature__", signature)  # noqa: B010 - not a declared attribute
    return waited


def arun_in_projects(
    project_ids: Iterable[str],
    command: str,
    *,
    args: list[str] | None = None,
    timeout: float | None = DEFAULT_COMMAND_TIMEOUT_S,
    **run: Unpack[RunOptions],
) -> AsyncIterator[ProjectResult]:
    """Run `command` (with `args`) in every project, at most `concurrency` at a time; yield
    each project's record as it finishes.

    As the web app's "run in all student projects": exec with `err_on_exit` off, so a
    non-zero exit is a result (`exit_code`), and a project that fails (refused, stopped,
    timed out) is a record with `exit_code` -1, the error's text as `stderr` and `error`.

    >>> async for record in cocalc_api.arun_in_projects(ids, "python3 -V"):
    ...     print(record["project_id"], record["exit_code"], record["stdout"])
    """
    settings = _settings("arun_in_projects", run)
    return run_each(project_ids, RunCommand(command, args, timeout), settings, timeout=timeout)


run_in_projects = _waited(
    arun_in_projects,
    """`arun_in_projects`, waited for: every project's record, in the order they finished.
    Ctrl-C stops starting projects and returns the finished ones (`.interrupted` True).

    >>> results = cocalc_api.run_in_projects(ids, "python3 -V")
    >>> [r["project_id"] for r in results.failures]
    """,
)


def astart_projects(
    project_ids: Iterable[str], **run: Unpack[StartOptions]
) -> AsyncIterator[ProjectResult]:
    """Start every project with the hub's `projects.start` and wait until it runs; a
    record per project (stdout "running" once it runs)."""
    return run_each(
        project_ids, already_running, _settings("astart_projects", run, StartOptions, start=True)
    )


start_projects = _waited(
    astart_projects, """`astart_projects`, waited for (e.g. from cron before a class)."""
)


def awrite_file_in_projects(
    project_ids: Iterable[str], path: str, content: str, **run: Unpack[RunOptions]
) -> AsyncIterator[ProjectResult]:
    """Hand out: write `content` to `path` (relative to HOME) in every project."""
    settings = _settings("awrite_file_in_projects", run)
    return run_each(project_ids, WriteFile(path, content), settings)


write_file_in_projects = _waited(awrite_file_in_projects, "`awrite_file_in_projects`, waited for.")


def aread_file_from_projects(
    project_ids: Iterable[str],
    path: str,
    *,
    dest: PathLike | None = None,
    folders: Mapping[str, str] | None = None,
    **run: Unpack[RunOptions],
) -> AsyncIterator[ProjectResult]:
    """Collect: the text of `path` in every project, as each record's `stdout`; or, with
    `dest`, saved as `dest/<folder>/<file name>` (the record's stdout is then that local
    path), the folder being `folders[project_id]` (made safe as a file name) or the
    project id."""
    settings = _settings("aread_file_from_projects", run)
    operation = ReadFile(path, None if dest is None else Path(dest), _folder_namer(folders))
    return run_each(project_ids, operation, settings)


read_file_from_projects = _waited(
    aread_file_from_projects, "`aread_file_from_projects`, waited for."
)


def arun_notebook_in_projects(
    project_ids: Iterable[str],
    path: str,
    *,
    output_path: str | None = None,
    timeout: float | None = DEFAULT_COMMAND_TIMEOUT_S,
    **run: Unpack[RunOptions],
) -> AsyncIterator[ProjectResult]:
    """Run every cell of the notebook at `path` in every project
    (`editor.jupyter_run_notebook`, at most `timeout` seconds in all); with `output_path`,
    save it with its outputs there. A record's stdout is the cells' text output; a cell that
    raised makes exit code 1 and puts its traceback in stderr."""
    settings = _settings("arun_notebook_in_projects", run)
    operation = RunNotebook(path, output_path, timeout)
    return run_each(project_ids, operation, settings, timeout=timeout)


run_notebook_in_projects = _waited(
    arun_notebook_in_projects, "`arun_notebook_in_projects`, waited for."
)


_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def _folder_namer(folders: Mapping[str, str] | None) -> Callable[[str], str]:
    def folder_of(project_id: str) -> str:
        name = (folders or {}).get(project_id) or project_id
        return _UNSAFE.sub("_", name).strip("._") or project_id

    return folder_of
