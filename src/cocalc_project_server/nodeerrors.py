"""Error texts as Node.js words them, for failures the real project reports from ``fs`` or
``process.kill``.

A failed ``fs`` call reads ``ENOENT: no such file or directory, open '<path>'`` (node's
``uvException``: code, libuv's description, syscall, then the path and ``-> '<dest>'`` when
given); the project sends it as ``Error: <that>``. ``process.kill`` fails with ``kill ESRCH``.
"""

from __future__ import annotations

import errno

from .errors import ProjectError

# libuv's descriptions (include/uv.h, UV_ERRNO_MAP) of the errors file and process calls meet.
_UV_DESCRIPTIONS = {
    "E2BIG": "argument list too long",
    "EACCES": "permission denied",
    "EAGAIN": "resource temporarily unavailable",
    "EBADF": "bad file descriptor",
    "EBUSY": "resource busy or locked",
    "EEXIST": "file already exists",
    "EFAULT": "bad address in system call argument",
    "EFBIG": "file too large",
    "EINTR": "interrupted system call",
    "EINVAL": "invalid argument",
    "EIO": "i/o error",
    "EISDIR": "illegal operation on a directory",
    "ELOOP": "too many symbolic links encountered",
    "EMFILE": "too many open files",
    "EMLINK": "too many links",
    "ENAMETOOLONG": "name too long",
    "ENFILE": "file table overflow",
    "ENODEV": "no such device",
    "ENOENT": "no such file or directory",
    "ENOMEM": "not enough memory",
    "ENOSPC": "no space left on device",
    "ENOSYS": "function not implemented",
    "ENOTDIR": "not a directory",
    "ENOTEMPTY": "directory not empty",
    "ENOTSUP": "operation not supported on socket",
    "ENXIO": "no such device or address",
    "EPERM": "operation not permitted",
    "EROFS": "read-only file system",
    "ESPIPE": "invalid seek",
    "ESRCH": "no such process",
    "ETXTBSY": "text file is busy",
    "EXDEV": "cross-device link not permitted",
}
_BY_NUMBER = {getattr(errno, name): name for name in _UV_DESCRIPTIONS if hasattr(errno, name)}


def error_code(exc: OSError) -> str:
    """The ``code`` node gives the error (``UNKNOWN`` for one libuv does not name)."""
    return _BY_NUMBER.get(exc.errno or 0, "UNKNOWN")


def fs_message(exc: OSError, syscall: str, path: str | None = None, dest: str | None = None) -> str:
    """``message`` of the node error for ``exc`` raised by ``syscall`` on ``path``."""
    code = error_code(exc)
    text = f"{code}: {_UV_DESCRIPTIONS.get(code, 'unknown error')}, {syscall}"
    if path is not None:
        text += f" '{path}'"
    if dest is not None:
        text += f" -> '{dest}'"
    return text


def fs_error(
    exc: OSError, syscall: str, path: str | None = None, dest: str | None = None
) -> ProjectError:
    """The error to raise so the wire says ``Error: <node's message>``."""
    return ProjectError(fs_message(exc, syscall, path, dest))


def kill_error(code: str) -> ProjectError:
    """``process.kill`` failing with errno ``code`` (node's ``ErrnoException``: ``kill ESRCH``)."""
    return ProjectError(f"kill {code}")
