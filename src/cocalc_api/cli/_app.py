"""The click application: global options, a subcommand per method of the catalog, short forms.

click (not typer or cyclopts) because the commands are built at run time from data: click
builds commands from `Option`/`Argument` objects directly, while typer and cyclopts derive them
from function signatures, which would have to be synthesised per method.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from cocalc_api._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncJobNotFoundError,
    AuthenticationError,
    ClientClosedError,
    CocalcError,
    ExecError,
    ExecTimeoutError,
    HTTPStatusError,
    InvalidArgumentError,
    ProjectUnavailableError,
    ResponseValidationError,
    ServerTimeoutError,
    UnknownFunctionError,
    UnknownKernelError,
)
from cocalc_api.cli import (
    EXIT_AUTH,
    EXIT_BAD_RESPONSE,
    EXIT_CODES,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    PROG,
)
from cocalc_api.cli._render import jupyter_outputs, to_json, to_text, write

if TYPE_CHECKING:
    from cocalc_api._client import Project
    from cocalc_api._jobs import Job

Method = dict[str, Any]  # one entry of catalog()["methods"]
Param = dict[str, Any]  # one entry of a method's "params"

# Options every leaf command has; a spec parameter of the same name gets `--arg-<name>`.
RESERVED = frozenset({"json", "help"})


class CliError(Exception):
    """A failure of the command line itself, with its exit code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Config:
    """The global options, and the project made from them on first use."""

    api_key: str | None
    host: str | None
    project_id: str | None
    timeout: float | None
    json: bool
    progress: bool
    _project: Project | None = None

    def project(self) -> Project:
        if self._project is None:
            if not (self.api_key or os.environ.get("COCALC_API_KEY")):
                raise CliError(EXIT_AUTH, "no API key: set COCALC_API_KEY (or pass --api-key)")
            from cocalc_api._client import Project

            self._project = Project(
                api_key=self.api_key,
                host=self.host,
                project_id=self.project_id,
                timeout=self.timeout,
            )
            click.get_current_context().call_on_close(self._project.close)
        return self._project


def _config() -> Config:
    config = click.get_current_context().find_object(Config)
    assert config is not None
    return config


def _wants_json(values: Mapping[str, Any]) -> bool:
    return bool(values.get("output_json")) or _config().json


def _json_option() -> click.Option:
    return click.Option(["--json", "output_json"], is_flag=True, help="Print the result as JSON.")


# -- parameters from JSON Schema -----------------------------------------------------------


if TYPE_CHECKING:
    ParamType = click.ParamType[Any]
else:
    ParamType = click.ParamType


class JsonValue(ParamType):
    """A value given as JSON text (objects, arrays, and values of several types)."""

    name = "json"

    def __init__(self, schema: Mapping[str, Any]) -> None:
        types = schema.get("type")
        self._string_ok = types == "string" or (isinstance(types, list) and "string" in types)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as error:
            if self._string_ok:
                return value
            self.fail(f"{value!r} is not valid JSON ({error})", param, ctx)


def _click_type(schema: Mapping[str, Any]) -> ParamType:
    kind = schema.get("type")
    enum = schema.get("enum")
    if enum and all(isinstance(item, str) for item in enum):
        return click.Choice(enum)
    if kind == "string":
        return click.STRING
    if kind == "integer":
        low, low_open = _bound(schema, "minimum", "exclusiveMinimum")
        high, high_open = _bound(schema, "maximum", "exclusiveMaximum")
        if low is None and high is None:
            return click.INT
        return click.IntRange(low, high, min_open=low_open, max_open=high_open)
    if kind == "number":
        low, low_open = _bound(schema, "minimum", "exclusiveMinimum")
        high, high_open = _bound(schema, "maximum", "exclusiveMaximum")
        if low is None and high is None:
            return click.FLOAT
        return click.FloatRange(low, high, min_open=low_open, max_open=high_open)
    return JsonValue(schema)


def _bound(schema: Mapping[str, Any], inclusive: str, exclusive: str) -> tuple[Any, bool]:
    if exclusive in schema:
        return schema[exclusive], True
    return schema.get(inclusive), False


def _option_flag(python: str) -> str:
    dashed = python.replace("_", "-")
    return f"--arg-{dashed}" if python in RESERVED else f"--{dashed}"


def _describe(param: Param) -> str:
    text = (param.get("description") or "").strip()
    schema = param["schema"]
    if schema.get("type") != "boolean" and isinstance(_click_type(schema), JsonValue):
        text += " (as JSON)"
    if param.get("default") is not None:
        text += f" [default: {param['default']}]"
    return text


@dataclass(frozen=True)
class MethodParams:
    """A method's parameters as click parameters, and how to read them back by Python name."""

    params: list[Param]
    overrides: Mapping[str, Any]  # defaults of a short form, by Python name

    def click_params(self) -> list[click.Parameter]:
        made: list[click.Parameter] = []
        for param in self.params:
            python, schema = param["python"], param["schema"]
            flag = _option_flag(python)
            help_text = _describe(param)
            if python in self.overrides:
                help_text += f" [default here: {self.overrides[python]}]"
            if schema.get("type") == "boolean":
                name = flag.removeprefix("--")
                # `--no-cache` (no_cache) pairs with `--cache`, not `--no-no-cache`.
                negative = (
                    "--" + name.removeprefix("no-") if name.startswith("no-") else "--no-" + name
                )
                made.append(
                    click.Option(
                        [f"{flag}/{negative}", f"o_{python}"], default=None, help=help_text
                    )
                )
                continue
            kind = _click_type(schema)
            metavar = "JSON" if isinstance(kind, JsonValue) else None
            if param["kind"] == "positional" and param["required"]:
                # Given either as the argument or as the option: `exec 'ls'`, `exec --command ls`.
                made.append(
                    click.Argument(
                        [f"a_{python}"], required=False, type=kind, metavar=python.upper()
                    )
                )
                made.append(
                    click.Option(
                        [flag, f"o_{python}"],
                        type=kind,
                        metavar=metavar,
                        help=f"{help_text} (or the {python.upper()} argument)",
                    )
                )
            else:
                required = param["required"] and python not in self.overrides
                made.append(
                    click.Option(
                        [flag, f"o_{python}"],
                        type=kind,
                        required=required,
                        metavar=metavar,
                        help=help_text,
                    )
                )
        return made

    def arguments_help(self) -> str:
        """The positional arguments with their descriptions, for the command's help."""
        lines: list[str] = []
        for p in self.params:
            if p["kind"] == "positional" and p["required"] and p["schema"].get("type") != "boolean":
                text = f"{p['python'].upper()}: {(p.get('description') or '').strip()}"
                lines += textwrap.wrap(text, 76, initial_indent="  ", subsequent_indent="    ")
        return "\b\nArguments:\n" + "\n".join(lines) if lines else ""

    def values(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments of the Python method: what was given, by Python name."""
        kwargs: dict[str, Any] = {}
        for param in self.params:
            python = param["python"]
            value = given.get(f"o_{python}")
            positional = given.get(f"a_{python}")
            if positional is not None:
                if value is not None and value != positional:
                    raise click.UsageError(
                        f"{python.upper()} given twice: as the argument and as {_option_flag(python)}"
                    )
                value = positional
            if value is None:
                value = self.overrides.get(python)
            if value is None:
                if param["required"]:
                    raise click.UsageError(
                        f"missing {python.upper()} (the argument or {_option_flag(python)})"
                    )
                continue
            kwargs[python] = value
        return kwargs


def method_params(
    method: Method, *, skip: Iterable[str] = (), overrides: Mapping[str, Any] | None = None
) -> MethodParams:
    left_out = set(skip)
    return MethodParams(
        [param for param in method["params"] if param["python"] not in left_out], overrides or {}
    )


def method_help(method: Method) -> str:
    parts = [method["summary"]]
    if method.get("description"):
        parts.append(method["description"].strip())
    retry = {"safe": "read-only, retried", "idempotent": "idempotent, retried"}.get(method["retry"])
    parts.append(
        f"Calls `{method['wire']}`" + (f" ({retry} on transient failures)." if retry else ".")
    )
    if method.get("returns"):
        parts.append(f"Prints: {method['returns'].strip()}")
    return "\n\n".join(parts)


def call_method(method: Method, kwargs: Mapping[str, Any]) -> Any:
    """Call `project.<namespace>.<python name>(**kwargs)`: the generated, typed method."""
    project = _config().project()
    namespace = getattr(project, method["namespace"])
    return getattr(namespace, method["python"])(**kwargs)


def method_command(method: Method) -> click.Command:
    """The subcommand of one method of the catalog."""
    spec = method_params(method)

    def callback(**given: Any) -> int:
        result = call_method(method, spec.values(given))
        if _wants_json(given):
            write(sys.stdout, to_json(result))
        else:
            write(sys.stdout, to_text(result))
        return EXIT_OK

    arguments = spec.arguments_help()
    return click.Command(
        method["python"].replace("_", "-"),
        params=[*spec.click_params(), _json_option()],
        callback=callback,
        help=method_help(method) + ("\n\n" + arguments if arguments else ""),
        short_help=method["summary"],
    )


class AliasGroup(click.Group):
    """Finds `exec_status` as well as `exec-status`."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or super().get_command(
            ctx, cmd_name.replace("_", "-")
        )


def namespace_groups(methods: list[Method]) -> list[click.Group]:
    groups: dict[str, AliasGroup] = {}
    for method in methods:
        namespace = method["namespace"]
        if namespace not in groups:
            groups[namespace] = AliasGroup(
                namespace,
                help=f"The `{namespace}.*` methods of the project API, one subcommand each.",
            )
        groups[namespace].add_command(method_command(method))
    return list(groups.values())


# -- short forms ---------------------------------------------------------------------------


def _find(methods: list[Method], namespace: str, python: str) -> Method:
    for method in methods:
        if method["namespace"] == namespace and method["python"] == python:
            return method
    raise LookupError(f"the spec has no {namespace}.{python}")


def exec_command(methods: list[Method]) -> click.Command:
    exec_method = _find(methods, "system", "exec")
    spec = method_params(exec_method, skip=("args", "async_call", "err_on_exit"))

    def callback(extra_args: tuple[str, ...], **given: Any) -> int:
        kwargs = spec.values(given)
        if extra_args:
            kwargs["args"] = list(extra_args)
        try:
            result = call_method(exec_method, {**kwargs, "err_on_exit": False})
        except ExecError as error:  # the command could not start
            raise CliError(
                127 if "program not found" in str(error) else error.exit_code or 1, _line(error)
            ) from None
        if _wants_json(given):
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
            _json_option(),
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
    method = _find(methods, "system", "jupyter_execute")
    spec = method_params(method, overrides={"kernel": "python3"})

    def callback(**given: Any) -> int:
        result = call_method(method, spec.values(given))
        if _wants_json(given):
            write(sys.stdout, to_json(result))
            return EXIT_OK
        failed = jupyter_outputs(result, sys.stdout, sys.stderr)
        return EXIT_FAILURE if failed else EXIT_OK

    return click.Command(
        "jupyter",
        params=[*spec.click_params(), _json_option()],
        callback=callback,
        short_help="Run code in a Jupyter kernel; print its output.",
        help=(
            "Run code in a fresh Jupyter kernel (`system jupyter-execute`) and print its output "
            "as a notebook shows it; exit 1 if the code raised.\n\n"
            "`jupyter 'sum(range(100))' --kernel python3`"
        ),
    )


def ping_command() -> click.Command:
    def callback(output_json: bool) -> int:
        result = _config().project().ping()
        if output_json or _config().json:
            write(sys.stdout, to_json(result))
        else:
            from datetime import UTC, datetime

            when = datetime.fromtimestamp(result["now"] / 1000, UTC)
            write(sys.stdout, f"ok: the project answered, its clock reads {when.isoformat()}")
        return EXIT_OK

    return click.Command(
        "ping",
        params=[_json_option()],
        callback=callback,
        short_help="Check that the project answers.",
        help="Check that the project answers (`system ping`); prints its clock.",
    )


# -- jobs ----------------------------------------------------------------------------------


def _job_exit(snapshot: Mapping[str, Any]) -> int:
    return int(snapshot["exit_code"])


def _print_final(snapshot: Mapping[str, Any], as_json: bool) -> int:
    if as_json:
        write(sys.stdout, to_json(snapshot))
    else:
        sys.stdout.write(snapshot["stdout"])
        sys.stdout.flush()
        sys.stderr.write(snapshot["stderr"])
        sys.stderr.flush()
    return _job_exit(snapshot)


def _follow(job: Any, poll: float) -> int:
    last: Mapping[str, Any] | None = None
    for update in job.follow(poll=poll):
        sys.stdout.write(update.stdout)
        sys.stdout.flush()
        sys.stderr.write(update.stderr)
        sys.stderr.flush()
        last = update.snapshot
    assert last is not None
    return _job_exit(last)


def jobs_group(methods: list[Method]) -> click.Group:
    from cocalc_api._jobs import DEFAULT_FOLLOW_POLL_S, DEFAULT_POLL_S, Job

    exec_method = _find(methods, "system", "exec")
    # The job's command gets exec's options; err_on_exit is off unless asked, so that a job
    # reports its command's real exit code and output.
    start_spec = method_params(
        exec_method, skip=("args", "async_call"), overrides={"err_on_exit": False}
    )

    def start_job(extra_args: tuple[str, ...], given: Mapping[str, Any]) -> Job:
        # Through exec itself, so that every option the spec gives exec reaches the job.
        kwargs = start_spec.values(given)
        if extra_args:
            kwargs["args"] = list(extra_args)
        project = _config().project()
        answer = call_method(exec_method, {**kwargs, "async_call": True})
        shown = " ".join([kwargs["command"], *kwargs.get("args", [])])
        return Job(project, answer["job_id"], command=shown, snapshot=answer)

    group = AliasGroup(
        "jobs",
        help=(
            "Async exec jobs: start one, then wait for it, follow its output, or kill it. "
            "Waiting has no time limit unless you give one (--timeout)."
        ),
    )
    start_params = [
        *start_spec.click_params(),
        click.Argument(["extra_args"], nargs=-1, metavar="[-- ARGS...]"),
    ]

    def start(extra_args: tuple[str, ...], **given: Any) -> int:
        job = start_job(extra_args, given)
        write(sys.stdout, to_json(job.snapshot) if _wants_json(given) else job.id)
        return EXIT_OK

    group.add_command(
        click.Command(
            "start",
            params=[*start_params, _json_option()],
            callback=start,
            short_help="Start a command as a job; print its id.",
            help=(
                "Start a command as an async job and print its id (the whole job with --json). "
                "--timeout is the command's own limit (the service's default is 60 s; 0 for "
                "none)."
            ),
        )
    )

    def run_job(extra_args: tuple[str, ...], poll: float, **given: Any) -> int:
        return _follow(start_job(extra_args, given), poll)

    poll_follow = click.Option(
        ["--poll"],
        type=click.FloatRange(0.1),
        default=DEFAULT_FOLLOW_POLL_S,
        show_default=True,
        help="Seconds between looks at the output.",
    )
    group.add_command(
        click.Command(
            "run",
            params=[*start_params, poll_follow],
            callback=run_job,
            short_help="Start a job, print its output as it comes, exit with its code.",
            help=(
                "Start a command as an async job, print its output as it arrives, and exit "
                "with its exit code. For commands longer than `exec` allows."
            ),
        )
    )

    def status(job_id: str, output_json: bool) -> int:
        snapshot = _config().project().jobs.get(job_id).status()
        write(sys.stdout, to_json(snapshot) if output_json or _config().json else to_text(snapshot))
        return EXIT_OK

    group.add_command(
        click.Command(
            "status",
            params=[click.Argument(["job_id"]), _json_option()],
            callback=status,
            short_help="Show a job: status, output so far, exit code.",
            help="Show a job now: status, output so far, exit code and samples.",
        )
    )

    def wait(
        job_id: str, timeout: float | None, poll: float, progress: bool | None, output_json: bool
    ) -> int:
        config = _config()
        show = config.progress if progress is None else progress
        job = config.project().jobs.get(job_id)
        final = job.wait(timeout, poll=poll, progress=show)
        return _print_final(final, output_json or config.json)

    group.add_command(
        click.Command(
            "wait",
            params=[
                click.Argument(["job_id"]),
                click.Option(
                    ["--timeout"],
                    type=click.FloatRange(0, min_open=True),
                    help="Give up after this many seconds (exit 124); the job keeps running. Default: wait until it ends.",
                ),
                click.Option(
                    ["--poll"],
                    type=click.FloatRange(1),
                    default=DEFAULT_POLL_S,
                    show_default=True,
                    help="Longest a single waiting call lasts.",
                ),
                click.Option(
                    ["--progress/--no-progress"],
                    default=None,
                    help="A progress line on stderr (on unless --no-progress).",
                ),
                _json_option(),
            ],
            callback=wait,
            short_help="Wait for a job to end; print its output, exit with its code.",
            help=(
                "Wait until a job ends, however long it takes (or --timeout), showing progress "
                "on stderr; then print its output and exit with its exit code."
            ),
        )
    )

    def follow(job_id: str, poll: float) -> int:
        return _follow(_config().project().jobs.get(job_id), poll)

    group.add_command(
        click.Command(
            "follow",
            params=[click.Argument(["job_id"]), poll_follow],
            callback=follow,
            short_help="Print a job's output as it arrives; exit with its code.",
            help="Print a job's output from its start as it arrives, and exit with its exit code.",
        )
    )

    def kill(job_id: str, signal: int) -> int:
        _config().project().jobs.get(job_id).kill(signal)
        return EXIT_OK

    group.add_command(
        click.Command(
            "kill",
            params=[
                click.Argument(["job_id"]),
                click.Option(
                    ["--signal"],
                    type=click.IntRange(0),
                    default=15,
                    show_default=True,
                    help="The signal number.",
                ),
            ],
            callback=kill,
            short_help="Signal a job's processes (SIGTERM by default).",
            help="Send a signal (SIGTERM by default) to the job's process group.",
        )
    )
    return group


# -- the root ------------------------------------------------------------------------------

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
        from cocalc_api_generated._runtime import catalog

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

    from cocalc_api._version import __version__

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


# -- errors --------------------------------------------------------------------------------


def exit_code_for(error: BaseException) -> int:
    """The documented exit code of an error (docs/cli.md)."""
    from cocalc_api._jobs import JobTimeoutError

    if isinstance(error, JobTimeoutError | ExecTimeoutError | ServerTimeoutError | APITimeoutError):
        return EXIT_TIMEOUT
    if isinstance(error, AuthenticationError):
        return EXIT_AUTH
    if isinstance(error, UnknownFunctionError | AsyncJobNotFoundError | UnknownKernelError):
        return EXIT_NOT_FOUND
    if isinstance(
        error, APIConnectionError | HTTPStatusError | ProjectUnavailableError | ClientClosedError
    ):
        return EXIT_UNREACHABLE
    if isinstance(error, ResponseValidationError):
        return EXIT_BAD_RESPONSE
    if isinstance(error, InvalidArgumentError):
        return EXIT_USAGE
    if isinstance(error, APIError):
        return EXIT_FAILURE
    return EXIT_FAILURE


def _line(error: BaseException) -> str:
    """The error as one line: its public name and message, line breaks shown as \\n."""
    name = type(error).__name__
    text = str(error).strip().replace("\r\n", "\n").replace("\n", "\\n")
    return f"{name}: {text}" if text else name


def _secrets(argv: list[str]) -> list[str]:
    found = [os.environ.get("COCALC_API_KEY", "")]
    for i, arg in enumerate(argv):
        if arg == "--api-key" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith("--api-key="):
            found.append(arg.split("=", 1)[1])
    return [secret for secret in found if secret]


def _fail(message: str, secrets: list[str]) -> None:
    for secret in secrets:
        message = message.replace(secret, "<redacted>")
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


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
        _fail(_line(error), secrets)
        return exit_code_for(error)
    except KeyboardInterrupt:
        _fail("interrupted", secrets)
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else EXIT_OK
