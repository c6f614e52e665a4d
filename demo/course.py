"""`make demo`, last part: a command in every student project of a course, as a table.

Locally, a local hub with a 5-student demo course (`cocalc-hub-server --demo-course 5`);
against a real host, the course named by COCALC_COURSE (`PROJECT_ID:PATH`), if set. The
command line prints the table, as a teacher would run it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile

from cocalc_hub_server.testing import running_hub

STUDENTS = 5
COMMAND = "python3 -c 'import os, platform; print(platform.python_version(), os.getcwd())'"


def run_course_command(api_key: str, host: str, course: str) -> int:
    """`cocalc-project course run` on the course; its exit code (0: every project did it)."""
    argv = ["course", "run", "--course", course, "--", COMMAND]
    print(f">>> cocalc-project {shlex.join(argv)}")
    env = {**os.environ, "COCALC_API_KEY": api_key, "COCALC_HOST": host}
    env.pop("COCALC_PROJECT_ID", None)
    done = subprocess.run(
        [sys.executable, "-m", "cocalc_api.cli", *argv], env=env, check=False, timeout=300
    )
    print(f"    (exit code {done.returncode})\n")
    return done.returncode


def main(real_host: tuple[str, str] | None) -> list[str]:
    """The course part; the failures (empty if it worked or was skipped)."""
    if real_host is not None:
        course = os.environ.get("COCALC_COURSE")
        if not course:
            print("A course's projects at once: skipped (set COCALC_COURSE=PROJECT_ID:PATH)\n")
            return []
        key, host = real_host
        return [] if run_course_command(key, host, course) == 0 else ["course run"]
    with tempfile.TemporaryDirectory(prefix="cocalc-demo-site-") as root:
        extra = ["--demo-course", str(STUDENTS)]
        with running_hub(root=root, extra_args=extra) as site:
            assert site.demo_course is not None
            print(f"A course's projects at once, on a local hub at {site.url}\n")
            code = run_course_command(site.api_key, site.url, site.demo_course)
    return [] if code == 0 else ["course run"]
