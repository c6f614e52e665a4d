"""`jobs`: async exec jobs from the shell (start, run, status, wait, follow, kill)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Mapping
from typing import Any

import click

from cocalc_api import Job
from cocalc_api._jobs import DEFAULT_FOLLOW_POLL_S, DEFAULT_POLL_S
from cocalc_api.cli import _killed_jobs as killed_jobs
from cocalc_api.cli._config import config, wants_json
from cocalc_api.cli._exit_codes import EXIT_OK, PROG
from cocalc_api.cli._methods import AliasGroup, call_method, find_method
from cocalc_api.cli._options import Method, json_option, method_params
from cocalc_api.cli._render import to_json, to_text, write


def _job_exit(snapshot: Mapping[str, Any]) -> int:
    if snapshot["status"] == "killed":
        # The handle's report of a job `jobs kill` ended: exit code 128 + the signal.
        code = int(snapshot["exit_code"])
        print(
            f"{PROG}: job {snapshot['job_id']} was killed by signal {_signal_name(code - 128)}",
            file=sys.stderr,
            flush=True,
        )
        return code
    return int(snapshot["exit_code"])


def _signal_name(number: int) -> str:
    try:
        return f"{number} ({signal.Signals(number).name})"
    except ValueError:
        return str(number)


def _job(job_id: str) -> Job:
    """A handle to the job, knowing the signal `jobs kill` sent it, if it did."""
    return config().project().jobs.get(job_id, killed_by=killed_jobs.recall(job_id))


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
    exec_method = find_method(methods, "system", "exec")
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
        project = config().project()
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
        write(sys.stdout, to_json(job.snapshot) if wants_json(given) else job.id)
        return EXIT_OK

    group.add_command(
        click.Command(
            "start",
            params=[*start_params, json_option()],
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
        metavar="SECONDS",
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
        snapshot = _job(job_id).status()
        write(sys.stdout, to_json(snapshot) if output_json or config().json else to_text(snapshot))
        return EXIT_OK

    group.add_command(
        click.Command(
            "status",
            params=[click.Argument(["job_id"]), json_option()],
            callback=status,
            short_help="Show a job: status, output so far, exit code.",
            help="Show a job now: status, output so far, exit code and samples.",
        )
    )

    def wait(
        job_id: str, timeout: float | None, poll: float, progress: bool | None, output_json: bool
    ) -> int:
        settings = config()
        show = settings.progress if progress is None else progress
        final = _job(job_id).wait(timeout, poll=poll, progress=show)
        return _print_final(final, output_json or settings.json)

    group.add_command(
        click.Command(
            "wait",
            params=[
                click.Argument(["job_id"]),
                click.Option(
                    ["--timeout"],
                    type=click.FloatRange(0, min_open=True),
                    metavar="SECONDS",
                    help="Give up after this many seconds (exit 124); the job keeps running. Default: wait until it ends.",
                ),
                click.Option(
                    ["--poll"],
                    type=click.FloatRange(1),
                    metavar="SECONDS",
                    default=DEFAULT_POLL_S,
                    show_default=True,
                    help="Longest a single waiting call lasts.",
                ),
                click.Option(
                    ["--progress/--no-progress"],
                    default=None,
                    help="A progress line on stderr (on unless --no-progress).",
                ),
                json_option(),
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
        return _follow(_job(job_id), poll)

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
        job = config().project().jobs.get(job_id)
        job.kill(signal)
        if job.killed_by is not None:
            killed_jobs.remember(job.id, job.killed_by)
        return EXIT_OK

    group.add_command(
        click.Command(
            "kill",
            params=[
                click.Argument(["job_id"]),
                click.Option(
                    ["--signal"],
                    type=click.IntRange(0),
                    metavar="N",
                    default=15,
                    show_default=True,
                    help="The signal number.",
                ),
            ],
            callback=kill,
            short_help="Signal a job's processes (SIGTERM by default).",
            help=(
                "Send a signal (SIGTERM by default) to the job's process group. `jobs wait`, "
                "`follow` and `status` then report the job as killed, and exit with 128 + the "
                "signal, as a shell does (the service itself reports it as completed, exit 0)."
            ),
        )
    )
    return group
