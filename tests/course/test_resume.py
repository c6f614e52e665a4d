"""A run stopped part way and resumed from its results file runs only the missing projects:
by cancelling the async iterator, and by Ctrl-C of `cocalc-project course run --resume`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cocalc_api
from cocalc_api.course import ResultsFile
from tests.course.conftest import STUDENTS, DemoCourse

CLI = Path(sys.executable).parent / "cocalc-project"


def wait_for(name: str) -> str:
    """Python that waits (at most 60 s) until the file `name` is in the project's folder."""
    return (
        "import os, time\n"
        "for _ in range(1200):\n"
        f"    if os.path.exists({name!r}): break\n"
        "    time.sleep(0.05)\n"
        "print('went')\n"
    )


WAIT_FOR_GO = wait_for("go")


async def test_a_cancelled_run_resumes_with_only_the_missing_projects(
    demo: DemoCourse, tmp_path: Path
) -> None:
    results = tmp_path / "results.jsonl"
    key = {"api_key": demo.site.api_key, "host": demo.site.url, "results_file": results}
    first: list[str] = []
    run = cocalc_api.arun_in_projects(demo.student_projects, "true", concurrency=3, **key)
    async with contextlib.aclosing(run):
        async for record in run:
            first.append(record["project_id"])
            if len(first) == 5:
                break  # leaving the loop closes the run: nothing more starts
    assert [r["project_id"] for r in ResultsFile(results).records()] == first
    rest = [
        r["project_id"]
        async for r in cocalc_api.arun_in_projects(demo.student_projects, "true", **key)
    ]
    assert sorted(rest) == sorted(set(demo.student_projects) - set(first))
    assert sorted(ResultsFile(results).latest()) == sorted(demo.student_projects)


def test_a_line_cut_off_by_a_kill_is_run_again(demo: DemoCourse, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    done, cut = demo.student_projects[:2]
    record = {"project_id": done, "stdout": "", "stderr": "", "exit_code": 0, "total_time": 0.1}
    results.write_text(json.dumps(record) + "\n" + json.dumps({**record, "project_id": cut})[:30])
    ran = cocalc_api.run_in_projects(
        [done, cut], "true", api_key=demo.site.api_key, host=demo.site.url, results_file=results
    )
    assert [r["project_id"] for r in ran] == [cut]
    assert sorted(ResultsFile(results).latest()) == sorted([done, cut])


def _lines(path: Path) -> int:
    try:
        return len(path.read_text().splitlines())
    except FileNotFoundError:
        return 0


@contextlib.contextmanager
def _ctrl_c_as_in_a_terminal() -> Iterator[None]:
    """Children started here get SIGINT's default action, as a command run from a terminal
    has. pytest started in the background by a non-interactive shell (`pytest &`) ignores
    SIGINT, an ignored signal stays ignored across fork and exec (a handled one is reset to
    the default), and asyncio.run then leaves it so: the CLI would never see the test's
    Ctrl-C and would run on to the end."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_of_the_cli_then_resume(demo: DemoCourse, tmp_path: Path) -> None:
    ordered = demo.course.project_ids()  # the order the run takes them in
    results = tmp_path / "run.jsonl"
    env = {**os.environ, "COCALC_API_KEY": demo.site.api_key, "COCALC_HOST": demo.site.url}
    argv = [str(CLI), "course", "run", "--course", f"{demo.project_id}:{demo.path}"]
    argv += ["--resume", str(results), "--concurrency", "2", "--json", "--", "python3", "-c"]
    argv.append(WAIT_FOR_GO)
    for project_id in ordered[:3]:
        (demo.home(project_id) / "go").write_text("")
    try:
        with _ctrl_c_as_in_a_terminal():
            run = subprocess.Popen(
                argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        deadline = time.monotonic() + 60
        while _lines(results) < 3 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=60)
        assert run.returncode == 130, err  # interrupted (docs/cli.md exit codes)
        assert "interrupted" in err
        finished = [json.loads(line)["project_id"] for line in out.splitlines()]
        assert sorted(finished) == sorted(ordered[:3])
        assert sorted(ResultsFile(results).latest()) == sorted(ordered[:3])
        for project_id in ordered[3:]:
            (demo.home(project_id) / "go").write_text("")
        resumed = subprocess.run(
            argv, check=False, env=env, capture_output=True, text=True, timeout=120
        )
        assert resumed.returncode == 0, resumed.stderr
        again = [json.loads(line)["project_id"] for line in resumed.stdout.splitlines()]
        assert sorted(again) == sorted(ordered[3:])
        assert f"{STUDENTS} projects: {STUDENTS} succeeded, 0 failed" in resumed.stderr
    finally:
        for project_id in ordered:
            (demo.home(project_id) / "go").unlink(missing_ok=True)


async def test_cancelling_the_sync_apis_run_returns_what_finished(
    demo: DemoCourse, tmp_path: Path
) -> None:
    # What Ctrl-C does to run_in_projects: asyncio.run cancels the coroutine it drives.
    from cocalc_api.course._drive import collect

    ordered = demo.student_projects
    # A file of its own: the commands left waiting are released by it, and no other test
    # waits for it.
    release = "go-cancelled-run"
    (demo.home(ordered[0]) / release).write_text("")
    results = tmp_path / "results.jsonl"
    records = cocalc_api.arun_in_projects(
        ordered[:3],
        "python3",
        args=["-c", wait_for(release)],
        concurrency=1,
        api_key=demo.site.api_key,
        host=demo.site.url,
        results_file=results,
    )
    try:
        run = asyncio.ensure_future(collect(records))
        for _ in range(1200):  # until the first project is done (at most 60 s)
            if _lines(results) or run.done():
                break
            await asyncio.sleep(0.05)
        run.cancel()
        finished = await run
    finally:
        for project_id in ordered[:3]:
            (demo.home(project_id) / release).write_text("")
    assert finished.interrupted and not finished.ok
    assert [r["project_id"] for r in finished] == [ordered[0]]


async def test_no_project_starts_once_the_run_is_cancelled(demo: DemoCourse) -> None:
    # Ctrl-C starts nothing more (the engine's docstring, docs/teaching.md), even when it
    # lands as a worker takes its next project, before the cancellation reaches the workers.
    from cocalc_api.course._drive import collect
    from cocalc_api.course._engine import RunSettings, run_each
    from cocalc_api.course._records import Outcome

    first, second = demo.student_projects[:2]
    run_by = asyncio.current_task()
    assert run_by is not None
    operated: list[str | None] = []

    async def note(project: cocalc_api.AsyncProject) -> Outcome:
        operated.append(project.project_id)
        return Outcome(stdout="", stderr="", exit_code=0)

    def projects() -> Iterator[str]:
        yield first
        run_by.cancel()  # Ctrl-C, just as the worker asks for the next project
        yield second

    settings = RunSettings(
        api_key=demo.site.api_key, host=demo.site.url, concurrency=1, start=False
    )
    finished = await collect(run_each(projects(), note, settings))
    assert finished.interrupted
    assert operated == [first]


async def test_the_sync_api_inside_a_running_event_loop(demo: DemoCourse) -> None:
    # As in a notebook: run_in_projects runs its own loop in a thread.
    results = cocalc_api.run_in_projects(
        demo.student_projects[:2], "true", api_key=demo.site.api_key, host=demo.site.url
    )
    assert results.ok and len(results) == 2
