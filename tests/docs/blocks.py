"""The code blocks of README.md and docs/*.md, found and run the way docs/writing-docs.md says.

- `python` blocks run in order, in one namespace per file (like a notebook's cells, so a block
  may use what an earlier one made), with top-level `await` allowed; all of a file's blocks
  share one event loop.
- `bash`/`sh`/`shell` blocks run under `bash -eo pipefail`; in a `console` block, the lines
  after a `$ ` prompt are the commands (the other lines are what they print).
- `json`, `toml` and `yaml` blocks are parsed; `text` blocks are not code.
- Any other language, or none, is an error: a block says what it is.
- An HTML comment on the line before a block changes that: `<!-- docs-test: skip REASON -->`
  (commands to type, such as `pip install`), `<!-- docs-test: xfail REASON -->` (run,
  expected to fail for now), `<!-- docs-test: hub -->` (run against the local hub instead of
  the local project server) or `<!-- docs-test: pytest -->` (a python block that is a test
  file: run by pytest, with the plugins `cocalc-sdk[testing]` installs and no others).
- A python block holding only `--8<-- "examples/NAME.py"` lines (mkdocs' snippet includes)
  shows an example script, which tests/docs/test_examples.py runs.
- Placeholders are replaced by the test server's values before running: `sk-...` (the API
  key), `project_id="..."`, `http://127.0.0.1:8000` (the server's URL) and `env={...}` (the
  COCALC_* settings as a dict).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parents[2]

PYTHON = frozenset({"python", "py", "python3"})
SHELL = frozenset({"bash", "sh", "shell", "console"})
DATA = frozenset({"json", "toml", "yaml", "yml"})
TEXT = frozenset({"text", "txt"})
KNOWN = PYTHON | SHELL | DATA | TEXT

MARKER = re.compile(
    r"<!--\s*docs-test:\s*(?P<kind>skip|xfail|hub|pytest)\b\s*(?P<reason>.*?)\s*-->", re.DOTALL
)
INCLUDE = re.compile(r'^--8<--\s+"(?P<path>[^"]+)"\s*$')


@dataclass(frozen=True)
class Block:
    path: Path  # relative to the repository
    line: int  # of the opening fence, counting from 1
    language: str
    code: str
    marker: str | None = None  # "skip", "xfail", "hub" or "pytest"
    reason: str = ""

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def first_code_line(self) -> int:
        return self.line + 1

    def includes(self) -> list[str]:
        """The files of a block made only of snippet includes (else [])."""
        lines = [line for line in self.code.splitlines() if line.strip()]
        found = [INCLUDE.match(line) for line in lines]
        return [m["path"] for m in found if m] if lines and all(found) else []


def markdown_files() -> list[Path]:
    """README.md and every page of the docs site, relative to the repository."""
    docs = sorted(p.relative_to(REPO) for p in (REPO / "docs").rglob("*.md"))
    return [Path("README.md"), *docs]


def find_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of one Markdown file, with the marker before each."""
    tokens = MarkdownIt("commonmark").parse((REPO / path).read_text(encoding="utf-8"))
    blocks: list[Block] = []
    for i, token in enumerate(tokens):
        if token.type != "fence" or token.map is None:
            continue
        language = token.info.split(maxsplit=1)[0].lower() if token.info.strip() else ""
        marker = None
        reason = ""
        if i > 0 and tokens[i - 1].type == "html_block":
            found = MARKER.search(tokens[i - 1].content)
            if found:
                marker, reason = found["kind"], found["reason"]
        blocks.append(Block(path, token.map[0] + 1, language, token.content, marker, reason))
    return blocks


def misplaced_markers(path: Path) -> list[str]:
    """Comments naming docs-test that mark no block: misspelt, or not right before a fence."""
    tokens = MarkdownIt("commonmark").parse((REPO / path).read_text(encoding="utf-8"))
    found: list[str] = []
    for i, token in enumerate(tokens):
        inline = [child for child in token.children or [] if child.type == "html_inline"]
        for html in [token] if token.type == "html_block" else inline:
            if "docs-test:" not in html.content:
                continue
            line = (token.map[0] + 1) if token.map else 0
            if not MARKER.search(html.content):
                found.append(f"{path}:{line}: not a known marker: {html.content.strip()}")
            elif html is not token or i + 1 >= len(tokens) or tokens[i + 1].type != "fence":
                found.append(f"{path}:{line}: not on the line right before a code block")
    return found


def substitute(code: str, values: Mapping[str, str]) -> str:
    """The block with its placeholders replaced by the test server's values."""
    settings = {k: values[k] for k in ("COCALC_API_KEY", "COCALC_HOST", "COCALC_PROJECT_ID")}
    code = code.replace("sk-...", values["COCALC_API_KEY"])
    code = code.replace('project_id="..."', f'project_id="{values["COCALC_PROJECT_ID"]}"')
    code = code.replace("http://127.0.0.1:8000", values["COCALC_HOST"])
    return code.replace("env={...}", f"env={settings!r}")


def shell_script(block: Block) -> str:
    """What bash runs for a shell block: a console block's prompted lines, else all of it."""
    if block.language != "console":
        return block.code
    commands: list[str] = []
    continued = False
    for line in block.code.splitlines():
        if continued or line.startswith("$ "):
            commands.append(line[2:] if not continued else line)
            continued = line.rstrip().endswith("\\")
    return "\n".join(commands) + "\n"


def parse_data(block: Block) -> Any:
    """A data block parsed by its language's parser (raises on a syntax error)."""
    if block.language == "json":
        return json.loads(block.code)
    if block.language == "toml":
        return tomllib.loads(block.code)
    return yaml.safe_load(block.code)


@dataclass
class PythonSession:
    """One file's python blocks: one namespace and one event loop, blocks run in order."""

    path: Path
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__main__"})
    loop: asyncio.Runner = field(default_factory=asyncio.Runner)
    outcomes: dict[int, BaseException | None] = field(default_factory=dict)

    def run(self, block: Block, code: str) -> None:
        """Run one block; its line numbers in tracebacks are the Markdown file's."""
        padded = "\n" * (block.first_code_line - 1) + code
        compiled = compile(
            padded,
            str(REPO / block.path),
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,
        )
        try:
            if compiled.co_flags & inspect.CO_COROUTINE:
                self.loop.run(eval(compiled, self.namespace))
            else:
                exec(compiled, self.namespace)  # noqa: S102 - running the docs is the point
        except BaseException as error:
            self.outcomes[block.line] = error
            raise
        self.outcomes[block.line] = None

    def close(self) -> None:
        self.namespace.clear()
        self.loop.close()


def all_blocks() -> Iterator[Block]:
    for path in markdown_files():
        yield from find_blocks(path)
