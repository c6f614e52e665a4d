"""Every code block of README.md and docs/ runs against a local server, so no example rots.

How each kind of block is run, and the markers that change it, are in blocks.py (and, for
authors, in docs/writing-docs.md).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
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
def test_block(
    block: Block, request: pytest.FixtureRequest, sessions: dict[Path, PythonSession]
) -> None:
    if block.language not in KNOWN:
        pytest.fail(
            f"{block.id}: the block's language {block.language or '(none)'!r} does not say how "
            f"to test it: use one of {sorted(KNOWN)}, or put <!-- docs-test: skip REASON --> "
            "on the line before it (docs/writing-docs.md)"
        )
    if block.marker == "pytest":
        assert block.language in PYTHON, f"{block.id}: only a python block is a test file"
        run_pytest(block, request.getfixturevalue("tmp_path"))
        return
    # A hub block runs against the local hub; every other against the local project server.
    values: dict[str, str] = request.getfixturevalue(
        "hub_env" if block.marker == "hub" else "doc_env"
    )
    if block.language in PYTHON:
        run_python(block, values, sessions.setdefault(block.path, PythonSession(block.path)))
    elif block.language in SHELL:
        run_shell(block, values)
    elif block.language in DATA:
        parse_data(block)


# What `pip install 'cocalc-sdk[testing]'` gives pytest: our plugin, pytest-recording's, and
# anyio's (a dependency of the SDK). Not pytest-asyncio, which the suite itself uses: it is
# made unimportable, as it is where only the extra is installed.
TESTING_EXTRA_PLUGINS = (
    "cocalc_api.pytest_plugin",
    "pytest_recording.plugin",
    "anyio.pytest_plugin",
)
NOT_INSTALLED = 'raise ImportError("not part of cocalc-sdk[testing]")\n'


def run_pytest(block: Block, folder: Path) -> None:
    """Run a block that is a test file as its reader would: saved under the name its first
    line gives (`# test_x.py`), then `pytest` in that folder, against the local servers the
    plugin starts."""
    first = block.code.splitlines()[0] if block.code else ""
    name = first.removeprefix("#").strip() if first.startswith("# test_") else "test_block.py"
    (folder / name).write_text(block.code, encoding="utf-8")
    hidden = folder / "not-installed"
    hidden.mkdir()
    (hidden / "pytest_asyncio.py").write_text(NOT_INSTALLED, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COCALC_", "PYTEST_"))}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONPATH=str(hidden))
    plugins = [arg for plugin in TESTING_EXTRA_PLUGINS for arg in ("-p", plugin)]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--strict-markers", "-p", "no:cacheprovider"]
        + plugins,
        check=False,
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,  # only against a hang
    )
    summary = result.stdout.strip().splitlines()[-1:] or [""]
    assert result.returncode == 0 and " passed" in summary[0] and "skipped" not in summary[0], (
        f"{block.id}: pytest exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


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
        if earlier.marker in ("pytest", "hub"):  # a test file, or run against another server
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
