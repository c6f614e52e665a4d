"""`make demo`: every example of the reference page through cocalc_api.Project, then a few
calls of the rest of the API (files, a folder listing, a notebook run), then the hub: an
account creates a project, runs a command in it and lists its projects (demo/hub.py), then a
command in every student project of a small course (demo/course.py).

Against the bundled local project server, started on a free loopback port with a fresh key,
or against a real host when COCALC_API_KEY (and optionally COCALC_HOST, COCALC_PROJECT_ID)
is set. Prints each call and its result; exits non-zero if any example fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import pprint
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import cocalc_api
from demo import course
from demo.hub import hub_target, run_hub


@contextlib.contextmanager
def target() -> Iterator[tuple[str, str, str | None, str]]:
    key = os.environ.get("COCALC_API_KEY")
    if key:
        host = os.environ.get("COCALC_HOST", "https://cocalc.com")
        yield host, key, os.environ.get("COCALC_PROJECT_ID"), f"the host {host}"
        return
    from cocalc_project_server.testing import running_server

    with running_server() as server:
        yield (
            server.url,
            server.api_key,
            server.project_id,
            f"a local project server at {server.url}",
        )


def show(code: str, call: Callable[[], Any]) -> Any:
    print(f">>> {code}")
    started = time.perf_counter()
    try:
        result = call()
    except cocalc_api.CocalcError as error:
        print(f"{type(error).__name__}: {error}")
        result = error
    else:
        pprint.pprint(result, width=100, sort_dicts=False)
    print(f"    ({(time.perf_counter() - started) * 1000:.0f} ms)\n")
    return result


def run(project: cocalc_api.Project) -> list[str]:
    failures: list[str] = []

    def expect(ok: bool, what: str) -> None:
        if not ok:
            failures.append(what)

    now = show("project.ping()", project.ping)
    expect(isinstance(now, dict) and isinstance(now.get("now"), int), "ping")
    show("project.system.ping()", project.system.ping)
    info = show("project.system.test()", project.system.test)
    expect(isinstance(info, dict) and "project_id" in info, "test")
    hello = show(
        "project.system.exec(command=\"echo 'hello from cocalc'\")",
        lambda: project.system.exec(command="echo 'hello from cocalc'"),
    )
    expect(isinstance(hello, dict) and hello["stdout"] == "hello from cocalc\n", "exec echo")
    date = show('project.system.exec(command="date")', lambda: project.system.exec(command="date"))
    expect(isinstance(date, dict) and date["exit_code"] == 0 and date["stdout"] != "", "exec date")
    total = show(
        "project.system.jupyter_execute(input='sum(range(100))', kernel='python3')",
        lambda: project.system.jupyter_execute(input="sum(range(100))", kernel="python3"),
    )
    expect(total == [{"data": {"text/plain": "4950"}}], "jupyter sum")
    history = show(
        "project.system.jupyter_execute(history=['a = 100'], input='sum(range(a + 1))', "
        "kernel='python3')",
        lambda: project.system.jupyter_execute(
            history=["a = 100"], input="sum(range(a + 1))", kernel="python3"
        ),
    )
    expect(history == [{"data": {"text/plain": "5050"}}], "jupyter history")
    hello_out = show(
        "project.system.jupyter_execute(input='print(\"Hello\")', kernel='python3')",
        lambda: project.system.jupyter_execute(input='print("Hello")', kernel="python3"),
    )
    expect(hello_out == [{"name": "stdout", "text": "Hello\n"}], "jupyter print")
    kernels = show("project.system.list_jupyter_kernels()", project.system.list_jupyter_kernels)
    expect(isinstance(kernels, list), "list kernels")
    stopped = show(
        "project.system.stop_jupyter_kernel(pid=12345)",
        lambda: project.system.stop_jupyter_kernel(pid=12345),
    )
    expect(isinstance(stopped, dict) and "success" in stopped, "stop kernel")
    failed = show(
        'project.system.exec(command="echo oops >&2; exit 42")',
        lambda: project.system.exec(command="echo oops >&2; exit 42"),
    )
    expect(isinstance(failed, cocalc_api.ExecError) and failed.exit_code == 42, "exec error")
    return failures


NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["2 ** 100"]},
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "source": ["print('from a notebook')"],
        },
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def run_beyond_the_page(project: cocalc_api.Project) -> list[str]:
    """The rest of the API: write and read a file, list a folder, run a notebook."""
    failures: list[str] = []

    def expect(ok: bool, what: str) -> None:
        if not ok:
            failures.append(what)

    folder = f"cocalc-sdk-demo-{int(time.time())}"
    show(
        f'project.system.write_text_file_to_project(path="{folder}/hello.txt", content="hi\\n")',
        lambda: project.system.write_text_file_to_project(
            path=f"{folder}/hello.txt", content="hi\n"
        ),
    )
    text = show(
        f'project.system.read_text_file_from_project(path="{folder}/hello.txt")',
        lambda: project.system.read_text_file_from_project(path=f"{folder}/hello.txt"),
    )
    expect(text == "hi\n", "read a file")
    listing = show(
        f'project.system.listing(path="{folder}")',
        lambda: project.system.listing(path=folder),
    )
    expect(isinstance(listing, list) and [e["name"] for e in listing] == ["hello.txt"], "listing")
    ran = show(
        f'[cell["outputs"] for cell in json.loads(project.editor.jupyter_run_notebook('
        f'path="{folder}", ipynb=...))["cells"]]',
        lambda: [
            cell["outputs"]
            for cell in json.loads(
                project.editor.jupyter_run_notebook(path=folder, ipynb=json.dumps(NOTEBOOK))
            )["cells"]
        ],
    )
    outputs = [{"outputs": cell} for cell in ran] if isinstance(ran, list) else []
    expect(
        bool(outputs)
        and {"data": {"text/plain": str(2**100)}} in outputs[0]["outputs"]
        and {"name": "stdout", "text": "from a notebook\n"} in outputs[1]["outputs"],
        "run a notebook",
    )
    show(
        f'project.system.delete_files(paths=["{folder}"])',
        lambda: project.system.delete_files(paths=[folder]),
    )
    return failures


def main() -> int:
    with target() as (host, key, project_id, where):
        print(f"Running the reference page's examples against {where}\n")
        with cocalc_api.Project(api_key=key, host=host, project_id=project_id) as project:
            failures = run(project)
            if not failures:
                print("Beyond the reference page: files, a listing, a notebook run\n")
                failures = run_beyond_the_page(project)
    if not failures:
        with hub_target() as (host, key, where):
            print(f"The hub API, for an account, against {where}\n")
            with cocalc_api.Hub(api_key=key, host=host) as hub:
                failures = run_hub(hub, show)
    if not failures:
        real_host = (key, host) if os.environ.get("COCALC_API_KEY") else None
        failures = course.main(real_host)
    if failures:
        print(f"FAILED: {', '.join(failures)}")
        return 1
    print("All examples ran.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
