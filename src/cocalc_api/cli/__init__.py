"""`cocalc-project`: the project API on the command line (the `cli` extra: click, rich).

Every method of the spec is a subcommand, built when the command runs from the method table
(`cocalc_api_generated._runtime.catalog()`): `cocalc-project system listing --path .`. Short
forms cover the everyday work: `exec`, `jupyter`, `ping` and `jobs`. See docs/cli.md.

Exit codes (also in `cocalc-project --help`): `exec`, `jobs wait`, `jobs follow` and `jobs run`
exit with the command's own exit code; otherwise 0 on success and the codes below on errors.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cocalc_api.cli._exit_codes import EXIT_CODES, EXIT_USAGE, PROG

__all__ = ["EXIT_CODES", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default sys.argv[1:]); returns the exit code."""
    try:
        from cocalc_api.cli._app import run
    except ImportError as error:
        if error.name not in ("click", "rich"):
            raise
        print(
            f"{PROG}: the command line needs the 'cli' extra: pip install 'cocalc-sdk[cli]' "
            f"({error.name} is missing)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return run(list(sys.argv[1:] if argv is None else argv))


def console_main() -> None:
    """The `cocalc-project` console script."""
    sys.exit(main())
