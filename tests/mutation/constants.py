"""Mutants of module-level constants, the part of the code that mutmut does not mutate.

mutmut 3 mutates the bodies of functions and methods only (each behind a trampoline); a module's
own statements are copied unchanged. Much of the transport's contract lives there: the server's
15 s default envelope, the margin, the retry statuses, the error texts' patterns, the method
table's timeout units. This stage mutates those with mutmut's own rules (a number n becomes
n + 1, a string s becomes "XX" + s + "XX", True and False swap) plus one rule mutmut applies to
calls (an element left out of a set, tuple, list or dict literal), and the named mutants:
the exact values an earlier audit saw survive.

Each mutant is written into mutmut's own copy of the code (mutants/, where the functions are
trampolines that run the original code when no mutant is active), and the tests that reach a
function using the constant, and the tests of the files that name it, are run, fastest first,
stopping at the first failure. Which tests reach which function is mutmut's own record
(mutants/mutmut-stats.json); a name defined from a constant at module level (e.g. `_backoff`
from INITIAL_BACKOFF_S) counts as a use of it.

Run from the repository root after `mutmut run`: `python -m tests.mutation.constants [--module
MODULE | NAME ...]`; writes the results into mutants/constants-results.json, keeping those of
the constants not checked this time.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MUTANTS = REPO / "mutants"
RESULTS = MUTANTS / "constants-results.json"
# Names whose value is not behaviour: versions, export lists, loggers' names, type variables.
SKIPPED_NAMES = {"__all__", "__version__", "__slots__", "logger"}
# The exact values an earlier audit reports as having survived.
NAMED = {
    ("src/cocalc_api/_constants.py", "SERVER_DEFAULT_ENVELOPE_S"): ["5.0"],
    ("src/cocalc_api/_constants.py", "MAX_MARGIN_S"): ["3.0"],
    ("src/cocalc_project_server/config.py", "DEFAULT_ENVELOPE_TIMEOUT_MS"): ["5000.0"],
}
# Unit-level test files, tried first.
LIGHT_FILES = {
    "tests/test_call_limits.py",
    "tests/test_retry_policy.py",
    "tests/test_transport_policy.py",
    "tests/test_error_texts.py",
    "tests/test_jobs_policy.py",
    "tests/test_server_wire_texts.py",
    "tests/test_generator_fast.py",
    "tests/server/test_shell_escape.py",
}
# Constants the wire texts read from a file that is not mutated otherwise.
EXTRA_FILES = {"src/cocalc_project_server/config.py": {"DEFAULT_ENVELOPE_TIMEOUT_MS"}}


@dataclass
class ConstantMutant:
    name: str  # e.g. cocalc_api._constants.SERVER_DEFAULT_ENVELOPE_S__const_2
    path: str
    constant: str
    line: int
    original: str  # the replaced text
    mutated: str  # its replacement
    statement: str  # the whole statement, as in the source
    mutated_statement: str
    status: str = "not checked"
    killed_by: str = ""  # the first test that failed
    tests_run: int = 0
    duration: float = 0.0


def _config() -> dict[str, object]:
    with (REPO / "pyproject.toml").open("rb") as handle:
        config: dict[str, object] = tomllib.load(handle)["tool"]["mutmut"]
    return config


def mutated_files() -> list[str]:
    patterns = _config()["only_mutate"]
    assert isinstance(patterns, list)
    files = []
    for root in ("src", "generator"):
        for path in sorted((REPO / root).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if any(fnmatch(relative, pattern) for pattern in patterns):
                files.append(relative)
    return [*files, *EXTRA_FILES]


def module_of(path: str) -> str:
    dotted = path.removesuffix(".py").replace("/", ".").removeprefix("src.")
    return dotted.removesuffix(".__init__")


def _offsets(text: str) -> list[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _span(node: ast.expr, starts: list[int]) -> tuple[int, int]:
    assert node.end_lineno is not None and node.end_col_offset is not None
    # ast offsets are in UTF-8 bytes; the files' constants are ASCII where they are mutated.
    return starts[node.lineno - 1] + node.col_offset, starts[
        node.end_lineno - 1
    ] + node.end_col_offset


def _literal_mutations(
    node: ast.expr, text: str, starts: list[int], top: bool = True
) -> Iterator[tuple[ast.expr, str]]:
    """(node to replace, replacement source) pairs, by mutmut's rules where it has one; an
    element is left out of the statement's own container only, never out of a nested one."""
    if isinstance(node, ast.Subscript):  # a type (Literal[...], dict[str, Any]): not a value
        return
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield node, repr(not value)
        elif isinstance(value, int | float):
            yield node, repr(value + 1)
        elif isinstance(value, str) and value:
            yield node, repr("XX" + value + "XX")
        return
    if top and isinstance(node, ast.Set | ast.Tuple | ast.List) and len(node.elts) > 1:
        for index in range(len(node.elts)):
            kept = [ast.get_source_segment(text, e) for e in node.elts if e is not node.elts[index]]
            opener, closer = {ast.Set: "{}", ast.Tuple: "()", ast.List: "[]"}[type(node)]
            trailing = "," if isinstance(node, ast.Tuple) and len(kept) == 1 else ""
            yield node, opener + ", ".join(str(k) for k in kept) + trailing + closer
    if top and isinstance(node, ast.Dict) and len(node.keys) > 1:
        for index in range(len(node.keys)):
            pairs = [
                f"{ast.get_source_segment(text, k)}: {ast.get_source_segment(text, v)}"
                for i, (k, v) in enumerate(zip(node.keys, node.values, strict=True))
                if i != index and k is not None
            ]
            yield node, "{" + ", ".join(pairs) + "}"
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr) and not isinstance(child, ast.Name | ast.Attribute):
            # frozenset({...}) and re.compile("..."): the call's argument is the container
            nested = isinstance(node, ast.Call) and top
            yield from _literal_mutations(child, text, starts, top=nested)


def _assigned_name(statement: ast.stmt) -> tuple[str, ast.expr] | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        if isinstance(target, ast.Name):
            return target.id, statement.value
    if (
        isinstance(statement, ast.AnnAssign)
        and isinstance(statement.target, ast.Name)
        and statement.value is not None
    ):
        return statement.target.id, statement.value
    return None


def constant_mutants(path: str) -> list[ConstantMutant]:
    text = (REPO / path).read_text(encoding="utf-8")
    tree = ast.parse(text)
    starts = _offsets(text)
    found: list[ConstantMutant] = []
    for statement in tree.body:
        assigned = _assigned_name(statement)
        if assigned is None:
            continue
        name, value = assigned
        if name in SKIPPED_NAMES or _is_type_variable(value):
            continue
        if path in EXTRA_FILES and name not in EXTRA_FILES[path]:
            continue
        replacements = [
            (_span(node, starts), source)
            for node, source in _literal_mutations(value, text, starts)
        ]
        replacements += [(_span(value, starts), source) for source in NAMED.get((path, name), [])]
        first, last = starts[statement.lineno - 1], starts[statement.end_lineno or 0]
        whole = text[first:last]
        for number, ((start, end), source) in enumerate(replacements, 1):
            found.append(
                ConstantMutant(
                    name=f"{module_of(path)}.{name}__const_{number}",
                    path=path,
                    constant=name,
                    line=statement.lineno,
                    original=text[start:end],
                    mutated=source,
                    statement=whole,
                    mutated_statement=text[first:start] + source + text[end:last],
                )
            )
    return found


def _is_type_variable(value: ast.expr) -> bool:
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in {"TypeVar", "ParamSpec", "NewType"}
    )


def _module_names(path: str) -> dict[str, set[str]]:
    """For each name defined at module level, the constant names its value reads."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    reads: dict[str, set[str]] = {}
    for statement in tree.body:
        assigned = _assigned_name(statement)
        if assigned is not None:
            name, value = assigned
            reads[name] = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
    return reads


def _functions(path: str) -> Iterator[tuple[str, set[str]]]:
    """(mutmut's key of each top-level function and method, the names it reads)."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    module = module_of(path)
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{module}.x_{statement.name}", _names_in(statement)
        elif isinstance(statement, ast.ClassDef):
            for item in statement.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    key = f"{module}.x\u01c1{statement.name}\u01c1{item.name}"
                    yield key, _names_in(item)


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def tests_for(mutant: ConstantMutant, files: list[str], stats: dict[str, object]) -> list[str]:
    """The tests that reach a function reading the constant (or a name made from it)."""
    names = {mutant.constant}
    # Names defined at module level from the constant, in any module (e.g. _retry's _backoff
    # from _constants' INITIAL_BACKOFF_S), transitively.
    reads = [_module_names(path) for path in files]
    changed = True
    while changed:
        derived = {name for module in reads for name, used in module.items() if used & names}
        changed = not derived <= names
        names |= derived
    by_function = stats["tests_by_mangled_function_name"]
    durations = stats["duration_by_test"]
    assert isinstance(by_function, dict) and isinstance(durations, dict)
    tests: set[str] = set()
    for path in files:
        for key, used in _functions(path):
            if used & names:
                tests |= set(by_function.get(key, ()))
    # A test that names the constant itself (asserts its value) reaches it too.
    tests |= {test for test in durations if _names(test.split("::")[0], mutant.constant)}
    return sorted(tests, key=lambda test: (durations.get(test, 0.0), test))


def _names(test_file: str, constant: str) -> bool:
    return re.search(rf"\b{re.escape(constant)}\b", _text(test_file)) is not None


@functools.cache
def _text(test_file: str) -> str:
    try:
        return (REPO / test_file).read_text(encoding="utf-8")
    except OSError:
        return ""


def run(mutant: ConstantMutant, tests: list[str], tree: Path = MUTANTS) -> None:
    target = tree / mutant.path
    original = target.read_text(encoding="utf-8")
    # mutmut's copy keeps module-level statements verbatim (only functions are rewritten).
    assert original.count(mutant.statement) == 1, f"{mutant.name}: statement not found once"
    mutated = original.replace(mutant.statement, mutant.mutated_statement, 1)
    mutant.tests_run = len(tests)
    if not tests:
        mutant.status = "no tests"
        return
    env = {
        **os.environ,
        "MUTANT_UNDER_TEST": "",
        "PYTHONPATH": os.pathsep.join([str(tree / "src"), str(tree)]),
        "PY_IGNORE_IMPORTMISMATCH": "1",
    }
    extra = _config().get("pytest_add_cli_args", [])
    assert isinstance(extra, list)
    # Two rounds: first the tests of the light, unit-level files (most mutants die there, and
    # pytest collects a few files quickly), then the rest.
    light = [t for t in tests if t.split("::")[0] in LIGHT_FILES]
    rounds = [chunk for chunk in (light, [t for t in tests if t not in light]) if chunk]
    started = time.monotonic()
    code = 0
    try:
        target.write_text(mutated, encoding="utf-8")
        for chunk in rounds:
            command = [sys.executable, "-m", "pytest", "-x", "-q", "-rf", "--rootdir=.", "--tb=no"]
            done = subprocess.run(
                [*command, *extra, *chunk],
                cwd=tree,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            code = done.returncode
            failed = re.search(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
            mutant.killed_by = failed[1] if failed else ""
            if code != 0:
                break
    except subprocess.TimeoutExpired:
        code = -1
    finally:
        target.write_text(original, encoding="utf-8")
    mutant.duration = round(time.monotonic() - started, 2)
    mutant.status = {0: "survived", 1: "killed", -1: "timeout"}.get(code, f"error {code}")


def main() -> int:
    stats_file = MUTANTS / "mutmut-stats.json"
    if not stats_file.exists():
        raise SystemExit("no mutants/mutmut-stats.json: run mutmut (make mutate) first")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    files = mutated_files()
    mutants = [m for path in files for m in constant_mutants(path)]
    arguments = sys.argv[1:]
    if arguments[:1] == ["--module"]:  # one module's constants (tests/mutation/run.py)
        module = arguments[1]
        mutants = [m for m in mutants if module_of(m.path) == module]
    elif arguments:
        selected = set(arguments)
        mutants = [m for m in mutants if m.name in selected or m.constant in selected]
    workers = max(1, min(os.cpu_count() or 1, 4, len(mutants)))
    print(f"{len(mutants)} constant mutants, {workers} at a time")
    # Each worker mutates its own copy of mutmut's tree.
    trees = [MUTANTS]
    for index in range(1, workers):
        copy = REPO / f"mutants-{index}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(MUTANTS, copy, symlinks=True, ignore=shutil.ignore_patterns("*.meta"))
        trees.append(copy)
    free: queue.Queue[Path] = queue.Queue()
    for tree in trees:
        free.put(tree)

    def check(mutant: ConstantMutant) -> None:
        tree = free.get()
        try:
            run(mutant, tests_for(mutant, files, stats), tree)
        finally:
            free.put(tree)
        print(f"  {mutant.name}: {mutant.status} ({mutant.tests_run} tests, {mutant.duration} s)")

    try:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(check, mutants))
    finally:
        for tree in trees[1:]:
            shutil.rmtree(tree, ignore_errors=True)
    # Results of other constants, from earlier runs, are kept.
    earlier = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else []
    checked = {m.name for m in mutants}
    kept = [entry for entry in earlier if entry["name"] not in checked]
    results = kept + [asdict(m) for m in mutants]
    RESULTS.write_text(json.dumps(results, indent=2), encoding="utf-8")
    counts = Counter(m.status for m in mutants)
    print(", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
