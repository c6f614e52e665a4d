"""The everyday commands: `exec`, `jupyter` and `ping`, each a method with friendlier output."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from cocalc_api import ExecError
from cocalc_api.cli._config import config, wants_json
from cocalc_api.cli._errors import CliError, one_line
from cocalc_api.cli._exit_codes import EXIT_FAILURE, EXIT_OK
from cocalc_api.cli._methods import call_method, find_method
from cocalc_api.cli._options import Method, json_option, method_params
from cocalc_api.cli._render import Images, jupyter_outputs, to_json, write

# What a shell exits with for a program it cannot find (bash: "command not found").
EXIT_PROGRAM_NOT_FOUND = 127


def exec_command(methods: list[Method]) -> click.Command:
    exec_method = find_method(methods, "system", "exec")
    spec = method_params(exec_method, skip=("args", "async_call", "err_on_exit"))

    def callback(extra_args: tuple[str, ...], **given: Any) -> int:
        kwargs = spec.values(given)
        if extra_args:
            kwargs["args"] = list(extra_args)
        try:
            result = call_method(exec_method, {**kwargs, "err_on_exit": False})
        except ExecError as error:  # the command could not start
            code = EXIT_PROGRAM_NOT_FOUND if error.program_not_found else error.exit_code or 1
            raise CliError(code, one_line(error)) from None
        if wants_json(given):
            write(sys.stdout, to_json(result))
        else:
            sys.stdout.write(result["stdout"])
            sys.stdout.flush()
            sys.stderr.write(result["stderr"])
            sys.stderr.flush()
        return int(result["exit_code"])

    return click.Command(
        "exec",
        params=[
            *spec.click_params(),
            click.Argument(["extra_args"], nargs=-1, metavar="[-- ARGS...]"),
            json_option(),
        ],
        callback=callback,
        short_help="Run a shell command; exit with its exit code.",
        help=(
            "Run a shell command in the project (`system exec`), print its stdout and stderr, "
            "and exit with its exit code.\n\n"
            "`exec 'ls -l *.py'` runs the line under bash; `exec -- ls -l` runs `ls` with the "
            "arguments after `--`. The command's own limit is --timeout seconds (the service's "
            "default is 60); for longer work use `jobs run`."
        ),
    )


def jupyter_command(methods: list[Method]) -> click.Command:
    method = find_method(methods, "system", "jupyter_execute")
    spec = method_params(method, overrides={"kernel": "python3"})

    def callback(save_images: Path | None, **given: Any) -> int:
        result = call_method(method, spec.values(given))
        if wants_json(given):
            write(sys.stdout, to_json(result))
            return EXIT_OK
        failed = jupyter_outputs(result, sys.stdout, sys.stderr, Images(save_images))
        return EXIT_FAILURE if failed else EXIT_OK

    return click.Command(
        "jupyter",
        params=[
            *spec.click_params(),
            click.Option(
                ["--save-images"],
                type=click.Path(file_okay=False, path_type=Path),
                metavar="DIR",
                help=(
                    "Save image outputs (png, jpeg, gif, svg) in DIR as output-N.EXT; without "
                    "it each is named on stderr as left out."
                ),
            ),
            json_option(),
        ],
        callback=callback,
        short_help="Run code in a Jupyter kernel; print its output.",
        help=(
            "Run code in a fresh Jupyter kernel (`system jupyter-execute`) and print its output "
            "as a notebook shows it (images: --save-images); exit 1 if the code raised. The "
            "kernel runs in a temporary folder unless --path is given.\n\n"
            "`jupyter 'sum(range(100))' --kernel python3`"
        ),
    )


def ping_command() -> click.Command:
    def callback(output_json: bool) -> int:
        result = config().project().ping()
        if output_json or config().json:
            write(sys.stdout, to_json(result))
        else:
            when = datetime.fromtimestamp(result["now"] / 1000, UTC)
            write(sys.stdout, f"ok: the project answered, its clock reads {when.isoformat()}")
        return EXIT_OK

    return click.Command(
        "ping",
        params=[json_option()],
        callback=callback,
        short_help="Check that the project answers.",
        help="Check that the project answers (`system ping`); prints its clock.",
    )
