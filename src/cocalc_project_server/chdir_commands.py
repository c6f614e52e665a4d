"""The code that moves a kernel into a folder, per kernel language, as the real service sends
it (src/packages/util/jupyter-api/chdir-commands.ts). Quoting follows that file, including its
weak spots (a bash path is backslash-escaped inside single quotes)."""

from __future__ import annotations

import re


def _escape(path: str, *specials: str) -> str:
    """Backslashes doubled first, then each special character preceded by a backslash."""
    path = path.replace("\\", "\\\\")
    for char in specials:
        path = path.replace(char, "\\" + char)
    return path


def chdir_command(language: str, path: str) -> str:
    """Code for ``language`` that changes to ``path``; "" if the language has no folders.

    Raises ``ValueError`` with the real service's text for a language it does not know.
    """
    lang = language.lower()
    if lang == "sparql":
        return ""
    if lang.startswith(("python", "sage")):
        return f"import os; os.chdir('{_escape(path, chr(39))}')"
    if lang == "r":
        return f'setwd("{_escape(path, chr(34))}")'
    if lang == "julia":
        return f'cd("{_escape(path, chr(34))}")'
    if lang in ("octave", "matlab"):
        return f"cd('{_escape(path, chr(39))}')"
    if lang == "javascript":
        return f"process.chdir(`{_escape(path, '`')}`)"
    if lang in ("bash", "sh"):
        escaped = re.sub(r"([\"'$`\\])", r"\\\1", path)
        return f"cd '{escaped}'"
    if lang == "prolog":
        return f"working_directory(_, '{_escape(path, chr(39))}')."
    if lang == "c" or lang.startswith("c++"):
        return f'#include <unistd.h>\nchdir("{_escape(path, chr(34))}")\n'
    raise ValueError(f"unable to change directory: chdir for language {lang} is not implemented.")
