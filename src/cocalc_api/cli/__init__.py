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

__all__ = ["EXIT_CODES", "main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_UNREACHABLE = 5
EXIT_BAD_RESPONSE = 6
EXIT_TIMEOUT = 124
EXIT_INTERRUPTED = 130

# What scripts can rely on; printed by --help and docs/cli.md.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (EXIT_FAILURE, "the service reported an error (APIError), or a job ended as failed"),
    (EXIT_USAGE, "bad command line or arguments (nothing was sent)"),
    (EXIT_AUTH, "no API key, or the key was refused (AuthenticationError)"),
    (EXIT_NOT_FOUND, "unknown method, job or kernel"),
    (EXIT_UNREACHABLE, "the project or host could not be reached, or a proxy answered"),
    (EXIT_BAD_RESPONSE, "the answer does not match the spec (ResponseValidationError)"),
    (EXIT_TIMEOUT, "a time limit ran out (as timeout(1) does)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)

PROG = "cocalc-project"


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
