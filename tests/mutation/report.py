"""The summary of `make mutate`, written into MUTATION.md between its result markers.

Each module's results are kept in tests/mutation/results.json (its counts, every mutant that was
not detected with its diff, the named constants, when it last ran and how long it took), so a
run of some modules (`make mutate MODULES=...`) updates their rows and keeps the others. A run's
own results are read from mutmut's (mutants/**/*.meta) and the constants stage's
(mutants/constants-results.json). tests/mutation/survivors.toml gives the reason each surviving
mutant is equivalent (exact names, or fnmatch patterns for a whole function such as a log line);
a survivor without a reason is listed as such: it is a missing test. The "before" column is
tests/mutation/baseline.json: the counts of each module's first run, written on that run.

    python -m tests.mutation.report [--modules MODULE ...] [--minutes MODULE=N ...]
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MUTANTS = REPO / "mutants"
BASELINE = Path(__file__).with_name("baseline.json")
RECORDS = Path(__file__).with_name("results.json")
REASONS = Path(__file__).with_name("survivors.toml")
SUMMARY = REPO / "MUTATION.md"
BEGIN, END = "<!-- results: written by `make mutate` -->", "<!-- /results -->"

# mutmut's exit codes (mutmut/stats.py status_by_exit_code); a timeout is a detected mutant.
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
STATUS.update({code: "timeout" for code in (36, -24, 24, 152, 255)})
DETECTED = {"killed", "timeout"}
# A reason that starts so explains a survivor that a test could kill, left on purpose: it is
# listed with its reason but still counts against the kill rate.
NOT_EQUIVALENT = "not equivalent"
# The module-level constants behind the mutants an earlier audit saw survive (the margin, the server's 15 s
# default envelope, the milliseconds unit, the Project members a namespace must not shadow).
NAMED = {
    "SERVER_DEFAULT_ENVELOPE_S",
    "DEFAULT_ENVELOPE_TIMEOUT_MS",
    "MIN_MARGIN_S",
    "MAX_MARGIN_S",
    "TIMEOUT_UNITS",
    "PROJECT_MEMBERS",
}


@dataclass
class Mutant:
    name: str
    module: str
    status: str
    diff: str = ""
    reason: str | None = None
    killed_by: str = ""


@dataclass
class Tally:
    total: int = 0
    killed: int = 0
    survived: int = 0
    no_tests: int = 0
    equivalent: int = 0
    unexplained: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        counted = self.total - self.equivalent
        return 100.0 * self.killed / counted if counted else 100.0


def _mutated_paths() -> list[str]:
    with (REPO / "pyproject.toml").open("rb") as handle:
        patterns = tomllib.load(handle)["tool"]["mutmut"]["only_mutate"]
    paths = []
    for root in ("src", "generator"):
        for path in sorted((REPO / root).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if any(fnmatch(relative, pattern) for pattern in patterns):
                paths.append(relative)
    return paths


def _module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".").removeprefix("src.").removesuffix(".__init__")


def _diff(name: str, path: str) -> str:
    """The changed lines of a mutmut mutant, on one line."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        text = get_diff_for_mutant(name, path=path)
    except Exception as error:  # noqa: BLE001 -- a missing diff must not stop the summary
        return f"(no diff: {error})"
    changed = [
        line
        for line in text.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return " / ".join(re.sub(r"\s+", " ", line).strip() for line in changed)


def module_files(module: str) -> list[str]:
    """The mutated file of `module` (a package's own is its __init__.py)."""
    return [path for path in _mutated_paths() if _module(path) == module]


def load(with_diffs: bool, modules: list[str]) -> list[Mutant]:
    """This run's mutants of `modules`, from mutants/."""
    mutants: list[Mutant] = []
    import os

    paths = [path for module in modules for path in module_files(module)]
    cwd = os.getcwd()
    os.chdir(REPO)  # mutmut reads mutants/ relative to the working folder
    try:
        for path in paths:
            meta = MUTANTS / (path + ".meta")
            if not meta.exists():
                continue
            codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
            for name, code in codes.items():
                status = STATUS.get(code, "suspicious" if code is not None else "not checked")
                diff = _diff(name, path) if with_diffs and status not in DETECTED else ""
                mutants.append(Mutant(name, _module(path), status, diff))
    finally:
        os.chdir(cwd)
    constants = MUTANTS / "constants-results.json"
    if constants.exists():
        for entry in json.loads(constants.read_text(encoding="utf-8")):
            if entry["path"] not in paths:
                continue
            status = entry["status"]
            if status.startswith("error"):
                status = "killed"  # pytest could not even start: the mutant broke an import
            diff = f"- {entry['original']} / + {entry['mutated']}"
            mutants.append(
                Mutant(
                    entry["name"],
                    _module(entry["path"]),
                    status,
                    diff,
                    killed_by=entry.get("killed_by", ""),
                )
            )
    return mutants


def _is_named(mutant: Mutant) -> bool:
    return mutant.name.rpartition("__const_")[0].rpartition(".")[2] in NAMED


def record(mutants: list[Mutant], minutes: float | None) -> dict[str, Any]:
    """What results.json keeps of one module's run."""
    kept = [m for m in mutants if m.status not in DETECTED or _is_named(m)]
    return {
        "run": datetime.date.today().isoformat(),
        "minutes": minutes,
        "mutants": len(mutants),
        "detected": sum(m.status in DETECTED for m in mutants),
        "kept": [[m.name, m.status, m.diff, m.killed_by] for m in kept],
    }


def from_record(module: str, entry: dict[str, Any]) -> list[Mutant]:
    """The mutants of a module's record (the detected ones that are not kept, unnamed)."""
    kept = [
        Mutant(name, module, status, diff, killed_by=by) for name, status, diff, by in entry["kept"]
    ]
    unnamed = entry["detected"] - sum(m.status in DETECTED for m in kept)
    return kept + [Mutant("", module, "killed") for _ in range(unnamed)]


def explain(mutants: list[Mutant]) -> None:
    reasons: dict[str, str] = {}
    if REASONS.exists():
        with REASONS.open("rb") as handle:
            for table in tomllib.load(handle).values():
                reasons.update(table)
    for mutant in mutants:
        if mutant.status in DETECTED:
            continue
        for pattern, reason in reasons.items():
            if mutant.name == pattern or fnmatch(mutant.name, pattern):
                mutant.reason = reason
                break


def tally(mutants: list[Mutant]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for mutant in mutants:
        counts = tallies[mutant.module]
        counts.total += 1
        if mutant.status in DETECTED:
            counts.killed += 1
            continue
        if mutant.status == "no tests":
            counts.no_tests += 1
        else:
            counts.survived += 1
        if mutant.reason and not mutant.reason.startswith(NOT_EQUIVALENT):
            counts.equivalent += 1
        else:
            counts.unexplained.append(mutant.name)
    return dict(sorted(tallies.items()))


def _before(entry: dict[str, Any] | None, equivalent: set[str]) -> tuple[int, int]:
    """(killed, counted) of the first run, its equivalent mutants left out."""
    if not entry:
        return 0, 0
    left_out = sum(1 for name in entry["not_killed"] if name in equivalent)
    return entry["killed"], entry["total"] - left_out


def _rate(killed: int, counted: int) -> str:
    return f"{100.0 * killed / counted:.1f}%" if counted else "-"


def render(
    tallies: dict[str, Tally],
    mutants: list[Mutant],
    baseline: dict[str, dict[str, Any]],
    records: dict[str, dict[str, Any]],
) -> str:
    equivalent = {m.name for m in mutants if m.reason and not m.reason.startswith(NOT_EQUIVALENT)}
    lines = [
        BEGIN,
        "",
        (
            "| module | mutants | killed | survived | no tests | equivalent | kill rate before |"
            " kill rate after | last run | minutes |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    total = Tally()
    for module, counts in tallies.items():
        before_rate = _rate(*_before(baseline.get(module), equivalent))
        entry = records.get(module, {})
        minutes = entry.get("minutes")
        lines.append(
            f"| `{module}` | {counts.total} | {counts.killed} | {counts.survived} | "
            f"{counts.no_tests} | {counts.equivalent} | {before_rate} | {counts.rate:.1f}% | "
            f"{entry.get('run', '-')} | {'-' if minutes is None else f'{minutes:.1f}'} |"
        )
        for attribute in ("total", "killed", "survived", "no_tests", "equivalent"):
            setattr(total, attribute, getattr(total, attribute) + getattr(counts, attribute))
    pairs = [_before(baseline.get(module), equivalent) for module in tallies]
    before_rate = _rate(sum(k for k, _ in pairs), sum(c for _, c in pairs))
    lines.append(
        f"| **all** | {total.total} | {total.killed} | {total.survived} | {total.no_tests} | "
        f"{total.equivalent} | {before_rate} | {total.rate:.1f}% | | |"
    )
    named = [m for m in mutants if _is_named(m)]
    if named:
        lines += [
            "",
            "### The constants an earlier audit named",
            "",
            "| mutant | change | result | first failing test |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{m.name}` | `{m.diff}` | {m.status} | `{m.killed_by or '-'}` |" for m in named
        ]
    lines += [
        "",
        (
            "Kill rate = killed / (mutants - equivalent), a timeout counting as killed. Before:"
            " the module's first run, with the tests of that day (tests/mutation/baseline.json),"
            " its equivalent mutants (the same names as now) left out; the other columns are the"
            " module's last run (its date, and the minutes it took on 2 cores: mutmut's and the"
            " constants stage's, not the record of which tests reach which function)."
        ),
        "",
        "### Surviving mutants",
        "",
    ]
    by_reason: dict[str, list[Mutant]] = defaultdict(list)
    unexplained = [m for m in mutants if m.status not in DETECTED and not m.reason]
    kept = [m for m in mutants if m.reason and m.reason.startswith(NOT_EQUIVALENT)]
    for mutant in mutants:
        if mutant.status not in DETECTED and mutant.reason:
            by_reason[mutant.reason].append(mutant)
    if unexplained:
        lines += ["#### Not explained (each is a missing test)", ""]
        lines += [f"- `{m.name}` ({m.status}): `{m.diff}`" for m in unexplained]
        lines.append("")
    if kept:
        lines += ["#### Not equivalent, left on purpose (counted as survivors)", ""]
        lines += [f"- `{m.name}` ({m.status}): `{m.diff}` -- {m.reason}" for m in kept]
        lines.append("")
    for reason, group in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        if reason.startswith(NOT_EQUIVALENT):
            continue
        lines += [f"#### {reason} ({len(group)})", ""]
        lines += [f"- `{m.name}` ({m.status}): `{m.diff}`" for m in group]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def _minutes(pairs: list[str]) -> dict[str, float]:
    found = {}
    for pair in pairs:
        module, _, value = pair.partition("=")
        found[module] = float(value)
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modules", nargs="*", default=[], help="the modules this run checked")
    parser.add_argument("--minutes", nargs="*", default=[], help="MODULE=N: how long each took")
    parser.add_argument("--no-diffs", action="store_true")
    options = parser.parse_args()
    records: dict[str, dict[str, Any]] = (
        json.loads(RECORDS.read_text(encoding="utf-8")) if RECORDS.exists() else {}
    )
    baseline = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    minutes = _minutes(options.minutes)
    for module in options.modules:
        fresh = load(with_diffs=not options.no_diffs, modules=[module])
        by_module: dict[str, list[Mutant]] = defaultdict(list)
        for mutant in fresh:
            by_module[mutant.module].append(mutant)
        for name, group in by_module.items():
            if all(m.status == "not checked" for m in group):
                continue  # generated but not run this time
            records[name] = record(group, minutes.get(module))
            if name not in baseline:  # the module's first run is its "before"
                baseline[name] = {
                    "total": len(group),
                    "killed": sum(m.status in DETECTED for m in group),
                    "not_killed": sorted(m.name for m in group if m.status not in DETECTED),
                }
    RECORDS.write_text(json.dumps(dict(sorted(records.items())), indent=1) + "\n", encoding="utf-8")
    BASELINE.write_text(json.dumps(baseline, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    mutants = [m for module, entry in records.items() for m in from_record(module, entry)]
    explain(mutants)
    tallies = tally(mutants)
    section = render(tallies, mutants, baseline, records)
    text = SUMMARY.read_text(encoding="utf-8") if SUMMARY.exists() else f"{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    SUMMARY.write_text(head + section + tail, encoding="utf-8")
    for module, counts in tallies.items():
        print(
            f"{module:45} {counts.killed:5}/{counts.total - counts.equivalent:<5} {counts.rate:5.1f}%"
        )
    counted = sum(len(c.unexplained) for c in tallies.values())
    print(f"{counted} surviving mutants count against the rate: missing tests, or left on purpose")
    return 0


if __name__ == "__main__":
    sys.exit(main())
