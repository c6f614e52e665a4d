"""`make mutate`, one module at a time: mutmut over the module's functions, the constants stage
over its module-level constants, then its row of MUTATION.md (tests/mutation/report.py).

    python -m tests.mutation.run [MODULE ...]

A MODULE is a dotted name as MUTATION.md shows it (`cocalc_project_server.beneath`) or a package
standing for each of its modules (`cocalc_api.cli`); none means every module [tool.mutmut]
mutates. Each module's result is recorded as soon as it is done, so a run can be stopped and
another resumed with the modules that are left. mutants/ is kept between runs: mutmut's record of
which tests reach which function is made once (and again when the test selection changes), and
its results of the modules not named are left alone.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.mutation.report import _module, _mutated_paths, module_files

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def modules(names: list[str]) -> list[str]:
    """The modules to run, each once, in the order [tool.mutmut] lists their files."""
    every = [_module(path) for path in _mutated_paths()]
    if not names:
        return every
    chosen = []
    for name in names:
        found = [m for m in every if m == name or m.startswith(name + ".")]
        if not found:
            raise SystemExit(f"{name}: not a module [tool.mutmut] mutates")
        chosen += [m for m in found if m not in chosen]
    return chosen


def has_functions(path: str) -> bool:
    """mutmut refuses a pattern that matches no mutant: a module of constants only has none."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        for node in tree.body
    )


def run_module(module: str, children: int) -> float:
    """mutmut, then the constants stage, over one module; returns the minutes it took."""
    started = time.monotonic()
    (path,) = module_files(module)
    log = REPO / "mutants" / f"mutmut-{module}.log"
    log.parent.mkdir(exist_ok=True)
    if has_functions(path):
        with log.open("w", encoding="utf-8") as output:
            done = subprocess.run(
                # A function's mutants are named MODULE.x_NAME__mutmut_N (a method's
                # MODULE.xǁCLASSǁNAME__mutmut_N): a package's own do not take its modules'.
                [str(BIN / "mutmut"), "run", "--max-children", str(children), f"{module}.x*"],
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
            )
        output = log.read_text(encoding="utf-8")
        if done.returncode != 0 and "nothing matches" not in output:  # no mutant: nothing to do
            sys.stdout.write(output[-3000:])
            raise SystemExit(f"mutmut failed on {module} ({done.returncode}); log: {log}")
    constants = [sys.executable, "-m", "tests.mutation.constants", "--module", module]
    subprocess.run(constants, cwd=REPO, check=True)
    return (time.monotonic() - started) / 60


def link_the_venv() -> None:
    """Tests find the reference client under .venv/ beside tests/: in mutants/ too."""
    link = REPO / "mutants" / ".venv"
    link.parent.mkdir(exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(REPO / ".venv")


def main() -> int:
    children = os.cpu_count() or 2
    link_the_venv()
    for module in modules(sys.argv[1:]):
        print(f"== {module}", flush=True)
        minutes = run_module(module, children)
        print(f"== {module}: {minutes:.1f} min", flush=True)
        report = [sys.executable, "-m", "tests.mutation.report", "--modules", module]
        subprocess.run([*report, "--minutes", f"{module}={minutes:.2f}"], cwd=REPO, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
