"""What each failure raises, and what to do about it.

Every exception derives from cocalc_api.CocalcError; errors the service reports derive from
cocalc_api.APIError (also a RuntimeError, as the reference client raises). `.message` keeps
the server's own text; `str(error)` says what to do. Settings come from COCALC_API_KEY,
COCALC_PROJECT_ID and COCALC_HOST. Run it with `python examples/error_handling.py`.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import cocalc_api


def free_port() -> int:
    """A local port nothing listens on (to show a refused connection)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> int:
    with cocalc_api.Project() as project:
        try:
            project.system.exec(command="ls no-such-file")
        except cocalc_api.ExecError as error:  # a non-zero exit
            print(f"ExecError: exit code {error.exit_code}, stderr: {error.stderr.strip()}")

        try:
            project.system.exec(command="nosuchprog")
        except cocalc_api.ExecError as error:  # a program that is not there
            print("ExecError:", error)

        try:
            project.system.exec(command="sleep 10", timeout=1)
        except cocalc_api.ExecTimeoutError as error:  # killed at its own limit
            print(f"ExecTimeoutError: {error.command!r} killed after {error.timeout:g} s")

        try:
            project.system.exec_status("no-such-job")
        except cocalc_api.AsyncJobNotFoundError as error:
            print("AsyncJobNotFoundError:", error.message)

        try:
            project.system.jupyter_execute(input="1", kernel="no-such-kernel")
        except cocalc_api.UnknownKernelError as error:  # lists the kernels there are
            print("UnknownKernelError: available:", ", ".join(error.available))
        except cocalc_api.APIError as error:  # any other error the service reports
            print(f"{type(error).__name__}:", error.message)

        try:
            project.system.exec(command="bad", timeout=-1)
        except cocalc_api.InvalidArgumentError as error:  # refused before sending
            print("InvalidArgumentError:", error)

    # A wrong key: the service answers, and refuses.
    with cocalc_api.Project(api_key="sk-not-the-key") as stranger:
        try:
            stranger.ping()
        except cocalc_api.AuthenticationError as error:
            print("AuthenticationError:", error.message)

    # Nothing listening: retry-safe calls (ping) are retried first, then the error is raised.
    with cocalc_api.Project(host=f"http://127.0.0.1:{free_port()}", max_retries=0) as nowhere:
        try:
            nowhere.ping()
        except cocalc_api.APIConnectionError as error:
            print("APIConnectionError:", type(error).__name__)

    # Every exception of the SDK is a CocalcError: one except clause catches them all. Settings
    # are checked when given, e.g. ones read from a configuration file.
    settings: dict[str, Any] = {"timeout": "soon"}
    try:
        cocalc_api.Project(**settings)
    except cocalc_api.CocalcError as error:
        print("CocalcError:", type(error).__name__, "-", error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
