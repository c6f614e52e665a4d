"""The hub's methods by wire name, one module per group."""

from __future__ import annotations

from collections.abc import Iterable

from . import db, jupyter, messages, org, projects, sync, system
from .base import HubMethod

HUB_METHODS: dict[str, HubMethod] = {
    **system.METHODS,
    **projects.METHODS,
    **jupyter.METHODS,
    **db.METHODS,
    **messages.METHODS,
    **org.METHODS,
    **sync.METHODS,
}


class MissingHandlerError(Exception):
    """A method of the hub spec has no handler here."""


def check_handlers(wire_names: Iterable[str], methods: dict[str, HubMethod] = HUB_METHODS) -> None:
    """Raise :class:`MissingHandlerError` naming every wire name without a handler."""
    missing = sorted(set(wire_names) - set(methods))
    if missing:
        raise MissingHandlerError(f"no handler for the hub method(s) {', '.join(missing)}")


__all__ = ["HUB_METHODS", "HubMethod", "MissingHandlerError", "check_handlers"]
