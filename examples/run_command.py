"""Run shell commands in a CoCalc project and read what they print.

Settings come from the environment: COCALC_API_KEY, COCALC_PROJECT_ID and COCALC_HOST (for a
local `cocalc-project-server`, the URL it prints). Run it with `python examples/run_command.py`.
"""

from __future__ import annotations

import sys

import cocalc_api


def main() -> int:
    with cocalc_api.Project() as project:
        # A command with spaces and no `args` runs under bash: pipes, $VARS and && work.
        out = project.system.exec(command="echo hello from $(basename $HOME) | tr a-z A-Z")
        print(out["stdout"], end="")

        # With `args`, the program runs directly: no shell, no quoting to get right.
        out = project.system.exec(
            command="python3", args=["-c", "import sys; print(sys.version_info >= (3, 8))"]
        )
        print("python3 is at least 3.8:", out["stdout"].strip())

        # A folder relative to HOME, and extra environment variables.
        project.system.exec(command="mkdir -p scratch")
        out = project.system.exec(
            command="pwd; echo $GREETING", path="scratch", env={"GREETING": "hi"}
        )
        folder, greeting = out["stdout"].split()
        print(f"ran in {folder.rsplit('/', 1)[-1]}/ with GREETING={greeting}")

        # A non-zero exit raises ExecError, unless err_on_exit=False makes it a result.
        out = project.system.exec(command="ls no-such-file", err_on_exit=False)
        print("exit code:", out["exit_code"], "| stderr:", out["stderr"].strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
