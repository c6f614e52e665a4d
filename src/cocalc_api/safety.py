"""Keeping an API key safe: how it is hidden in text, and which hosts are this machine.

One spelling of a hidden secret (`REDACTED`) for the SDK, its errors and logs, the command
line, the MCP server and recordings; one loopback check for the SDK's plain-http warning and
the servers' refusal to listen beyond this machine without being told to.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

__all__ = ["REDACTED", "is_loopback", "redact"]

REDACTED = "<redacted>"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every non-empty secret replaced by `REDACTED`. Longer secrets go first, so
    a secret that contains another (a Basic token holds the key base64-encoded, not as is;
    but a key may contain a shorter secret) is hidden whole."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def is_loopback(host: str, *, resolve: bool = False) -> bool:
    """True if `host` is this machine: "localhost" or a loopback address. With `resolve`, a
    name counts when every address it resolves to is a loopback address (for an address to
    listen on; a client checks what it was given, without a DNS lookup)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    if not resolve:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)
