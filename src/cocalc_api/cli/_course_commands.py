"""`course`: act on every student project of a course at once (run, start, handout, collect,
notebook), from the shell or cron. Exit 0 only if every project succeeded (docs/teaching.md).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import click

from cocalc_api import Hub
from cocalc_api.cli._config import config
from cocalc_api.cli._course_output import Format, ProgressBar, Report
from cocalc_api.cli._errors import CliError
from cocalc_api.cli._exit_codes import EXIT_AUTH, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK
from cocalc_api.course import (
    DEFAULT_COMMAND_TIMEOUT_S,
    DEFAULT_CONCURRENCY,
    Course,
    ProjectResult,
    ResultsFile,
    aread_file_from_projects,
    arun_in_projects,
    arun_notebook_in_projects,
    astart_projects,
    awrite_file_in_projects,
)

# (project ids, student name by project id, the run's keywords) -> the records
Records = Callable[[list[str], dict[str, str], dict[str, Any]], AsyncIterator[ProjectResult]]


def _course_option(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    project_id, sep, path = text.partition(":")
    if not sep or not project_id or not path:
        raise click.BadParameter("give it as PROJECT_ID:PATH, e.g. 1234...:math101.course")
    return project_id, path


def _common(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--course",
            "course",
            metavar="PROJECT_ID:PATH",
            help="The course: its project and the .course file's path in it.",
        ),
        click.option(
            "--project",
            "projects",
            multiple=True,
            metavar="UUID",
            help="A project to act on (repeatable), instead of or beside --course.",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help="Projects at once.",
        ),
        click.option(
            "--resume",
            "resume",
            type=click.Path(dir_okay=False),
            metavar="FILE",
            help="Results as JSON lines in FILE; projects already in it are skipped.",
        ),
        click.option(
            "--rerun-failed",
            is_flag=True,
            help="With --resume: run again the projects whose last result failed.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print each result as a JSON line."),
        click.option("--csv", "as_csv", is_flag=True, help="Print the results as CSV."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _start_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--start/--no-start",
        default=True,
        show_default=True,
        help="Start each project (hub projects.start) and wait until it runs, first.",
    )(command)


def _targets(course: str | None, projects: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """The projects to act on, and the student name of each (from the course file)."""
    given = _course_option(course)
    if given is None and not projects:
        raise click.UsageError("say which projects: --course PROJECT_ID:PATH or --project UUID")
    ids: list[str] = []
    names: dict[str, str] = {}
    if given is not None:
        settings = config()
        if not (settings.api_key or os.environ.get("COCALC_API_KEY")):
            raise CliError(EXIT_AUTH, "no API key: set COCALC_API_KEY (or pass --api-key)")
        with Hub(api_key=settings.api_key, host=settings.host) as hub:
            for student in Course(hub, *given).students():
                if student.project_id:
                    ids.append(student.project_id)
                    names[student.project_id] = student.name
    ids += [p for p in projects if p not in names]
    return ids, names


def _run(records: Records, label: str, given: dict[str, Any], operation: dict[str, Any]) -> int:
    ids, names = _targets(given["course"], given["projects"])
    output: Format = "json" if given["as_json"] or config().json else "table"
    if given["as_csv"]:
        output = "csv"
    report = Report(output, names)
    done: set[str] = set()
    if given["resume"]:
        results = ResultsFile(given["resume"])
        earlier = results.latest()
        done = results.done(rerun_failed=given["rerun_failed"])
        for project_id in ids:
            if project_id in done:
                report.add(earlier[project_id], earlier=True)
    todo = [p for p in ids if p not in done]
    settings = config()
    keywords = {
        "api_key": settings.api_key,
        "host": settings.host,
        "concurrency": given["concurrency"],
        "results_file": given["resume"],
        "rerun_failed": given["rerun_failed"],
        **operation,
    }
    bar = ProgressBar(len(todo), settings.progress, label)
    interrupted = False

    async def consume() -> None:
        nonlocal interrupted
        stream = records(todo, names, keywords)
        try:
            async for record in stream:
                bar.advance(record)
                report.add(record)
        except asyncio.CancelledError:
            interrupted = True
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()

    try:
        asyncio.run(consume())
    finally:
        bar.stop()
    report.finish(interrupted)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILURE if report.failed else EXIT_OK


@click.group("course")
def course_group() -> None:
    """Act on every student project of a course at once (or on --project ids).

    Each command prints a table of the projects (or --json lines, or --csv) and exits 0 only
    if every project succeeded, 1 if any failed, 130 if interrupted (Ctrl-C: the projects
    that finished are in the --resume file, and the next run with it does the rest)."""


@course_group.command("run")
@_common
@_start_option
@click.option(
    "--timeout",
    "command_timeout",
    type=click.FloatRange(0, min_open=True),
    default=DEFAULT_COMMAND_TIMEOUT_S,
    show_default=True,
    metavar="SECONDS",
    help="The command's time limit in each project.",
)
@click.argument("command", nargs=-1, required=True)
def run_command(command: tuple[str, ...], start: bool, command_timeout: float, **given: Any) -> int:
    """Run a command in every project: `course run --course ID:PATH -- python3 -V`.

    One argument with spaces runs under bash; several are a program and its arguments."""
    program, *args = command

    def records(
        ids: list[str], names: dict[str, str], keywords: dict[str, Any]
    ) -> AsyncIterator[ProjectResult]:
        return arun_in_projects(ids, program, args=args or None, **keywords)

    return _run(records, "run", given, {"start": start, "timeout": command_timeout})


@course_group.command("start")
@_common
def start_command(**given: Any) -> int:
    """Start every project and wait until it runs (e.g. from cron before a class)."""

    def records(
        ids: list[str], names: dict[str, str], keywords: dict[str, Any]
    ) -> AsyncIterator[ProjectResult]:
        return astart_projects(ids, **keywords)

    return _run(records, "start", given, {})


@course_group.command("handout")
@_common
@_start_option
@click.argument("local_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--to", "target", metavar="PATH", help="Path in each project (default: its name).")
def handout_command(local_file: Path, target: str | None, start: bool, **given: Any) -> int:
    """Write a local text file into every project."""
    content = local_file.read_text(encoding="utf-8")
    path = target or local_file.name

    def records(
        ids: list[str], names: dict[str, str], keywords: dict[str, Any]
    ) -> AsyncIterator[ProjectResult]:
        return awrite_file_in_projects(ids, path, content, **keywords)

    return _run(records, "handout", given, {"start": start})


@course_group.command("collect")
@_common
@_start_option
@click.argument("path")
@click.option(
    "--to",
    "dest",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Local folder: each project's file goes to DIR/<student>/.",
)
def collect_command(path: str, dest: Path, start: bool, **given: Any) -> int:
    """Copy a text file from every project to a local folder, one sub-folder per student."""

    def records(
        ids: list[str], names: dict[str, str], keywords: dict[str, Any]
    ) -> AsyncIterator[ProjectResult]:
        # The student's name, and the project's id in case two students share a name.
        folders = {pid: f"{name}-{pid[:8]}" for pid, name in names.items()}
        return aread_file_from_projects(ids, path, dest=dest, folders=folders, **keywords)

    return _run(records, "collect", given, {"start": start})


@course_group.command("notebook")
@_common
@_start_option
@click.argument("path")
@click.option("--output", "output_path", metavar="PATH", help="Save the run notebook there.")
@click.option(
    "--timeout",
    "notebook_timeout",
    type=click.FloatRange(0, min_open=True),
    default=DEFAULT_COMMAND_TIMEOUT_S,
    show_default=True,
    metavar="SECONDS",
    help="The whole run's time limit in each project.",
)
def notebook_command(
    path: str, output_path: str | None, notebook_timeout: float, start: bool, **given: Any
) -> int:
    """Run every cell of a notebook in every project (exit code 1 where a cell raised)."""

    def records(
        ids: list[str], names: dict[str, str], keywords: dict[str, Any]
    ) -> AsyncIterator[ProjectResult]:
        return arun_notebook_in_projects(
            ids, path, output_path=output_path, timeout=notebook_timeout, **keywords
        )

    return _run(records, "notebook", given, {"start": start})
