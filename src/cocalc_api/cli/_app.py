"""The click application: the root command and its global options, and `run`, which turns
every failure into one line on stderr and its exit code.

click (not typer or cyclopts) because the commands are built at run time from data: click
builds commands from `Option`/`Argument` objects directly, while typer and cyclopts derive them
from function signatures, which would have to be synthesised per method.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import click

from cocalc_api import CocalcError, __version__
from cocalc_api.cli._config import Config
from cocalc_api.cli._course_commands import course_group
from cocalc_api.cli._errors import CliError, exit_code_for, one_line
from cocalc_api.cli._exit_codes import (
    EXIT_CODES,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
)
from cocalc_api.cli._job_commands import jobs_group
from cocalc_api.cli._methods import AliasGroup, namespace_groups
from cocalc_api.cli._options import Method
from cocalc_api.cli._short_forms import exec_command, jupyter_command, ping_command
from cocalc_api.safety import redact
from cocalc_api_generated._runtime import catalog

ROOT_HELP = """Call the CoCalc project API from the shell.

Configured by COCALC_API_KEY, COCALC_HOST (default https://cocalc.com) and COCALC_PROJECT_ID,
or the options below. Every method of the API is a subcommand (`system listing --path .`);
the short forms cover everyday work. Results print as text, or as JSON with --json.
"""


def _exit_codes_help() -> str:
    rows = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return (
        "\b\nExit codes (exec and jobs wait/follow/run exit with the command's own code):\n" + rows
    )


class RootGroup(AliasGroup):
    """Lists the short forms, then every method of the API under "API methods"."""

    methods: list[Method]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_commands(ctx, formatter)
        rows = [
            (f"{m['namespace']} {m['python'].replace('_', '-')}", m["summary"])
            for m in self.methods
        ]
        with formatter.section("API methods"):
            formatter.write_dl(rows)


def build(methods: list[Method] | None = None) -> click.Group:
    """The whole command line, from the catalog (the spec's method table)."""
    if methods is None:
        methods = list(catalog()["methods"])

    def root(
        api_key: str | None,
        host: str | None,
        project_id: str | None,
        timeout: float | None,
        output_json: bool,
        progress: bool,
    ) -> None:
        click.get_current_context().obj = Config(
            api_key, host, project_id, timeout, output_json, progress
        )

    group = RootGroup(
        PROG,
        params=[
            click.Option(
                ["--api-key"],
                metavar="KEY",
                help="API key [env: COCALC_API_KEY]; prefer the variable, since others on the machine can read a command line.",
            ),
            click.Option(
                ["--host"],
                metavar="URL",
                help="CoCalc server [env: COCALC_HOST; default: https://cocalc.com].",
            ),
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
            click.Option(["--json", "output_json"], is_flag=True, help="Print results as JSON."),
            click.Option(
                ["--progress/--no-progress"],
                default=True,
                help="Progress on stderr while `jobs wait` waits (default: on).",
            ),
            click.Option(
                ["--version"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=_print_version(__version__),
                help="Print the version and exit.",
            ),
        ],
        callback=root,
        help=ROOT_HELP,
        epilog=_exit_codes_help(),
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    group.methods = methods
    for command in (
        exec_command(methods),
        jupyter_command(methods),
        ping_command(),
        jobs_group(methods),
        course_group,
    ):
        group.add_command(command)
    for namespace in namespace_groups(methods):
        group.add_command(namespace)
    return group


def _print_version(version: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            click.echo(f"{PROG} (cocalc-sdk) {version}")
            ctx.exit(0)

    return callback


def _secrets(argv: list[str]) -> list[str]:
    found = [os.environ.get("COCALC_API_KEY", "")]
    for i, arg in enumerate(argv):
        if arg == "--api-key" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith("--api-key="):
            found.append(arg.split("=", 1)[1])
    return [secret for secret in found if secret]


def _fail(message: str, secrets: list[str]) -> None:
    print(f"{PROG}: {redact(message, secrets)}", file=sys.stderr, flush=True)


def run(argv: list[str]) -> int:
    """Parse and run `argv`; every failure becomes one line on stderr and its exit code."""
    secrets = _secrets(argv)
    try:
        result = build().main(args=argv, prog_name=PROG, standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.exceptions.Abort:
        _fail("interrupted", secrets)
        return EXIT_INTERRUPTED
    except click.ClickException as error:
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            hint = f" (see: {error.ctx.command_path} --help)"
        _fail(error.format_message().replace("\n", " ") + hint, secrets)
        return EXIT_USAGE if isinstance(error, click.UsageError) else EXIT_FAILURE
    except CliError as error:
        _fail(str(error), secrets)
        return error.code
    except CocalcError as error:
        _fail(one_line(error), secrets)
        return exit_code_for(error)
    except KeyboardInterrupt:
        _fail("interrupted", secrets)
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else EXIT_OK
