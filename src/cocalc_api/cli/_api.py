"""What one command line is made of: its name, its API's methods, its client, its own options
and commands. `cocalc-project` and `cocalc-hub` are two of these over the same code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from cocalc_api.cli._options import Method

if TYPE_CHECKING:
    from cocalc_api.cli._config import Config


@dataclass(frozen=True)
class CliApi:
    prog: str  # e.g. "cocalc-project"
    title: str  # e.g. "project API", as the namespace groups' help names it
    help: str  # the root command's help
    exit_note: str  # what the exit codes' table says first (commands with codes of their own)
    methods: Callable[[], list[Method]]  # catalog entries, one per method subcommand
    connect: Callable[[Config], Any]  # the client (Project, Hub) made from the settings
    options: Callable[[], list[click.Parameter]]  # root options beyond the shared ones
    commands: Callable[[list[Method]], list[click.Command]]  # short forms, listed first
