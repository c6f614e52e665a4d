"""A hub method: its function and how the caller's identity reaches its arguments
(src/packages/conat/hub/api/util.ts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..context import HubContext
from ..errors import HubError, WireError
from ..jsvalues import js_string

HubFunction = Callable[..., Awaitable[Any]]
AuthWrapper = Callable[[list[Any], str | None], list[Any]]


def no_auth(args: list[Any], account_id: str | None) -> list[Any]:
    return args


def _inject(args: list[Any], account_id: str) -> list[Any]:
    if not args:
        args = [{}]
    first = args[0]
    if first is None:
        args[0] = first = {}
    if isinstance(first, dict):
        first["account_id"] = account_id
    elif not isinstance(first, list):
        # A property set on a primitive in strict mode.
        kind = "string" if isinstance(first, str) else "number"
        if isinstance(first, bool):
            kind = "boolean"
        shown = f"'{first}'" if isinstance(first, str) else js_string(first)
        raise WireError(f"TypeError: Cannot create property 'account_id' on {kind} {shown}")
    return args


def auth_first(args: list[Any], account_id: str | None) -> list[Any]:
    """``args[0].account_id = <caller>``, whatever the caller sent there."""
    if account_id:
        return _inject(args, account_id)
    return args if args and args[0] is not None else [{}, *args[1:]]


def require_account(args: list[Any], account_id: str | None) -> list[Any]:
    if not account_id:
        raise HubError("user must be signed in")
    return args


def auth_first_require_account(args: list[Any], account_id: str | None) -> list[Any]:
    if not account_id:
        raise HubError("user must be signed in")
    return _inject(args, account_id)


@dataclass(frozen=True)
class HubMethod:
    """``call(ctx, *args)`` after ``auth`` has put the caller in."""

    call: HubFunction
    auth: AuthWrapper = auth_first


def options(args: tuple[Any, ...]) -> dict[str, Any]:
    """``args[0]`` as the object a function destructures (anything else has no fields)."""
    first = args[0] if args else None
    return first if isinstance(first, dict) else {}


def required_options(args: tuple[Any, ...], name: str) -> dict[str, Any]:
    """``args[0]`` for a function that reads a property of it without a default."""
    first = args[0] if args else None
    if first is None:
        shown = "undefined" if not args else "null"
        raise WireError(f"TypeError: Cannot read properties of {shown} (reading '{name}')")
    return first if isinstance(first, dict) else {}


__all__ = [
    "HubContext",
    "HubMethod",
    "auth_first",
    "auth_first_require_account",
    "no_auth",
    "options",
    "require_account",
    "required_options",
]
