"""A course's projects at once, measured on the local hub (`make bench` rows; alone:
`python -m bench.course [--projects N] [--command CMD]`).

A hub with an N-student demo course (`--demo-course N`, `--max-running-projects 30`); from
cold (no project running), a short command in every student project: `run_in_projects` with
`concurrency=30`, against the same work one project at a time with the reference client
(cocalc-api 0.5.1: a `Project` per project, `system.exec`), each in a process of its own so
that its peak memory is its own. The hub's process count and memory are sampled throughout
(the hub and everything under it: one watchdog per running project, the commands).

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import psutil  # type: ignore[import-untyped, unused-ignore]

import cocalc_api
from cocalc_hub_server.testing import HubProcess, running_hub

REPO = Path(__file__).resolve().parent.parent
REFERENCE_DIR = REPO / ".venv" / "reference-client"
CONCURRENCY = 30
MAX_RUNNING = 30
SHORT_PYTHON = "python3 -c 'print(sum(range(1000)))'"

# Each client runs in a process of its own and prints its wall time, peak RSS, CPU time and
# how many projects ran the command.
OURS = """
import json, resource, sys, time
import cocalc_api
ids, command, key, host = json.load(sys.stdin)
began = time.perf_counter()
results = cocalc_api.run_in_projects(ids, command, api_key=key, host=host, concurrency={c})
wall = time.perf_counter() - began
usage = resource.getrusage(resource.RUSAGE_SELF)
ok = len(results) - len(results.failures)
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({{"wall": wall, "maxrss_kb": usage.ru_maxrss, "cpu": cpu, "ok": ok}}))
"""
REFERENCE = """
import json, resource, sys, time
sys.path.insert(0, {reference!r})
import cocalc_api
ids, command, key, host = json.load(sys.stdin)
ok = 0
began = time.perf_counter()
for project_id in ids:
    project = cocalc_api.Project(api_key=key, host=host, project_id=project_id)
    result = project.system.exec(command=command)
    ok += result.get("exit_code") == 0
    project.client.close()
wall = time.perf_counter() - began
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({{"wall": wall, "maxrss_kb": usage.ru_maxrss, "cpu": cpu, "ok": ok}}))
"""


@dataclass
class HubSampler:
    """The hub's process tree, sampled every 50 ms while a run goes, and the CPU time of the
    hub and of its processes (those it has reaped: every command, every stopped project's
    watchdog) over the run."""

    pid: int
    peak_processes: int = 0
    peak_tree_rss: int = 0
    cpu: float = 0.0
    _cpu_before: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self._cpu_before = _tree_cpu(self.pid)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self.cpu = _tree_cpu(self.pid) - self._cpu_before

    def _sample(self) -> None:
        hub = psutil.Process(self.pid)
        while not self._stop.wait(0.05):
            tree = [hub]
            try:
                tree += hub.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            rss = 0
            for process in tree:
                try:
                    rss += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak_processes = max(self.peak_processes, len(tree))
            self.peak_tree_rss = max(self.peak_tree_rss, rss)


def _tree_cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


def hub_peak_rss_mb(pid: int) -> float:
    """The hub process's own peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def client(script: str, ids: list[str], command: str, site: HubProcess) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps([ids, command, site.api_key, site.url]),
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def stop_all(site: HubProcess, ids: list[str]) -> None:
    """Every project stopped: each measured run starts from cold."""
    with cocalc_api.Hub(api_key=site.api_key, host=site.url) as hub:
        for project_id in ids:
            if hub.projects.state(project_id).get("state") == "running":
                hub.projects.stop(project_id)


def student_projects(site: HubProcess) -> list[str]:
    assert site.demo_course is not None
    course_id, path = site.demo_course.split(":")
    with cocalc_api.Hub(api_key=site.api_key, host=site.url) as hub:
        return cocalc_api.Course(hub, course_id, path).project_ids()


def measure(
    students: int, command: str, with_reference: bool, max_running: int = MAX_RUNNING
) -> list[tuple[str, float, float]]:
    prefix = f"course: {students} projects, {command!r}, {CONCURRENCY} at once:"
    if max_running != MAX_RUNNING:
        prefix += f" (hub running at most {max_running})"
    rows: list[tuple[str, float, float]] = []
    extra = ["--demo-course", str(students), "--max-running-projects", str(max_running)]
    with running_hub(extra_args=extra, startup_timeout=600) as site:
        ids = student_projects(site)
        reference: dict[str, Any] | None = None
        if with_reference:
            with HubSampler(site.pid) as reference_hub:
                reference = client(
                    REFERENCE.format(reference=str(REFERENCE_DIR)), ids, command, site
                )
            stop_all(site, ids)
        with HubSampler(site.pid) as sampler:
            ours = client(OURS.format(c=CONCURRENCY), ids, command, site)
        hub_rss = hub_peak_rss_mb(site.pid)
    if reference is not None:
        base = reference["wall"]
        rows.append((f"{prefix} cocalc-api 0.5.1 one at a time, wall (s)", base, 1.0))
        rows.append((f"{prefix} run_in_projects, wall (s)", ours["wall"], ours["wall"] / base))
        rows.append(
            (f"{prefix} cocalc-api 0.5.1 client peak RSS (MB)", reference["maxrss_kb"] / 1024, 0.0)
        )
        rows.append((f"{prefix} cocalc-api 0.5.1 projects ok", reference["ok"], 0.0))
        rows.append((f"{prefix} cocalc-api 0.5.1 client CPU (s)", reference["cpu"], 0.0))
        rows.append((f"{prefix} hub and its processes' CPU during it (s)", reference_hub.cpu, 0.0))
    else:
        rows.append((f"{prefix} run_in_projects, wall (s)", ours["wall"], 0.0))
    rows += [
        (f"{prefix} run_in_projects projects ok", ours["ok"], 0.0),
        (f"{prefix} run_in_projects client peak RSS (MB)", ours["maxrss_kb"] / 1024, 0.0),
        (f"{prefix} run_in_projects client CPU (s)", ours["cpu"], 0.0),
        (f"{prefix} hub and its processes' CPU during it (s)", sampler.cpu, 0.0),
        (f"{prefix} hub process peak RSS over the whole life (MB)", hub_rss, 0.0),
        (
            f"{prefix} hub + its processes, peak RSS during our run (MB)",
            sampler.peak_tree_rss / 2**20,
            0.0,
        ),
        (f"{prefix} hub + its processes, peak count during our run", sampler.peak_processes, 0.0),
    ]
    return rows


def rows() -> list[tuple[str, float, float]]:
    """The `make bench` rows: 200 projects against the reference client one at a time."""
    return measure(200, SHORT_PYTHON, with_reference=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.course")
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--command", default=SHORT_PYTHON)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--max-running", type=int, default=MAX_RUNNING)
    ns = parser.parse_args()
    started = time.perf_counter()
    rows = measure(ns.projects, ns.command, not ns.no_reference, ns.max_running)
    for label, value, ratio in rows:
        shown = f"{value:>10.2f}" if value < 10 else f"{value:>10.1f}"
        print(f"{label:<100} {shown} {ratio:>6.2f}x" if ratio else f"{label:<100} {shown}")
    print(f"(all of it, hub start and seeding included: {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
