"""``editor.jupyterNbconvert``: run the real ``jupyter nbconvert`` in the project.

Follows src/packages/project/jupyter/convert/index.ts: ``jupyter nbconvert ...`` runs like
``system.exec`` with ``bash: true`` (the project's ``jupyter`` from its PATH, own process group,
``ulimit -t``, killed at the timeout), any non-zero exit becomes ``Error: <stderr>``, and
``--to lab-pdf`` / ``classic-pdf`` convert to HTML and then print it to PDF with headless
Chrome (convert/html-to-pdf.ts).

Unlike there, the files the arguments name must be inside the project folder
(:mod:`.nbconvert_args`); ``--execute`` runs the notebook's code, as ``exec`` runs commands.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import nodepath
from .errors import ProjectError
from .exec_ import ExecContext, run_blocking
from .exec_command import ExecOptions
from .nbconvert_args import check_nbconvert_args, check_paths
from .paths import confine

DEFAULT_TIMEOUT_S = 60.0
PDF_TIMEOUT_S = 30.0
PDF_BROWSERS = ("google-chrome", "chromium-browser")


def sanitize_nbconvert_path(path: str) -> str:
    """Escape glob characters (src/packages/util/sanitize-nbconvert.ts; nbconvert issue 911)."""
    return re.sub(r"([\[*?\]])", r"[\1]", path)


def parse_to(args: Sequence[str]) -> tuple[str | None, int]:
    """The value after the first ``--to`` and that flag's index (convert/util.ts parseTo)."""
    for i, arg in enumerate(args):
        if arg == "--to":
            return (args[i + 1] if i + 1 < len(args) else None), i
    return "", 0


def parse_source(args: Sequence[str]) -> str:
    """The first positional argument; a ``--flag`` without ``=`` consumes the next one."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            if arg != "--" and "=" not in arg:
                i += 1
            i += 1
            continue
        return arg
    raise ProjectError("no source")


@dataclass(frozen=True)
class ConvertPlan:
    """What to run, and the HTML file to print to PDF afterwards (if any)."""

    command: str
    args: tuple[str, ...]
    pdf_from_html: str | None


def plan(args: Sequence[str], directory: str | None) -> ConvertPlan:
    """The command line for ``args``, as convert/index.ts builds it."""
    args = list(args)
    to, j = parse_to(args)
    source = parse_source(args)  # before the arguments are changed for nbconvert
    to_pdf = to in ("lab-pdf", "classic-pdf")
    if to_pdf:
        args[args.index(str(to))] = "html"
        if to == "classic-pdf":
            args = ["--template", "classic", *args]  # the path must stay last
        to = "html"
    if to == "sagews":
        # Its own converter script; drops "--to sagews" and the argument after it.
        return ConvertPlan("smc-ipynb2sagews", tuple(args[:j] + args[j + 3 :]), None)
    full = ["nbconvert", *args]
    full[-1] = sanitize_nbconvert_path(full[-1])
    html = None
    if to_pdf:
        # convert/index.ts: htmlPath(join(directory ?? "", source)), node's join.
        stem, _ = os.path.splitext(nodepath.join(directory or "", source))
        html = stem + ".html"
    return ConvertPlan("jupyter", tuple(full), html)


async def _run(
    command: str,
    args: Sequence[str],
    *,
    path: str | None,
    timeout_s: float,
    ctx: ExecContext,
) -> None:
    opts = ExecOptions(
        command=command,
        args=tuple(args),
        path=path,
        timeout_s=timeout_s,
        bash=True,
        err_on_exit=False,
        ulimit_timeout=True,
    )
    # A timeout raises the exec error "killed command '...'", as in the real service.
    result = await run_blocking(opts, ctx)
    if result["exit_code"] != 0:
        raise ProjectError(result["stderr"])


async def html_to_pdf(html: str, ctx: ExecContext) -> None:
    """Print ``html`` (relative to HOME) to a PDF next to it with headless Chrome."""
    browser = next((b for b in PDF_BROWSERS if shutil.which(b, path=ctx.env.get("PATH"))), None)
    if browser is None:
        raise ProjectError(
            f"one of {' or '.join(PDF_BROWSERS)} must be installed to convert to PDF"
        )
    stem, _ = os.path.splitext(html)
    args = [
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        f"--print-to-pdf={stem}.pdf",
        "--run-all-compositor-stages-before-draw",
        "--disable-dev-shm-usage",
        "--disable-setuid-sandbox",
        f"--virtual-time-budget={int(PDF_TIMEOUT_S * 1000)}",
        html,
    ]
    await _run(browser, args, path=None, timeout_s=PDF_TIMEOUT_S, ctx=ctx)


async def nbconvert(options: Mapping[str, Any], ctx: ExecContext) -> None:
    """The ``editor.jupyterNbconvert`` method (``options`` already checked by the spec)."""
    directory = options.get("directory")
    timeout_s = float(options.get("timeout") or DEFAULT_TIMEOUT_S)
    steps = plan(list(options["args"]), directory)
    # Where it runs: executeCode's `path`, relative to HOME (as exec_command.working_folder).
    cwd = ctx.root if directory is None else confine(ctx.root, directory, ctx.root)
    if steps.command == "jupyter":
        await asyncio.to_thread(check_nbconvert_args, steps.args[1:], cwd, ctx.root)
    else:
        check_paths(steps.args, cwd, ctx.root)
    if steps.pdf_from_html is not None:
        confine(ctx.root, steps.pdf_from_html, ctx.root)
    await _run(
        steps.command,
        steps.args,
        path=directory,
        timeout_s=timeout_s,
        ctx=ctx,
    )
    if steps.pdf_from_html is not None:
        await html_to_pdf(steps.pdf_from_html, ctx)
