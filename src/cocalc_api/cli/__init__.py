"""`cocalc-project` and `cocalc-hub`: the project API and the hub API on the command line (the
`cli` extra: click, rich).

Every method of the spec is a subcommand, built when the command runs from the method table
(`cocalc_api_generated._runtime.catalog()`): `cocalc-project system listing --path .`,
`cocalc-hub projects create-project --title X`. Short forms cover the everyday work in a
project: `exec`, `jupyter`, `ping` and `jobs`. See docs/cli.md.

Exit codes (also in `--help`): `exec`, `jobs wait`, `jobs follow` and `jobs run` exit with the
command's own exit code; otherwise 0 on success and the codes below on errors.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cocalc_api.cli._exit_codes import EXIT_CODES, EXIT_USAGE, HUB_PROG, PROG

__all__ = ["EXIT_CODES", "hub_main", "main"]


def _needs_the_extra(prog: str, error: ImportError) -> int:
    if error.name not in ("click", "rich"):
        raise error
    print(
        f"{prog}: the command line needs the 'cli' extra: pip install 'cocalc-sdk[cli]' "
        f"({error.name} is missing)",
        file=sys.stderr,
    )
    return EXIT_USAGE


def _argv(argv: Sequence[str] | None) -> list[str]:
    return list(sys.argv[1:] if argv is None else argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `cocalc-project` with `argv` (default sys.argv[1:]); returns the exit code."""
    try:
        from cocalc_api.cli._app import run
    except ImportError as error:
        return _needs_the_extra(PROG, error)
    return run(_argv(argv))


def hub_main(argv: Sequence[str] | None = None) -> int:
    """Run `cocalc-hub` with `argv` (default sys.argv[1:]); returns the exit code."""
    try:
        from cocalc_api.cli._app import run
        from cocalc_api.cli._hub import HUB_CLI
    except ImportError as error:
        return _needs_the_extra(HUB_PROG, error)
    return run(_argv(argv), HUB_CLI)


def console_main() -> None:
    """The `cocalc-project` console script."""
    sys.exit(main())


def hub_console_main() -> None:
    """The `cocalc-hub` console script."""
    sys.exit(hub_main())
