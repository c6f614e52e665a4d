"""API-key authentication with the exact messages of the real service.

The key arrives as ``Authorization: Basic base64("<key>:")`` (key = user name, password ignored)
or ``Authorization: Bearer <key>``. The server holds one project-scoped key.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from .errors import WireError

NO_KEY = "You must provide authentication via an API key."
BAD_KEY = "must sign in as project or account"
WRONG_PROJECT = "project specific api key must match requested project"


def api_key_from_header(authorization: str | None) -> str:
    """Extract the API key from an ``Authorization`` header value."""
    if not authorization:
        raise WireError(NO_KEY)
    parts = authorization.split()
    if not parts:
        raise WireError(NO_KEY)
    scheme = parts[0]
    credential = parts[1] if len(parts) > 1 else ""
    if scheme == "Bearer":
        return credential
    if scheme == "Basic":
        try:
            decoded = base64.b64decode(credential, validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            # Undecodable credentials are simply a wrong key, as in the real service.
            return ""
        return decoded.split(":", 1)[0]
    raise WireError(f"Unknown authorization type '{scheme}'")


def authenticate(authorization: str | None, api_key: str) -> None:
    """Raise :class:`WireError` unless the header carries ``api_key``."""
    key = api_key_from_header(authorization)
    # Constant-time comparison: the key is the only secret guarding command execution.
    if not key or not hmac.compare_digest(key.encode(), api_key.encode()):
        raise WireError(BAD_KEY)


def check_project(requested: object, project_id: str) -> None:
    """A project-scoped key may omit ``project_id``; if sent it must be the key's project."""
    if requested is None or requested == "":
        return
    if requested != project_id:
        raise WireError(WRONG_PROJECT)
