"""`cocalc-hub`: the hub API's command line (an account's projects, names, messages and
organizations); every method of the hub table, and `projects get`."""

from __future__ import annotations

import click

from cocalc_api import Hub
from cocalc_api.cli._api import CliApi
from cocalc_api.cli._config import Config
from cocalc_api.cli._exit_codes import HUB_PROG
from cocalc_api.cli._options import Method
from cocalc_api.hub_catalog import catalog_methods

HELP = """Call the CoCalc hub API from the shell: your account's projects, collaborators, names,
messages and organizations.

Configured by COCALC_API_KEY (an account's API key; a project-specific key reaches only its
project, through cocalc-project) and COCALC_HOST (default https://cocalc.com), or the options
below. Every method of the API is a subcommand (`projects create-project --title X`);
`projects get` lists your projects. Results print as text, or as JSON with --json.
"""


def _connect(settings: Config) -> Hub:
    return Hub(api_key=settings.api_key, host=settings.host, timeout=settings.timeout)


def _options() -> list[click.Parameter]:
    return [
        click.Option(
            ["--timeout"],
            type=click.FloatRange(0, min_open=True),
            metavar="SECONDS",
            help="Limit of each call (Hub(timeout=...)).",
        )
    ]


def _commands(methods: list[Method]) -> list[click.Command]:
    return []


HUB_CLI = CliApi(
    prog=HUB_PROG,
    title="hub API",
    help=HELP,
    exit_note="",
    methods=catalog_methods,
    connect=_connect,
    options=_options,
    commands=_commands,
)
