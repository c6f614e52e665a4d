"""How a hub method fails on the wire.

The hub answers ``{"error": String(err)}`` (src/packages/server/conat/api/index.ts): a thrown
``Error`` reads ``Error: <message>`` (:class:`HubError`); database callbacks fail with bare
strings such as ``FATAL: ...`` and other error classes carry their own name
(``OwnershipError: ...``, ``TypeError: ...``): those are :class:`WireError`, sent verbatim.
"""

from __future__ import annotations

from cocalc_project_server.errors import WireError, wire_message

__all__ = ["HubError", "WireError", "pg_error", "wire_message"]


class HubError(Exception):
    """A JavaScript ``Error`` thrown by a hub function: sent as ``Error: <message>``."""


def pg_error(message: str) -> WireError:
    """A PostgreSQL error as node-postgres reports it (its DatabaseError's name is ``error``)."""
    return WireError(f"error: {message}")
