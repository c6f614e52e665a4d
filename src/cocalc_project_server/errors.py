"""How failures travel: every failure becomes ``{"error": <message>}`` with HTTP 200.

The real project service turns a thrown JavaScript ``Error`` into ``"Error: <message>"`` but sends
thrown strings (what ``exec`` uses) unchanged. :class:`WireError` is the second kind; any other
exception is the first.
"""

from __future__ import annotations


class WireError(Exception):
    """A failure whose message goes on the wire exactly as written (no ``Error: `` prefix)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BodyRefused(WireError):
    """A request body the route's body parser refuses before the handler runs: answered with
    ``status`` and the text alone, as Next.js's ``sendError`` writes it (plain text, no
    Content-Type; src/packages/next uses the default body parser of its pages API routes)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ProjectError(Exception):
    """A failure inside a project method; sent as ``Error: <message>``."""


def wire_message(exc: BaseException) -> str:
    """The ``error`` text the real service would send for ``exc``."""
    if isinstance(exc, WireError):
        return exc.message
    return f"Error: {exc}"
