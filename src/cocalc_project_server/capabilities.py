"""``system.configuration``: which tools the project has, found the way
src/packages/project/configuration.ts finds them (executables on PATH, with ``~/bin`` and
``~/.local/bin`` first).

Answers are cached per aspect until ``no_cache``; the ``main`` capabilities are additionally
reused for 15 s even with ``no_cache``, and concurrent calls share one computation, as in the
real project.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .nodeerrors import fs_error

ASPECTS = ("main", "x11")
# configuration.ts: SHORT_CAPABILITIES_CACHE_MS
SHORT_CACHE_S = 15.0
# src/packages/comm/project-configuration.ts
LIBRARY_INDEX_FILE = "/ext/library/cocalc-examples/index.json"
SAGE_VERSION_TIMEOUT_S = 60.0

# Formatter name -> the executable that tells whether it is there: the distinct tools of
# syntax2tool (src/packages/util/code-formatter.ts) in its order, then the extra Python ones.
# "xml-tidy" is left out there; "tidy" is checked on its own; "prettier" is always there.
FORMATTERS = {
    "clang-format": "clang-format",
    "prettier": "prettier",
    "bib-biber": "biber",
    "css": "css",
    "gofmt": "gofmt",
    "html": "html",
    "babel": "babel",
    "json": "json",
    "latex": "latex",
    "markdown": "markdown",
    "python": "python",
    "formatR": "R",
    "rustfmt": "rustfmt",
    "typescript": "typescript",
    "yaml": "yaml",
    "zig": "zig",
    "yapf3": "yapf3",
    "black": "black",
    "autopep8": "autopep8",
    "tidy": "tidy",
}

# X11 application -> its executable (src/packages/comm/x11-apps.ts; the name unless `command`).
X11_APPS = {
    "unknown_test": "unknown_test",
    "drracket": "drracket",
    "emacs": "emacs",
    "gvim": "gvim",
    "inkscape": "inkscape",
    "gimp": "gimp",
    "krita": "krita",
    "vscode": "code",
    "terminal": "gnome-terminal",
    "firefox": "firefox",
    "gitk": "gitk",
    "gitg": "gitg",
    "idle": "idle",
    "okular": "okular",
    "libreoffice": "libreoffice",
    "lowriter": "lowriter",
    "localc": "localc",
    "loimpress": "loimpress",
    "nteract": "nteract",
    "wxmaxima": "wxmaxima",
    "rstudio": "rstudio",
    "octave": "octave-gui",
    "texmacs": "texmacs",
    "texstudio": "texstudio",
    "openmodelica": "OMEdit",
    "pspp": "psppire",
    "gnumeric": "gnumeric",
    "scribus": "scribus",
    "spyder": "spyder",
    "gchempaint": "gchempaint",
    "diffpdf": "diffpdf",
    "massif-visualizer": "massif-visualizer",
    "kcachegrind": "kcachegrind",
    "dia": "dia",
    "pycharm": "pycharm.sh",
    "intellij": "idea.sh",
    "avogadro": "avogadro",
    "shotwell": "shotwell",
    "evince": "evince",
    "calibre": "calibre",
    "qgis": "qgis",
    "grass": "grass",
    "ds9": "ds9",
    "xcas": "xcas",
    "gnome-system-monitor": "gnome-system-monitor",
    "gedit": "gedit",
    "scilab": "scilab",
    "cadabra2": "cadabra2-gtk",
    "vqe-playground": "vqe-playground",
    "kbibtex": "kbibtex",
    "texmaker": "texmaker",
    "zotero": "zotero",
    "jurism": "jurism",
    "xfractint": "xfractint",
    "sqlitebrowser": "sqlitebrowser",
}

_SAGE_VERSION = re.compile(r"version ([\d+.]+[\d+])")


def _now_iso() -> str:
    """A JavaScript Date as JSON: ISO 8601 in UTC with milliseconds and ``Z``."""
    now = datetime.now(UTC)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _js_parse_int(text: str) -> int | None:
    """JavaScript's ``parseInt``: leading digits, ``NaN`` (here None, JSON null) without any."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else None


class ProjectConfiguration:
    """The ``main`` and ``x11`` configurations of one project."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        home = env.get("HOME", "/home/user")
        self._path = ":".join([f"{home}/bin", f"{home}/.local/bin", env.get("PATH", "")])
        self._cache: dict[str, dict[str, Any]] = {}
        self._in_flight: dict[tuple[str, bool], asyncio.Future[dict[str, Any]]] = {}
        self._short: tuple[float, dict[str, Any] | None, BaseException | None] | None = None

    async def get(self, aspect: str, no_cache: bool) -> dict[str, Any]:
        """The configuration of ``aspect`` (one of :data:`ASPECTS`)."""
        cached = self._cache.get(aspect)
        if cached is not None and not no_cache:
            return cached
        key = (aspect, no_cache)
        running = self._in_flight.get(key)
        if running is None:
            running = asyncio.ensure_future(self._compute(aspect))
            self._in_flight[key] = running
            running.add_done_callback(lambda _: self._in_flight.pop(key, None))
        # Shielded: a caller that gives up must not cancel the others' computation.
        return await asyncio.shield(running)

    async def _compute(self, aspect: str) -> dict[str, Any]:
        timestamp = _now_iso()
        if aspect == "main":
            capabilities = await self._main_capabilities()
        else:
            capabilities = await asyncio.to_thread(self._x11_apps)
        result = {"timestamp": timestamp, "capabilities": capabilities}
        self._cache[aspect] = result
        return result

    async def _main_capabilities(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._short is not None and now - self._short[0] <= SHORT_CACHE_S:
            _, caps, error = self._short
            if error is not None:
                raise error
            if caps is not None:
                return caps
        try:
            caps = await asyncio.to_thread(self._probe_main)
        except Exception as exc:
            self._short = (now, None, exc)
            raise
        self._short = (now, caps, None)
        return caps

    def _have(self, name: str) -> bool:
        return shutil.which(name, path=self._path) is not None

    def _x11_apps(self) -> dict[str, bool]:
        return {app: self._have(command) for app, command in X11_APPS.items()}

    def _probe_main(self) -> dict[str, Any]:
        have = self._have
        hashsums = {name: have(name) for name in ("sha1sum", "sha256sum", "md5sum")}
        formatting = {tool: have(command) for tool, command in FORMATTERS.items()}
        formatting["prettier"] = True  # a library of the real project, always there
        jupyter: bool | dict[str, bool] = False
        if have("jupyter"):
            jupyter = {
                "lab": have("jupyter-lab"),
                "notebook": have("jupyter-notebook"),
                "kernelspec": have("jupyter-kernelspec"),
            }
        latex_tools = all(have(name) for name in ("pdflatex", "latexmk", "synctex"))
        sage = have("sage")
        caps: dict[str, Any] = {
            "jupyter": jupyter,
            "rserver": have("rserver"),
            "formatting": formatting,
            "hashsums": hashsums,
            "latex": hashsums["sha1sum"] and latex_tools,
            "sage": sage,
        }
        version = self._sage_version() if sage else None
        if version is not None:
            caps["sage_version"] = version
        caps |= {
            "x11": have("xpra"),
            "rmd": have("R"),
            "qmd": have("quarto"),
            "jq": have("jq"),
            "spellcheck": have("aspell"),
            "library": os.access(LIBRARY_INDEX_FILE, os.R_OK),
            "sshd": have("/usr/sbin/sshd"),
            "html2pdf": have("chromium-browser") or have("google-chrome"),
            "pandoc": have("pandoc"),
            "vscode": have("code-server"),
            "julia": have("julia"),
            "homeDirectory": self._home_directory(),
        }
        return caps

    def _home_directory(self) -> str | None:
        home = self._env.get("HOME")
        if home is None:
            return None
        try:
            return os.path.realpath(home, strict=True)
        except OSError as exc:
            raise fs_error(exc, "realpath", home) from None

    def _sage_version(self) -> list[int | None] | None:
        """``sage --version`` parsed into numbers; None when it fails (the real one ignores
        that too)."""
        env = {**self._env, "PATH": self._path}
        try:
            done = subprocess.run(
                "sage --version",
                shell=True,
                env=env,
                cwd=self._env.get("HOME"),
                capture_output=True,
                text=True,
                timeout=SAGE_VERSION_TIMEOUT_S,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        match = _SAGE_VERSION.search(done.stdout.strip())
        if match is None or len(match.group(1)) <= 1:
            return None
        return [_js_parse_int(part) for part in match.group(1).split(".")]
