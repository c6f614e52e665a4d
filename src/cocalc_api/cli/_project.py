"""`cocalc-project`: the project API's command line (its settings, short forms and help)."""

from __future__ import annotations

import click

from cocalc_api import Project
from cocalc_api.cli._api import CliApi
from cocalc_api.cli._config import Config
from cocalc_api.cli._course_commands import course_group
from cocalc_api.cli._exit_codes import PROG
from cocalc_api.cli._job_commands import jobs_group
from cocalc_api.cli._options import Method
from cocalc_api.cli._short_forms import exec_command, jupyter_command, ping_command
from cocalc_api_generated._runtime import catalog

HELP = """Call the CoCalc project API from the shell.

Configured by COCALC_API_KEY, COCALC_HOST (default https://cocalc.com) and COCALC_PROJECT_ID,
or the options below. Every method of the API is a subcommand (`system listing --path .`);
the short forms cover everyday work. Results print as text, or as JSON with --json.
"""


def _connect(settings: Config) -> Project:
    return Project(
        api_key=settings.api_key,
        host=settings.host,
        project_id=settings.project_id,
        timeout=settings.timeout,
    )


def _options() -> list[click.Parameter]:
    return [
        click.Option(
            ["--project-id"],
            metavar="UUID",
            help="The project [env: COCALC_PROJECT_ID]; optional with a project-specific key.",
        ),
        click.Option(
            ["--timeout"],
            type=click.FloatRange(0, min_open=True),
            metavar="SECONDS",
            help="Limit of each call (Project(timeout=...)); `jobs wait` needs none.",
        ),
        click.Option(
            ["--progress/--no-progress"],
            default=True,
            help="Progress on stderr while `jobs wait` waits (default: on).",
        ),
    ]


def _commands(methods: list[Method]) -> list[click.Command]:
    return [
        exec_command(methods),
        jupyter_command(methods),
        ping_command(),
        jobs_group(methods),
        course_group,
    ]


PROJECT_CLI = CliApi(
    prog=PROG,
    title="project API",
    help=HELP,
    exit_note="exec and jobs wait/follow/run exit with the command's own code",
    methods=lambda: list(catalog()["methods"]),
    connect=_connect,
    options=_options,
    commands=_commands,
)
