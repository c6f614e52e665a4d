"""What an error tells you to do, in the words of the tool you use: the library's (arguments
of Python calls), the command line's (its flags and commands) or the MCP server's (its settings).

An error's explanation is written once (`_errors.py`, `_jobs.py`); only its advice differs by
tool. A tool built on the SDK (the command line, the MCP server) says which words it speaks
around the calls it makes, so an error raised inside says `--timeout` rather than
`timeout=...`:

>>> from cocalc_api.wording import PYTHON, Wording, speaking
>>> with speaking(my_words):  # a Wording of your tool's
...     project.system.exec(command="sleep 9", timeout=1)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["PYTHON", "Wording", "key_origin", "speaking", "wording"]


@dataclass(frozen=True, slots=True)
class Wording:
    # Where a key given to the client came from (one not from COCALC_API_KEY).
    key_given: str
    # How to give a key at all.
    give_key: str
    # How to name the project to work in, and how not to name one.
    choose_project: str
    drop_project: str
    # The client of one project, for a project-scoped key.
    project_client: str
    # How a collaborator adds an account to a project, and how to make project keys.
    add_collaborator: str
    make_project_keys: str
    # A command killed at its own time limit: how to give it longer, or run it as a job.
    longer_command: str
    # exec's error carries no stdout: how to get the whole outcome as a result instead.
    keep_output: str
    # A job still running after a wait: `{job_id}` is filled in.
    wait_again: str
    # A wait for a job whose call limit ran out.
    wait_longer: str


PYTHON = Wording(
    key_given="passed as api_key=...",
    give_key="pass api_key=... or set COCALC_API_KEY",
    choose_project="Project(..., project_id=...) or COCALC_PROJECT_ID",
    drop_project="leave project_id out (and COCALC_PROJECT_ID unset)",
    project_client="Project",
    add_collaborator="hub.projects.add_collaborator(project_id, account_id)",
    make_project_keys="hub.system.manage_api_keys",
    longer_command="pass a larger timeout=..., or async_call=True for long work",
    keep_output="pass err_on_exit=False to get the exit code, stdout and stderr as a result",
    wait_again="wait again, or kill() it",
    wait_longer=(
        "wait longer with project.with_options(timeout=...).system.exec_status(job_id, "
        "wait=True), or poll it again"
    ),
)

_CURRENT: ContextVar[Wording] = ContextVar("cocalc_api_wording", default=PYTHON)


def wording() -> Wording:
    """The words of the tool the current call was made from (the library's by default)."""
    return _CURRENT.get()


@contextmanager
def speaking(words: Wording) -> Iterator[None]:
    """Errors raised inside the block advise in `words`."""
    token = _CURRENT.set(words)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def key_origin(api_key: str) -> str:
    """Where the key came from, as far as the client can tell: the environment, or given."""
    if api_key and api_key == os.environ.get("COCALC_API_KEY"):
        return "from COCALC_API_KEY"
    return wording().key_given
