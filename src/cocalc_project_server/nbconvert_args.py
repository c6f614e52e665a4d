"""Keeping ``editor.jupyterNbconvert``'s file arguments inside the project folder (a deliberate
difference: the real project runs nbconvert with whatever arguments it is given).

The arguments are read as nbconvert reads them, with traitlets' own command-line loader and
nbconvert's options, so ``--execute`` is known to take no value and the argument after it to be
a notebook, and an abbreviation such as ``--output-d`` means ``--output-dir`` as it does there.
Then every notebook (its name, and each file its wildcards match, as nbconvert expands them)
must resolve inside the project folder, and so must every other value (``--output``,
``--output-dir``, ``--template``, ``--template-file``, ``--config``, any ``--Class.trait=value``
setting, and each string of a value traitlets reads as a Python literal), taken as a path from
the working folder and from each folder nbconvert may write in (``--output-dir`` and each
notebook's folder), ``{notebook_name}`` filled in. Settings named ``*url*`` are addresses, not
paths. An option nbconvert does not have is refused (nbconvert ignores it with a warning).

This checks paths before nbconvert starts; it is no sandbox: with ``--execute`` (or a config
file, or an exporter class of one's own) nbconvert runs code, which reaches whatever ``exec``
can.
"""

from __future__ import annotations

import ast
import glob
import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from traitlets.config.loader import ArgumentError, KVArgParseConfigLoader

from .errors import ProjectError
from .paths import confine

# nbconvert 7's command line: nbconvert/nbconvertapp.py (nbconvert_aliases, nbconvert_flags)
# with jupyter_core/application.py (base_aliases, base_flags), traitlets' Application's included.
ALIASES = {
    "log-level": "Application.log_level",
    "config": "JupyterApp.config_file",
    "to": "NbConvertApp.export_format",
    "template": "TemplateExporter.template_name",
    "template-file": "TemplateExporter.template_file",
    "theme": "HTMLExporter.theme",
    "sanitize_html": "HTMLExporter.sanitize_html",
    "writer": "NbConvertApp.writer_class",
    "post": "NbConvertApp.postprocessor_class",
    "output": "NbConvertApp.output_base",
    "output-dir": "FilesWriter.build_directory",
    "reveal-prefix": "SlidesExporter.reveal_url_prefix",
    "nbformat": "NotebookExporter.nbformat_version",
}
FLAGS = (
    "debug",
    "show-config",
    "show-config-json",
    "generate-config",
    "y",
    "execute",
    "allow-errors",
    "stdin",
    "stdout",
    "inplace",
    "clear-output",
    "coalesce-streams",
    "no-prompt",
    "no-input",
    "allow-chromium-download",
    "disable-chromium-sandbox",
    "show-input",
    "embed-images",
    "sanitize-html",
)
# traitlets' Application.parse_command_line: with one of these (before "--") it prints and
# exits, touching no file.
_PRINT_ONLY = ("-h", "--help", "--help-all", "--version", "-V")
_NAME = "{notebook_name}"
# Settings that name a place inside the output folder, not the working folder
# (nbconvertapp.py: output_base, output_files_dir).
_IN_OUTPUT_FOLDER = ("output_base", "output_files_dir")

_log = logging.getLogger(__name__)


class _Unparsable(Exception):
    """Arguments nbconvert itself refuses, with its own usage text."""


def _unparsable(message: str) -> NoReturn:
    raise _Unparsable(message)


class _Loader(KVArgParseConfigLoader):
    """traitlets' loader, raising where nbconvert would warn, or print usage and exit."""

    def _create_parser(self) -> None:
        super()._create_parser()
        self.parser.error = _unparsable  # type: ignore[method-assign]

    def _handle_unrecognized_alias(self, arg: str) -> None:
        raise ProjectError(f"nbconvert has no option '--{arg}' (the local server refuses it)")


def parse(args: Sequence[str]) -> tuple[dict[str, Any], list[str]] | None:
    """``(settings, notebooks)`` as nbconvert reads ``args``: the settings by class and trait,
    the notebook patterns in order; None if nbconvert refuses them itself."""
    # A flag's own settings do not matter here: they name no file (nbconvertapp.py).
    flags: dict[str, Any] = {name: ({}, "") for name in FLAGS}
    loader = _Loader(list(args), aliases=dict(ALIASES), flags=flags, log=_log, add_help=False)
    try:
        config = loader.load_config()
    except (_Unparsable, ArgumentError):
        return None
    settings = {section: dict(traits) for section, traits in config.items()}
    return settings, list(loader.extra_args)


def _strings(value: Any) -> Iterator[str]:
    """Every string in ``value``, including those of a Python literal traitlets would read."""
    if isinstance(value, str):
        yield value
        try:
            literal = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return
        if not isinstance(literal, str) or literal != value:
            yield from _strings(literal)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def _matches(pattern: str, cwd: str) -> list[str]:
    """What nbconvert's ``init_notebooks`` globs ``pattern`` to (recursive: a superset)."""
    found = []
    for candidate in (pattern, pattern + ".ipynb"):
        found += glob.glob(candidate, root_dir=cwd, recursive=True)
    return [os.path.join(cwd, match) for match in found]


def _stem(path: str) -> str:
    # nbconvertapp.py _notebook_filename_to_name (without a dot it drops the last character).
    base = os.path.basename(path)
    return base[: base.rfind(".")]


def check_nbconvert_args(args: Sequence[str], cwd: str, root: str) -> None:
    """Refuse ``args`` (after ``nbconvert``) unless every file they name is inside ``root``;
    ``cwd`` is the folder nbconvert runs in (already confined)."""
    head = list(args[: args.index("--")]) if "--" in args else list(args)
    if any(arg in _PRINT_ONLY for arg in head):
        return
    parsed = parse(args)
    if parsed is None:
        # nbconvert's own parser (the same traitlets, the same options) refuses them before
        # it touches a file, and says why on stderr, as in the real project.
        return
    settings, patterns = parsed
    patterns += [
        pattern for traits in settings.values() for pattern in _strings(traits.get("notebooks", []))
    ]
    notebooks = []
    for pattern in patterns:
        confine(root, pattern, cwd)
        for match in _matches(pattern, cwd):
            confine(root, match, cwd)
            notebooks.append(match)
    # Where output goes: --output-dir, else each notebook's folder (writers/files.py).
    outputs = [cwd, *(os.path.dirname(notebook) for notebook in notebooks)]
    for traits in settings.values():
        outputs += [os.path.join(cwd, d) for d in _strings(traits.get("build_directory", []))]
    stems = sorted({_stem(notebook) for notebook in notebooks}) or [_NAME]
    for traits in settings.values():
        for trait, value in traits.items():
            if trait == "notebooks" or "url" in trait:
                continue
            bases = outputs if trait in _IN_OUTPUT_FOLDER else [cwd]
            for text in _strings(value):
                for name in {text.replace(_NAME, stem) for stem in stems}:
                    for base in bases:
                        confine(root, name, base)


def check_paths(args: Sequence[str], cwd: str, root: str) -> None:
    """Refuse any argument of a converter other than nbconvert (``smc-ipynb2sagews``) that,
    taken as a path from ``cwd``, leads outside ``root``."""
    for arg in args:
        if not arg.startswith("-"):
            confine(root, arg, cwd)
