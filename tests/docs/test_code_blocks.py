"""Every code block of README.md and docs/ runs against a local server, so no example rots.

How each kind of block is run, and the markers that change it, are in blocks.py (and, for
authors, in docs/writing-docs.md).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docs.blocks import (
    DATA,
    KNOWN,
    PYTHON,
    REPO,
    SHELL,
    Block,
    PythonSession,
    find_blocks,
    markdown_files,
    misplaced_markers,
    parse_data,
    shell_script,
    substitute,
)

# Blocks of pages that other engineers own, which cannot run as written. Keyed by page and
# first line; each owner replaces its entry with a marker in the page itself.
EXEMPT: dict[tuple[str, str], str] = {}

BLOCKS = [block for path in markdown_files() for block in find_blocks(path)]


def exemption(block: Block) -> str | None:
    first = block.code.splitlines()[0] if block.code else ""
    return EXEMPT.get((block.path.as_posix(), first))


def skipped(block: Block) -> bool:
    return block.marker == "skip" or exemption(block) is not None


def params() -> list[Any]:
    return list(_params())


def _params() -> Iterator[Any]:
    for block in BLOCKS:
        marks: list[pytest.MarkDecorator] = []
        if block.marker == "skip":
            marks.append(pytest.mark.skip(reason=block.reason or "marked skip"))
        elif block.marker == "xfail":
            marks.append(pytest.mark.xfail(strict=False, reason=block.reason))
        reason = exemption(block)
        if reason is not None:
            marks.append(pytest.mark.skip(reason=reason))
        yield pytest.param(block, marks=marks, id=block.id)


@pytest.fixture(scope="session")
def sessions() -> Iterator[dict[Path, PythonSession]]:
    found: dict[Path, PythonSession] = {}
    yield found
    for session in found.values():
        session.close()


@pytest.mark.parametrize("block", params())
def test_block(block: Block, doc_env: dict[str, str], sessions: dict[Path, PythonSession]) -> None:
    if block.language not in KNOWN:
        pytest.fail(
            f"{block.id}: the block's language {block.language or '(none)'!r} does not say how "
            f"to test it: use one of {sorted(KNOWN)}, or put <!-- docs-test: skip REASON --> "
            "on the line before it (docs/writing-docs.md)"
        )
    if block.language in PYTHON:
        run_python(block, doc_env, sessions.setdefault(block.path, PythonSession(block.path)))
    elif block.language in SHELL:
        run_shell(block, doc_env)
    elif block.language in DATA:
        parse_data(block)


def run_python(block: Block, values: dict[str, str], session: PythonSession) -> None:
    included = block.includes()
    if included:
        for name in included:
            assert (REPO / name).is_file(), f"{block.id} includes {name}, which is missing"
            assert name.startswith("examples/"), f"{name}: only examples/ are run as scripts"
        return
    # The blocks before this one make its namespace; run them first if this one runs alone.
    for earlier in BLOCKS:
        if earlier.path != block.path or earlier.line >= block.line:
            continue
        if earlier.language not in PYTHON or skipped(earlier) or earlier.includes():
            continue
        if earlier.line not in session.outcomes:
            # Its failure is on record in session.outcomes (and reported by its own test).
            with contextlib.suppress(Exception):
                session.run(earlier, substitute(earlier.code, values))
        failure = session.outcomes[earlier.line]
        if failure is not None and earlier.marker != "xfail":
            pytest.skip(f"an earlier block failed: {earlier.id}: {failure!r}")
    session.run(block, substitute(block.code, values))


def run_shell(block: Block, values: dict[str, str]) -> None:
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", substitute(shell_script(block), values)],
        check=False,
        cwd=REPO,
        env=os.environ.copy(),  # doc_env's COCALC_* and PATH are in it
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,  # only against a hang
    )
    assert result.returncode == 0, (
        f"{block.id} exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


def test_markers_are_understood() -> None:
    """A misspelt or misplaced marker would silently run (or not run) a block."""
    problems = [problem for path in markdown_files() for problem in misplaced_markers(path)]
    assert not problems, "\n".join(problems)


def test_every_exemption_names_a_block() -> None:
    """An owner who fixes a block removes its entry: a stale one would hide nothing, silently."""
    named = {(block.path.as_posix(), (block.code.splitlines() or [""])[0]) for block in BLOCKS}
    assert set(EXEMPT) <= named, f"stale entries: {sorted(set(EXEMPT) - named)}"
