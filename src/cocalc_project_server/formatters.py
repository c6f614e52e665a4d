"""``editor.formatterString``: format text with the same external tools the real project runs.

Follows src/packages/project/formatters/index.ts (``run_formatter_string``): ``options.parser``
picks the formatter; each one writes the text to a temporary file, runs its tool on it and
reads the result back. Python uses ``yapf`` (from the server's own environment, a dependency);
the other tools run when they are on the project's PATH, and a missing one fails as it does in
the real project, where most formatters never answer then (:func:`never_answers`).
Everything else goes to prettier in the real service, which this server does not have: a
prettier parser answers the real "Could not load 'prettier'" error, any other name prettier's
own "Couldn't resolve parser".
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from . import jsjson, nodepath
from .errors import ProjectError, WireError
from .exec_ import ExecContext, Outcome, SpawnFailed
from .exec_command import ExecOptions
from .kernel_slots import ANSWER_BY

# prettier 3's built-in parsers (the real project depends on prettier ^3).
PRETTIER_PARSERS = frozenset(
    {
        "babel",
        "babel-flow",
        "babel-ts",
        "flow",
        "typescript",
        "espree",
        "meriyah",
        "acorn",
        "css",
        "less",
        "scss",
        "json",
        "json5",
        "jsonc",
        "json-stringify",
        "graphql",
        "markdown",
        "mdx",
        "vue",
        "yaml",
        "glimmer",
        "html",
        "angular",
        "lwc",
    }
)
YAPF = (sys.executable, "-m", "yapf")


# How long a call that never answers lives on after its answer (the envelope's 408) is due.
_NEVER_ANSWERED_SLACK_S = 5.0
# generic-format.ts waits this long for "close" (timeout_s 30).
GENERIC_CLOSE_TIMEOUT_S = 30.0


def not_installed(tool: str) -> ProjectError:
    # python-format.ts's text for a missing yapf: only it listens for spawn's "error" event.
    return ProjectError(f'Formatting utility "{tool}" is not installed')


async def never_answers() -> NoReturn:
    """A formatter whose program is missing, in gofmt.ts, rust-format.ts, clang-format.ts,
    r-format.ts and latex-format.ts: nothing listens for spawn's "error" event, so "close"
    never fires and the call never answers; the envelope's timeout answers it. Here the call
    ends itself a little after that answer is due, so that it is not kept for ever."""
    answer_by = ANSWER_BY.get()
    wait = 0.0 if answer_by is None else answer_by - asyncio.get_running_loop().time()
    await asyncio.sleep(max(0.0, wait) + _NEVER_ANSWERED_SLACK_S)
    raise ProjectError("the formatter never answered")  # after the 408: nobody reads it


@dataclass
class ToolRunner:
    """Runs one formatter command in the project as ``system.exec`` runs a command (own process
    group, on record until collected, killed on cancel, output kept up to the server's cap)."""

    exec: ExecContext

    async def run(self, argv: Sequence[str], timeout_s: float = 0) -> Outcome | None:
        """The outcome, or None when the program is not installed."""
        opts = ExecOptions(command=argv[0], args=tuple(argv[1:]), timeout_s=timeout_s)
        cmd = self.exec.prepare(opts)  # never a bash script: every formatter passes arguments
        try:
            proc = await self.exec.start(cmd, opts)
        except SpawnFailed:
            return None
        return await proc.wait()


class TempFile:
    """A temporary file as Node's ``tmp.file`` makes it: ``$TMPDIR/tmp-XXXX<postfix>``."""

    def __init__(self, content: str | None = None, postfix: str = "") -> None:
        fd, self.path = tempfile.mkstemp(prefix="tmp-", suffix=postfix)
        with os.fdopen(fd, "wb") as fh:
            if content is not None:
                fh.write(jsjson.well_formed(content).encode("utf-8"))

    def read(self) -> str:
        with open(self.path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except OSError:
            pass


def add_context(text: str, stderr: str) -> str:
    """python-format.ts ``addContext``: the lines around the line yapf complains about."""
    match = re.search(r":(\d+):", stderr)
    if match is None:
        return ""
    line_num = int(match.group(1))
    lines = text.split("\n")
    first = max(0, line_num - 3)
    before = "\n".join(
        f"  {first + 1 + i} | {x}" for i, x in enumerate(lines[first : max(0, line_num - 1)])
    )
    n = first + len(lines[first : max(0, line_num - 1)]) + 1
    at_line = lines[line_num - 1] if 0 < line_num <= len(lines) else "undefined"
    at = f"> {n} | {at_line}"
    after = "\n".join(f"  {n + 1 + i} | {x}" for i, x in enumerate(lines[line_num : line_num + 2]))
    return f"Error occurred at line {line_num}:\n\n{before}\n{at}\n{after}"


async def python_format(text: str, options: Mapping[str, Any], runner: ToolRunner) -> str:
    """python-format.ts: ``yapf -i`` on a temporary file."""
    util = options.get("util") or "yapf"
    tmp = TempFile(text)
    try:
        if util != "yapf":
            raise ProjectError("This project only supports 'yapf' for formatting Python")
        outcome = await runner.run([*YAPF, "-i", tmp.path])
        if outcome is None:
            raise not_installed(util)
        if outcome.exit_code:
            out = outcome.stdout.strip()
            raise ProjectError(
                f'Python formatter "{util}" exited with code {outcome.exit_code}:'
                f"{chr(10) + out if out else ''}\n{outcome.stderr.strip()}\n"
                f"{add_context(text, outcome.stderr)}'"
            )
        return tmp.read()
    finally:
        tmp.remove()


async def latex_format(text: str, options: Mapping[str, Any], runner: ToolRunner) -> str:
    """latex-format.ts: ``latexindent`` prints the result; tabs become spaces, blank lines empty."""
    tmp = TempFile(text, ".tex")
    try:
        outcome = await runner.run(["latexindent", tmp.path])
        if outcome is None:
            await never_answers()
        if outcome.exit_code:
            raise ProjectError(f"latexindent exited with code {outcome.exit_code}")
        output = outcome.stdout
        if not options.get("useTabs"):
            tab_width = options.get("tabWidth")
            output = output.replace("\t", " " * (2 if tab_width is None else int(tab_width)))
        return "\n".join(line if re.search(r"\S", line) else "" for line in output.split("\n"))
    finally:
        tmp.remove()


async def r_format(text: str, runner: ToolRunner) -> str:
    """r-format.ts: formatR's ``tidy_source`` in place."""
    tmp = TempFile(text)
    try:
        expr = (
            f'suppressMessages(require(formatR)); tidy_source(source="{tmp.path}", '
            f'file="{tmp.path}", indent=2, width.cutoff=80)'
        )
        outcome = await runner.run(["R", "--quiet", "--vanilla", "--no-save", "-e", expr])
        if outcome is None:
            await never_answers()
        if outcome.exit_code:
            raise ProjectError(outcome.stderr)
        return tmp.read()
    finally:
        tmp.remove()


async def xml_format(text: str, runner: ToolRunner) -> str:
    """xml-format.ts: ``tidy -xml`` in place; exit code 1 means warnings only."""
    tmp = TempFile(text)
    try:
        args = [
            "-modify", "-xml", "--indent", "yes", "--vertical-space", "yes",
            "--indent-spaces", "2", "--wrap", "80", "--sort-attributes", "alpha",
            "--quiet", "yes", "--write-back", "yes", "--show-warnings", "no",
            "--tidy-mark", "no", tmp.path,
        ]  # fmt: skip
        outcome = await runner.run(["tidy", *args], timeout_s=15)
        if outcome is None or outcome.killed:
            raise ProjectError("XML formatter broken or not available. Is 'xml-tidy' installed?")
        if outcome.exit_code >= 2:
            raise ProjectError(
                f'XML formatter "xml-tidy" exited with code {outcome.exit_code}\n'
                f"Output:\n{outcome.stdout}\n{outcome.stderr}"
            )
        return tmp.read()
    finally:
        tmp.remove()


async def bib_format(text: str, runner: ToolRunner) -> str:
    """bib-format.ts: ``biber --tool`` writes the formatted file elsewhere."""
    source, target = TempFile(text), TempFile()
    try:
        args = [
            "--tool", "--output-align", "--output-indent=2", "--output-fieldcase=lower",
            "--output-file", target.path, source.path,
        ]  # fmt: skip
        outcome = await runner.run(["biber", *args], timeout_s=20)
        if outcome is None or outcome.killed:
            raise ProjectError(
                "Bibtex formatter broken or not available. Is 'bib-biber' installed?"
            )
        if outcome.exit_code >= 1:
            raise ProjectError(
                f'Bibtex formatter "bib-biber" exited with code {outcome.exit_code}\n'
                f"Output:\n{outcome.stdout}\n{outcome.stderr}"
            )
        return target.read()
    finally:
        source.remove()
        target.remove()


async def clang_format(text: str, path: str, options: Mapping[str, Any], runner: ToolRunner) -> str:
    """clang-format.ts: Google style with the tab width; the file extension picks the language."""
    tmp = TempFile(text, f".{nodepath.filename_extension(path)}")
    try:
        indent = options.get("tabWidth") or 2
        style = f"-style={{BasedOnStyle: google, IndentWidth: {indent}}}"
        argv = ["clang-format", "--sort-includes=0", "-i", style, tmp.path]
        outcome = await runner.run(argv)
        if outcome is None:
            await never_answers()
        if outcome.exit_code >= 1:
            raise ProjectError(
                f'C/C++ code formatting utility "clang-format" exited with code '
                f"{outcome.exit_code}\nOutput:\n{outcome.stdout}\n{outcome.stderr}"
            )
        return tmp.read()
    finally:
        tmp.remove()


async def gofmt(text: str, runner: ToolRunner) -> str:
    """gofmt.ts: ``gofmt -w``; the temporary file's name is cut from the error lines."""
    tmp = TempFile(text)
    try:
        outcome = await runner.run(["gofmt", "-w", tmp.path])
        if outcome is None:
            await never_answers()
        if outcome.exit_code >= 1:

            def clean(out: str) -> str:
                return "\n".join(
                    line[len(tmp.path) + 1 :] if line.startswith(tmp.path) else line
                    for line in out.split("\n")
                )

            raise ProjectError(
                f'Gofmt code formatting utility "gofmt" exited with code {outcome.exit_code}\n'
                f"Output:\n{clean(outcome.stdout)}\n{clean(outcome.stderr)}"
            )
        return tmp.read()
    finally:
        tmp.remove()


async def rust_format(text: str, parser: str, runner: ToolRunner) -> str:
    """rust-format.ts: ``rustfmt`` in place; lines naming the temporary file are dropped."""
    if parser != "rustfmt":
        # The real switch only knows "rustfmt", so the documented "rust" always fails.
        raise ProjectError(f"Unknown Rust code formatting utility '{parser}'")
    tmp = TempFile(text)
    try:
        outcome = await runner.run(["rustfmt", tmp.path])
        if outcome is None:
            await never_answers()
        if outcome.exit_code >= 1:

            def clean(out: str) -> str:
                return "\n".join(line for line in out.split("\n") if tmp.path not in line)

            parts = [clean(outcome.stdout), clean(outcome.stderr)]
            raise ProjectError("\n".join(p for p in parts if p))
        return tmp.read()
    finally:
        tmp.remove()


async def zig_format(text: str, runner: ToolRunner) -> str:
    """generic-format.ts: ``zig fmt`` in place, within 30 s."""
    tmp = TempFile(text)
    try:
        outcome = await runner.run(["zig", "fmt", tmp.path], timeout_s=GENERIC_CLOSE_TIMEOUT_S)
        if outcome is None:
            # No listener for spawn's "error" event, so "close" never fires: once() times out.
            await asyncio.sleep(GENERIC_CLOSE_TIMEOUT_S)
        if outcome is None or outcome.killed:
            raise ProjectError('once: timeout of 30000ms waiting for "close"')
        if outcome.exit_code:
            raise ProjectError(outcome.stderr)
        return tmp.read()
    finally:
        tmp.remove()


async def format_string(
    text: str, options: Mapping[str, Any], path: str | None, runner: ToolRunner
) -> str:
    """The ``editor.formatterString`` method: ``text`` formatted by ``options["parser"]``."""
    parser = options.get("parser")
    if parser in ("latex", "latexindent"):
        return await latex_format(text, options, runner)
    if parser in ("python", "yapf"):
        return await python_format(text, options, runner)
    if parser == "zig":
        return await zig_format(text, runner)
    if parser in ("r", "formatR"):
        return await r_format(text, runner)
    if parser == "xml-tidy":
        return await xml_format(text, runner)
    if parser == "bib-biber":
        return await bib_format(text, runner)
    if parser == "clang-format":
        return await clang_format(text, path or "", options, runner)
    if parser == "gofmt":
        return await gofmt(text, runner)
    if parser in ("rust", "rustfmt"):
        return await rust_format(text, str(parser), runner)
    # Everything else is handed to prettier in the real service.
    if parser in PRETTIER_PARSERS:
        raise ProjectError("Could not load 'prettier'")
    # prettier's ConfigError, thrown as an object whose name is "ConfigError".
    raise WireError(f'ConfigError: Couldn\'t resolve parser "{parser}".')
