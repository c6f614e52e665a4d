"""Start a long command as an async job and report its progress until it ends.

`exec(..., async_call=True)` returns at once with a job id; `exec_status(job_id)` returns its
output so far and its status; this is what `project.jobs` (docs/jobs.md) does for you, shown
with the two calls themselves. Settings come from COCALC_API_KEY, COCALC_PROJECT_ID and
COCALC_HOST. Run it with `python examples/async_job.py [COMMAND]`.
"""

from __future__ import annotations

import sys
import time

import cocalc_api

DEFAULT_COMMAND = "for i in 1 2 3 4 5; do echo step $i of 5; sleep 0.15; done"
POLL_EVERY_S = 0.1


def main(argv: list[str]) -> int:
    command = argv[0] if argv else DEFAULT_COMMAND
    with cocalc_api.Project() as project:
        job = project.system.exec(command=command, async_call=True)
        job_id = job["job_id"]  # a str: exec(async_call=True) returns ExecuteCodeOutputAsync
        print("started job", job_id)

        shown = 0  # characters of stdout already printed
        status = project.system.exec_status(job_id)
        while status["status"] == "running":
            new_output = status["stdout"][shown:]
            if new_output:
                print(new_output, end="", flush=True)
                shown += len(new_output)
            time.sleep(POLL_EVERY_S)
            status = project.system.exec_status(job_id)
        print(status["stdout"][shown:], end="")

        print(f"job {status['status']} with exit code {status['exit_code']}", end="")
        print(f" after {status.get('elapsed_s', 0):.1f} s")

        # Or wait for a job in one call: the call's limit must outlast the job (the server's
        # own limit is 15 s), so raise it for that call.
        job = project.system.exec(command="sleep 0.5; echo done", async_call=True)
        final = project.with_options(timeout=60).system.exec_status(job["job_id"], wait=True)
        print("waited:", final["status"], final["stdout"].strip())
    return 0 if status["status"] == "completed" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
