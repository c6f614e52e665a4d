"""The reference page's examples, run verbatim (but for its placeholder project id) against the

The page (shared/reference/project-api.txt, copied to tests/reference/) shows calls and what
they print. Its `>>>` statements run in order, unchanged, with `import cocalc_api` bound to
this SDK; each printed value must equal, as a value, what the page shows (the page's spacing
is not Python's, so values are compared, not reprs).
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vcr

from tests.scenarios import CASSETTES, PAGE_PROJECT

HERE = Path(__file__).resolve().parent
PAGE = HERE / "reference" / "project-api.txt"
SHARED_PAGE = HERE.parent.parent / "shared" / "reference" / "project-api.txt"
CALL = re.compile(r"project\.(?:system\.)?(\w+)\(")
# The cassettes of the page's calls, in the order the page makes them.
PAGE_CASSETTES = {
    "exec": ["page_exec"],
    "jupyter_execute": [
        "page_jupyter_execute_sum",
        "page_jupyter_execute_history",
        "page_jupyter_execute_print",
    ],
    "list_jupyter_kernels": ["page_list_jupyter_kernels"],
    "ping": ["page_ping"],
    "stop_jupyter_kernel": ["page_stop_jupyter_kernel"],
}


@dataclass
class Statement:
    code: str
    shown: str | None  # the value the page prints after it, if any


def statements(text: str) -> list[Statement]:
    found: list[Statement] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith(">>> "):
            i += 1
            continue
        code = lines[i][4:]
        i += 1
        while i < len(lines) and lines[i].startswith("... "):
            code += "\n" + lines[i][4:]
            i += 1
        shown = None
        if i < len(lines) and lines[i].startswith(("{", "[")):
            shown = lines[i]
        found.append(Statement(code, shown))
    return found


STATEMENTS = statements(PAGE.read_text(encoding="utf-8"))
# The page's placeholder id, which the service refuses (it is no UUID: src/packages/server/
# projects/is-collaborator.ts) and Project refuses before sending, is replaced by a project's
# id, as the docs' placeholders are by the test server's values.
PLACEHOLDER_PROJECT = "project_id='...'"


# The copy in tests/reference/ is the page as the team's shared/reference/ held it on
# 2026-11-26; its digest pins it on every clone, and where shared/ is beside the checkout the
# two are compared too.
PAGE_SHA256 = "a2529fb0b027e67b9b522ce5951c174e2709c9c81fe97e4cb654817c002d19e7"


def test_the_copy_is_the_page() -> None:
    assert hashlib.sha256(PAGE.read_bytes()).hexdigest() == PAGE_SHA256
    if SHARED_PAGE.exists():
        assert PAGE.read_bytes() == SHARED_PAGE.read_bytes()


def test_the_page_has_the_examples_we_expect() -> None:
    called = [m.group(1) for s in STATEMENTS for m in [CALL.search(s.code)] if m]
    assert sorted(set(called)) == sorted(PAGE_CASSETTES)
    assert sum(s.shown is not None for s in STATEMENTS) == 7


def test_page_examples_run_verbatim(player: vcr.VCR) -> None:
    namespace: dict[str, Any] = {}
    used: dict[str, int] = {}
    checked = 0
    for statement in STATEMENTS:
        call = CALL.search(statement.code)
        if call is None:
            value = _run(statement, namespace)
        else:
            method = call.group(1)
            name = PAGE_CASSETTES[method][used.get(method, 0)]
            used[method] = used.get(method, 0) + 1
            with player.use_cassette(str(CASSETTES / f"{name}.yaml")) as cassette:
                value = _run(statement, namespace)
                assert cassette.all_played, name
        if statement.shown is not None:
            assert value == ast.literal_eval(statement.shown), statement.code
            checked += 1
    assert checked == 7
    assert used == {m: len(names) for m, names in PAGE_CASSETTES.items()}


def _run(statement: Statement, namespace: dict[str, Any]) -> Any:
    """Run a statement as the interactive prompt does: an expression's value is returned."""
    code = statement.code.replace(PLACEHOLDER_PROJECT, f"project_id='{PAGE_PROJECT}'")
    try:
        compiled = compile(code, "<page>", "eval")
    except SyntaxError:
        exec(compile(code, "<page>", "exec"), namespace)  # noqa: S102 -- the page is the test
        return None
    return eval(compiled, namespace)
