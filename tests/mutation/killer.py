"""Which test kills a mutmut mutant: runs the tests mutmut recorded for its function, fastest
first, with the mutant active, and prints the first that fails (after `make mutate`).

    python -m tests.mutation.killer 'cocalc_api._client.xǁ_ProjectBaseǁwith_options__mutmut_*'
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys

from tests.mutation.constants import MUTANTS, _config


def main() -> int:
    stats = json.loads((MUTANTS / "mutmut-stats.json").read_text(encoding="utf-8"))
    by_function = stats["tests_by_mangled_function_name"]
    durations = stats["duration_by_test"]
    names: list[str] = []
    for meta in MUTANTS.rglob("*.meta"):
        names += json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    extra = _config().get("pytest_add_cli_args", [])
    assert isinstance(extra, list)
    for pattern in sys.argv[1:]:
        for name in sorted(n for n in names if fnmatch.fnmatchcase(n, pattern)):
            tests = sorted(
                by_function.get(name.partition("__mutmut_")[0], ()),
                key=lambda test: durations.get(test, 0.0),
            )
            env = {
                **os.environ,
                "MUTANT_UNDER_TEST": name,
                "PYTHONPATH": os.pathsep.join([str(MUTANTS / "src"), str(MUTANTS)]),
            }
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-x",
                    "-q",
                    "-rf",
                    "--tb=no",
                    "--rootdir=.",
                    *extra,
                    *tests,
                ],
                cwd=MUTANTS,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            failed = re.search(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
            print(f"{name}: {failed[1] if failed else 'survived (no test failed)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
