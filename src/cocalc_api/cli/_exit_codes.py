"""The exit codes of `cocalc-project` and `cocalc-hub`, and their names: what scripts can rely
on (docs/cli.md)."""

from __future__ import annotations

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
    (
        EXIT_AUTH,
        (
            "no API key, or the key was refused (AuthenticationError), or its account may not "
            "do this (PermissionDeniedError)"
        ),
    ),
    (EXIT_NOT_FOUND, "unknown method, job or kernel"),
    (EXIT_UNREACHABLE, "the project or host could not be reached, or a proxy answered"),
    (EXIT_BAD_RESPONSE, "the answer does not match the spec (ResponseValidationError)"),
    (EXIT_TIMEOUT, "a time limit ran out (as timeout(1) does)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)

PROG = "cocalc-project"
HUB_PROG = "cocalc-hub"
