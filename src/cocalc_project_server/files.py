"""``system.*`` file and process methods, ``editor.newFile``, ``editor.jupyterStripNotebook`` and
``sync.close``: real files under the project folder, as src/packages/project/conat/api/system.ts
and its helpers treat them.

Each method receives the wire ``args`` spread, already checked against the spec (except
``system.configuration``). Paths are checked against the project folder first
(:mod:`.fileconfine`, for the error texts), then opened through :mod:`.beneath`, which never
leaves it whatever changes meanwhile; filesystem work runs in worker threads so the event loop
stays free.
"""

from __future__ import annotations

import asyncio
import errno
import os
import stat
import sys
from collections.abc import Mapping
from typing import Any

from . import fileops, jsjson, nodepath
from .beneath import Beneath
from .capabilities import ASPECTS, ProjectConfiguration
from .config import DEFAULT_MAX_READ_BYTES
from .dispatch import checked_args
from .errors import ProjectError, WireError
from .exec_ import ProcessRegistry
from .fileconfine import confine_entry, confine_lexical
from .filetext import FileText, read_limited
from .listing import list_folder
from .nodeerrors import fs_error
from .paths import confine
from .registry import handles
from .removal import remove_all
from .signals import send_signals

# system.version: the smc-version of the CoCalc source this server follows
# (src/packages/util/smc-version.js). The real one is the build's timestamp in seconds.
SERVER_VERSION = 1783081032


# How node's writeFile opens a file ("w"): created (mode 0666 less the umask) or truncated.
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def _enoent() -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))


def _fs_path(path: str) -> str:
    """``path`` as node hands it to the filesystem: a lone surrogate (JSON allows ``"\\udcff"``)
    becomes U+FFFD, and a NUL byte is refused with node's error."""
    if "\x00" in path:
        shown = path.replace("\\", "\\\\").replace("'", "\\'").replace("\x00", "\\x00")
        raise WireError(
            "TypeError [ERR_INVALID_ARG_VALUE]: The argument 'path' must be a string, "
            f"Uint8Array, or URL without null bytes. Received '{shown}'"
        )
    return jsjson.well_formed(path)


def _read_bytes(beneath: Beneath, target: str, shown: str) -> bytes:
    """The bytes of ``target``; errors as node's ``readFile(shown)`` words them."""
    try:
        with open(beneath.open(target, os.O_RDONLY), "rb") as file:
            return file.read()
    except IsADirectoryError:
        # node opens a folder fine and fails on reading it, with no path in the message.
        raise ProjectError("EISDIR: illegal operation on a directory, read") from None
    except OSError as exc:
        raise fs_error(exc, "open", shown) from None


def _strip_outputs(notebook: Any) -> None:
    """Empty every cell's outputs and drop its attachments, in place
    (src/packages/jupyter/nbgrader/jupyter-parse.ts), with its JavaScript failures."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if cells is None:
        return
    if isinstance(cells, str):
        return  # a string iterates as characters, which have no outputs
    if not isinstance(cells, list):
        raise WireError("TypeError: obj.cells is not iterable")
    for cell in cells:
        if cell is None:
            raise WireError("TypeError: Cannot read properties of null (reading 'outputs')")
        if not isinstance(cell, dict):
            continue
        if cell.get("outputs") is not None:
            cell["outputs"] = []
        if cell.get("attachments") is not None:
            del cell["attachments"]


class ProjectFiles:
    """The project's folder (HOME) and the processes it started."""

    def __init__(
        self,
        root: str,
        env: Mapping[str, str],
        processes: ProcessRegistry,
        *,
        max_read_bytes: int = DEFAULT_MAX_READ_BYTES,
    ) -> None:
        self._root = root
        self._beneath = Beneath(root)
        self._max_read_bytes = max_read_bytes
        self._env = env
        self._processes = processes
        self._configuration = ProjectConfiguration(env)

    def _from_home(self, path: str) -> str:
        """``path`` as the project process opens it: relative to its working folder, HOME.

        Not normalized: the kernel resolves ``a/..`` (and fails if ``a`` is missing), as there.
        """
        path = path if path.startswith("/") else os.path.join(self._root, path)
        confine(self._root, path)
        return path

    def _joined(self, path: str) -> str:
        """node's ``path.join(HOME, path)`` for a relative path; an absolute one unchanged."""
        return path if path.startswith("/") else nodepath.join(self._root, path)

    # -- system.* ----------------------------------------------------------------------------

    @handles("system.version")
    async def version(self, *args: Any) -> int:
        return SERVER_VERSION

    @handles("system.listing")
    async def listing(self, options: dict[str, Any], *args: Any) -> list[dict[str, Any]]:
        # get-listing.ts: joined onto HOME even when absolute.
        folder = nodepath.join(self._root, _fs_path(options["path"]))
        confine(self._root, folder)
        hidden = bool(options.get("hidden"))
        return await asyncio.to_thread(list_folder, self._beneath, folder, hidden)

    @handles("system.deleteFiles")
    async def delete_files(self, options: dict[str, Any], *args: Any) -> None:
        # backend/files/delete-files.ts; rimraf resolves each path first.
        targets = [nodepath.resolve("/", self._joined(_fs_path(p))) for p in options["paths"]]
        for target in targets:
            confine_entry(self._root, target)
        doomed = [nodepath.resolve("/", v) for t in targets for v in fileops.deleted_variations(t)]
        await asyncio.to_thread(remove_all, self._beneath, doomed)

    @handles("system.moveFiles")
    async def move_files(self, options: dict[str, Any], *args: Any) -> None:
        # backend/files/move-files.ts: `dest` is a folder ("" is HOME).
        dest = _fs_path(options["dest"])
        folder = self._root if dest == "" else self._joined(dest)
        if not folder.endswith("/"):
            folder += "/"
        moves = [
            (src, folder + nodepath.path_split(src)[1])
            for src in (self._joined(_fs_path(p)) for p in options["paths"])
        ]
        await asyncio.to_thread(self._move_all, moves)

    @handles("system.renameFile")
    async def rename_file(self, options: dict[str, Any], *args: Any) -> None:
        # backend/files/rename-file.ts
        src, dest = _fs_path(options["src"]), _fs_path(options["dest"])
        if src == dest:
            return
        await asyncio.to_thread(self._move_all, [(self._joined(src), self._joined(dest))])

    def _move_all(self, moves: list[tuple[str, str]]) -> None:
        """Each move with its companions (decided before anything moves), one after another."""
        planned: list[tuple[str, str]] = []
        for src, dest in moves:
            planned.append((src, dest))
            planned.extend(fileops.moved_companions(src, dest))
        for src, dest in planned:
            confine_entry(self._root, src, may_be_root=True)
            confine_entry(self._root, dest)
        for src, dest in planned:
            fileops.move(self._beneath, src, dest)

    @handles("system.realpath")
    async def realpath(self, path: str, *args: Any) -> str:
        # browser-websocket/realpath.ts: HOME + "/" + path, not normalized.
        full = f"{self._root}/{_fs_path(path)}"
        confine_lexical(self._root, full)
        resolved = await asyncio.to_thread(self._resolve, full)
        if resolved == full or not resolved.startswith(self._root + "/"):
            return path
        return resolved[len(self._root) + 1 :]

    @staticmethod
    def _resolve(path: str) -> str:
        """``fs.realpath(path)``: every link resolved; the path must exist."""
        try:
            os.stat(path)
        except OSError as exc:
            raise fs_error(exc, "realpath", path) from None
        return os.path.realpath(path)

    @handles("system.canonicalPaths")
    async def canonical_paths(self, paths: list[str], *args: Any) -> list[str]:
        # browser-websocket/canonical-path.ts. Only names are computed here, so paths outside
        # the project are answered like the real one does, not refused.
        home = os.path.realpath(self._env.get("HOME", self._root))
        answers: list[str] = []
        for path in paths:
            real = await asyncio.to_thread(
                self._resolve, nodepath.resolve(self._root, _fs_path(path))
            )
            # A plain prefix test, as the real one (a sibling "/home/user2" counts as inside).
            if real.startswith(home):
                answers.append(real[len(home) + 1 :])
            else:
                answers.append(f"{home}/.smc/root{real}")
        return answers

    @handles("system.writeTextFileToProject")
    async def write_text_file(self, options: dict[str, Any], *args: Any) -> None:
        path, content = _fs_path(options["path"]), options["content"]
        if path == "":
            raise fs_error(_enoent(), "open", path)
        target = self._from_home(path)
        # ensure-containing-directory-exists.ts: abspath(), then its parent with mode 0700.
        absolute = path if path.startswith("/") else self._joined(path).replace("/./", "/")
        parent = nodepath.path_split(absolute)[0]
        if parent:
            confine(self._root, parent)
        data = jsjson.well_formed(content).encode("utf-8")
        await asyncio.to_thread(self._write, parent, target, path, data)

    def _write(self, parent: str, target: str, shown: str, data: bytes) -> None:
        if parent:
            fileops.ensure_folder(self._beneath, parent)
        try:
            with open(self._beneath.open(target, _WRITE), "wb") as file:
                file.write(data)
        except OSError as exc:
            raise fs_error(exc, "open", shown) from None

    @handles("system.readTextFileFromProject")
    async def read_text_file(self, options: dict[str, Any], *args: Any) -> FileText:
        path = _fs_path(options["path"])
        if path == "":
            raise fs_error(_enoent(), "open", path)
        target = self._from_home(path)
        limit = self._max_read_bytes
        data = await asyncio.to_thread(read_limited, self._beneath, target, path, limit)
        return FileText(data)  # the app sends it as a JSON string, encoded piece by piece

    # An object instead of the aspect silently answers null in the real service.
    @handles("system.configuration", lenient=True)
    async def configuration(self, *args: Any) -> dict[str, Any] | None:
        # Unchecked arguments: configuration.ts answers undefined (null) for any aspect but
        # "main" and "x11", an object included. Other misuse is refused with the spec's rule.
        aspect = args[0] if args else None
        if isinstance(aspect, dict) or (isinstance(aspect, str) and aspect not in ASPECTS):
            return None
        checked = checked_args("system.configuration", list(args))
        no_cache = len(checked) > 1 and checked[1] is True
        return await self._configuration.get(checked[0], no_cache)

    @handles("system.signal")
    async def signal(self, options: dict[str, Any], *args: Any) -> None:
        # conat/api/system.ts: `pid` first, then each of `pids`; the last failure is thrown.
        targets = [options["pid"]] if options.get("pid") is not None else []
        targets += options.get("pids") or []
        await asyncio.to_thread(
            send_signals,
            options["signal"],  # a number or a name; node's checks are in send_signals
            targets,
            self._processes.started_sessions,
            self._processes.runtime.helper_pids(),
        )

    # -- editor.* and sync.* -----------------------------------------------------------------

    @handles("editor.newFile")
    async def new_file(self, path: str, *args: Any) -> None:
        # backend/misc/new-file.ts
        if not path:
            return
        target = self._joined(_fs_path(path))
        confine(self._root, target)
        await asyncio.to_thread(self._create, target)

    def _create(self, target: str) -> None:
        if self._exists(target):
            return
        parent = nodepath.path_split(target)[0]
        if parent:
            fileops.ensure_folder(self._beneath, parent)
        extension = nodepath.filename_extension(target)
        # The real project also looks in CoCalc's own templates, which are not shipped here.
        platform = sys.platform.lower()
        template = nodepath.join(self._root, "templates", platform, f"default.{extension}")
        if self._exists(template):
            confine(self._root, template)
            try:
                self._copy_file(template, target)
            except OSError as exc:
                raise fs_error(exc, "copyfile", template, target) from None
            return
        try:
            os.close(self._beneath.open(target, _WRITE))
        except OSError as exc:
            raise fs_error(exc, "open", target) from None

    def _exists(self, path: str) -> bool:
        """node's ``exists`` (links followed), inside the project folder only."""
        try:
            self._beneath.stat(path)
        except OSError:
            return False
        return True

    def _copy_file(self, src: str, dest: str) -> None:
        """``fs.copyFile(src, dest)``: the contents, and the mode as libuv's copyfile sets it."""
        with (
            open(self._beneath.open(src, os.O_RDONLY), "rb") as source,
            open(self._beneath.open(dest, _WRITE), "wb") as copy,
        ):
            while chunk := source.read(1024 * 1024):
                copy.write(chunk)
            os.chmod(copy.fileno(), stat.S_IMODE(os.fstat(source.fileno()).st_mode))

    @handles("editor.jupyterStripNotebook")
    async def jupyter_strip_notebook(self, path: str, *args: Any) -> str:
        if path == "":
            raise fs_error(_enoent(), "open", path)
        target = self._from_home(_fs_path(path))
        return await asyncio.to_thread(self._strip, target, path)

    def _strip(self, target: str, shown: str) -> str:
        notebook = jsjson.parse(
            _read_bytes(self._beneath, target, shown).decode("utf-8", "replace")
        )
        _strip_outputs(notebook)
        return jsjson.stringify(notebook)

    @handles("sync.close")
    async def sync_close(self, *args: Any) -> None:
        return None  # project/conat/api/sync.ts: a no-op (it only logs)
