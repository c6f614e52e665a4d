"""Opening paths inside the project folder so that no concurrent change can lead outside it.

Checking a path and then using it is a race: in between, another process can swap a folder for
a link to outside (``renameat2(RENAME_EXCHANGE)``) and the operation follows the link. So the
file methods resolve each path here, one component at a time, from a descriptor of the project
folder: every folder is opened relative to the one before it with ``O_NOFOLLOW``, a link met on
the way is read and walked the same way (only while it stays inside: ``..`` never climbs above
the project folder, and an absolute target must lie in it), and the operation itself is done
relative to the last folder's descriptor (``dir_fd``). Links inside the project that point
inside keep working, as in the real project.

Linux's ``openat2(RESOLVE_BENEATH)`` walks like this in the kernel, but refuses every absolute
link, even one pointing inside; this walk is the same on every POSIX system. Only the current
folder is held open: going back up opens ``..`` and checks it is the folder the walk came from
(device and inode), so a deep path costs no descriptors. Blocking: call it in a worker thread.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from . import nodepath
from .errors import ProjectError
from .paths import changed, outside

# Linux's MAXSYMLINKS: a path through more links than this is ELOOP.
MAX_LINKS = 40
# O_PATH (Linux) enters a folder one may search but not list, as the kernel's own walk does.
_SEARCH = getattr(os, "O_PATH", os.O_RDONLY)
FOLDER_FLAGS = _SEARCH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# What opening a name with O_NOFOLLOW says when it is a link (ENOTDIR with O_DIRECTORY; EMLINK
# on FreeBSD), or, opening a folder, when the name is no folder.
_MAYBE_LINK = (errno.ELOOP, errno.EMLINK, errno.ENOTDIR)

# A component still to walk, and whether it may be created (only the caller's own may, never
# one a link points to).
_Part = tuple[str, bool]


def _error(code: int) -> OSError:
    return OSError(code, os.strerror(code))  # FileNotFoundError for ENOENT, and so on


def _parts(path: str, creatable: bool) -> deque[_Part]:
    return deque((part, creatable) for part in path.split("/") if part not in ("", "."))


def _split_final(path: str) -> tuple[str, str]:
    """``(folder, name)`` of ``path``; the name is "." when ``path`` names a folder by its form
    (a trailing slash, or ending in ``.`` or ``..``): then the folder itself is meant."""
    head, slash, tail = path.rpartition("/")
    if tail in ("", ".", ".."):
        return path, "."
    return (head or slash), tail  # "" for a bare relative name


def _identity(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


class _Walk:
    """A position inside the project folder: the open folder and the folders above it."""

    def __init__(self, root: str, shown: str) -> None:
        self.root, self.shown = root, shown
        self.root_fd = os.open(root, FOLDER_FLAGS)
        self.fd = os.dup(self.root_fd)
        self._above: list[tuple[int, int]] = []  # identities, the project folder first
        self._links = 0

    def close(self) -> None:
        os.close(self.fd)
        os.close(self.root_fd)

    def _move_to(self, fd: int) -> None:
        os.close(self.fd)
        self.fd = fd

    def start(self, path: str) -> deque[_Part]:
        """The components of ``path`` (absolute) below the project folder, where the walk now
        is. A path spelled through a link to the project folder is fine."""
        if path == self.root or path.startswith(self.root + "/"):
            return _parts(path[len(self.root) :], True)
        return self._restart(path, True)

    def _restart(self, path: str, creatable: bool) -> deque[_Part]:
        """Go back to the project folder and return the rest of ``path`` (absolute) as the
        system resolves it now; refused if that is outside. The resolved name is only a hint:
        it is walked again, component by component."""
        self.count_link()
        real = os.path.realpath(path)
        if real != self.root and not real.startswith(self.root + "/"):
            raise outside(self.shown, self.root)
        self._move_to(os.dup(self.root_fd))
        self._above.clear()
        return _parts(real[len(self.root) :], creatable)

    def count_link(self) -> None:
        self._links += 1
        if self._links > MAX_LINKS:
            raise _error(errno.ELOOP)

    def link_target(self, name: str) -> str | None:
        """What the link ``name`` in the current folder points to; None if it is no link."""
        try:
            return os.readlink(name, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                return None
            raise

    def after_failure(self, name: str, failure: OSError) -> str | None:
        """Opening ``name`` with O_NOFOLLOW failed with ``failure`` (one of ``_MAYBE_LINK``):
        the target to follow if ``name`` is a link; None to try again if it was replaced
        meanwhile (counted as a link, so retries end); else ``failure`` stands."""
        info = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        if stat.S_ISLNK(info.st_mode):
            target = self.link_target(name)
            if target is not None:
                return target
        elif failure.errno == errno.ENOTDIR and not stat.S_ISDIR(info.st_mode):
            raise failure
        self.count_link()
        return None

    def follow(self, target: str, rest: Iterable[_Part] = ()) -> deque[_Part]:
        """What is left to walk after meeting a link to ``target`` in the current folder."""
        if target.startswith("/"):
            parts = self._restart(target, False)
        else:
            self.count_link()
            parts = _parts(target, False)
        parts.extend(rest)
        return parts

    def _up(self, rest: deque[_Part]) -> deque[_Part]:
        if not self._above:
            # ".." of the project folder: fine only if what follows leads back inside.
            names = "/".join(name for name, _ in rest)
            return self._restart(f"{self.root}/../{names}", all(c for _, c in rest))
        expected = self._above.pop()
        if not self._above:
            self._move_to(os.dup(self.root_fd))
            return rest
        parent = os.open("..", FOLDER_FLAGS, dir_fd=self.fd)
        if _identity(parent) != expected:
            os.close(parent)
            raise changed(self.shown)  # moved meanwhile
        self._move_to(parent)
        return rest

    def walk(self, parts: deque[_Part], *, create: int | None = None) -> None:
        """Enter each folder of ``parts`` in turn, following links. With ``create`` (a mode), a
        missing folder of the caller's own components is made."""
        while parts:
            name, creatable = parts.popleft()
            if name == "..":
                parts = self._up(parts)
                continue
            try:
                inner = os.open(name, FOLDER_FLAGS, dir_fd=self.fd)
            except FileNotFoundError:
                if create is None or not creatable:
                    raise
                try:
                    os.mkdir(name, create, dir_fd=self.fd)
                except FileExistsError:
                    pass  # made meanwhile, or a dangling link: opening it again tells
                parts.appendleft((name, False))
                continue
            except OSError as exc:
                if exc.errno not in _MAYBE_LINK:
                    raise
                target = self.after_failure(name, exc)
                if target is None:
                    parts.appendleft((name, creatable))
                else:
                    parts = self.follow(target, parts)
                continue
            self._above.append(_identity(self.fd))
            self._move_to(inner)

    def to_final(self, path: str, *, link: bool = False) -> str:
        """Walk to the folder of ``path``, the absolute path asked for or (``link``) the target
        of a link met as the last component; return the last name ("." for the folder)."""
        if link:
            folder, name = _split_final(path)
            self.walk(self.follow(folder))
            return name
        parts = self.start(path)
        if not parts or _split_final(path)[1] == ".":
            self.walk(parts)
            return "."
        name, _ = parts.pop()
        self.walk(parts)
        return name


class Beneath:
    """The project folder ``root`` (a real absolute path) and ways to use paths inside it.

    Every path is absolute; ``shown`` is how error texts name it. Failures of the file system
    are raised as ``OSError`` (the callers word them as node does); a path that leads outside
    the project folder is a :class:`ProjectError`.
    """

    def __init__(self, root: str) -> None:
        self.root = root

    @contextmanager
    def _walk(self, shown: str) -> Iterator[_Walk]:
        walk = _Walk(self.root, shown)
        try:
            yield walk
        finally:
            walk.close()

    @contextmanager
    def folder(self, path: str, shown: str | None = None) -> Iterator[int]:
        """A descriptor of the folder ``path`` (links followed), for ``dir_fd`` only."""
        with self._walk(shown or path) as walk:
            walk.walk(walk.start(path))
            yield walk.fd

    @contextmanager
    def parent(self, path: str, shown: str | None = None) -> Iterator[tuple[int, str]]:
        """The folder holding the entry ``path`` (``.`` and ``..`` resolved by name first, as
        :func:`.fileconfine.confine_entry` checks it) and the entry's name. The entry itself is
        not followed: deleting or renaming a link acts on the link."""
        resolved = nodepath.resolve("/", path)
        if resolved == self.root:
            raise ProjectError(f"refusing to act on the project folder '{self.root}' itself")
        head, _, name = resolved.rpartition("/")
        with self._walk(shown or path) as walk:
            walk.walk(walk.start(head or "/"))
            yield walk.fd, name

    def open(self, path: str, flags: int, mode: int = 0o666, shown: str | None = None) -> int:
        """``os.open(path, flags, mode)`` following links, inside the project folder only."""
        with self._walk(shown or path) as walk:
            name = walk.to_final(path)
            while True:
                if name == ".":
                    return os.open(".", flags | os.O_CLOEXEC, mode, dir_fd=walk.fd)
                try:
                    return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=walk.fd)
                except OSError as exc:
                    if exc.errno not in _MAYBE_LINK:
                        raise
                    target = walk.after_failure(name, exc)
                if target is not None:
                    name = walk.to_final(target, link=True)

    def stat(self, path: str, shown: str | None = None) -> os.stat_result:
        """``os.stat(path)`` following links, inside the project folder only."""
        with self._walk(shown or path) as walk:
            name = walk.to_final(path)
            while True:
                info = os.stat(name, dir_fd=walk.fd, follow_symlinks=False)
                if not stat.S_ISLNK(info.st_mode):
                    return info
                target = walk.link_target(name)
                if target is None:
                    walk.count_link()  # no longer a link: look again, a bounded number of times
                else:
                    name = walk.to_final(target, link=True)

    def make_folders(self, path: str, mode: int = 0o777, shown: str | None = None) -> None:
        """node's ``mkdir(path, {recursive: true, mode})`` (src/node_file.cc ``MKDirpSync``):
        each missing folder is made with ``mode`` (less the umask), an existing one is fine;
        EEXIST when ``path`` is something else, ENOTDIR when a folder above it is."""
        with self._walk(shown or path) as walk:
            parts = walk.start(path)
            last = parts.pop() if parts else None
            walk.walk(parts, create=mode)
            if last is None:
                return
            try:
                walk.walk(deque([last]), create=mode)
            except NotADirectoryError:
                raise _error(errno.EEXIST) from None  # it exists, as something else
