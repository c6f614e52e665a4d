"""The click application: the root command and its global options, and `run`, which turns
every failure into one line on stderr and its exit code. One for each API (`CliApi`):
`cocalc-project` (the default) and `cocalc-hub`.

click (not typer or cyclopts) because the commands are built at run time from data: click
builds commands from `Option`/`Argument` objects directly, while typer and cyclopts derive them
from function signatures, which would have to be synthesised per method.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from cocalc_api import CocalcError, __version__
from cocalc_api.cli._api import CliApi
from cocalc_api.cli._config import Config
from cocalc_api.cli._errors import CliError, exit_code_for, one_line
from cocalc_api.cli._exit_codes import (
    EXIT_CODES,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from cocalc_api.cli._methods import AliasGroup, namespace_groups
from cocalc_api.cli._options import Method
from cocalc_api.cli._project import PROJECT_CLI
from cocalc_api.cli._wording import CLI
from cocalc_api.safety import redact
from cocalc_api.wording import speaking


def _exit_codes_help(note: str) -> str:
    rows = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return f"\b\nExit codes{f' ({note})' if note else ''}:\n" + rows


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


def build(methods: list[Method] | None = None, api: CliApi = PROJECT_CLI) -> click.Group:
    """The whole command line of `api`, from its catalog (the spec's method table)."""
    if methods is None:
        methods = api.methods()

    def root(api_key: str | None, host: str | None, output_json: bool, **own: Any) -> None:
        click.get_current_context().obj = Config(
            api_key=api_key, host=host, json=output_json, connect=api.connect, **own
        )

    group = RootGroup(
        api.prog,
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
            *api.options(),
            click.Option(["--json", "output_json"], is_flag=True, help="Print results as JSON."),
            click.Option(
                ["--version"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=_print_version(api.prog, __version__),
                help="Print the version and exit.",
            ),
        ],
        callback=root,
        help=api.help,
        epilog=_exit_codes_help(api.exit_note),
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    group.methods = methods
    for command in api.commands(methods):
        group.add_command(command)
    for namespace in namespace_groups(methods, api.title):
        group.add_command(namespace)
    return group


def _print_version(
    prog: str, version: str
) -> Callable[[click.Context, click.Parameter, bool], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            click.echo(f"{prog} (cocalc-sdk) {version}")
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


def run(argv: list[str], api: CliApi = PROJECT_CLI) -> int:
    """Parse and run `argv`; every failure becomes one line on stderr and its exit code."""
    secrets = _secrets(argv)

    def fail(message: str) -> None:
        print(f"{api.prog}: {redact(message, secrets)}", file=sys.stderr, flush=True)

    try:
        with speaking(CLI):  # errors advise in the command line's words
            result = build(api=api).main(args=argv, prog_name=api.prog, standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.exceptions.Abort:
        fail("interrupted")
        return EXIT_INTERRUPTED
    except click.ClickException as error:
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            hint = f" (see: {error.ctx.command_path} --help)"
        fail(error.format_message().replace("\n", " ") + hint)
        return EXIT_USAGE if isinstance(error, click.UsageError) else EXIT_FAILURE
    except CliError as error:
        fail(str(error))
        return error.code
    except CocalcError as error:
        fail(one_line(error))
        return exit_code_for(error)
    except KeyboardInterrupt:
        fail("interrupted")
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else EXIT_OK
