"""The methods the server serves, built from the spec's method table.

An implementation says which method it is with ``@handles("system.listing")``; the server
collects the marked methods of its parts and refuses to start unless they cover the table
(``cocalc_api_generated.specs.METHODS``) exactly, one handler per wire name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from cocalc_api_generated._runtime import MethodSpec
from cocalc_api_generated.specs import METHODS

Method = Callable[..., Awaitable[Any]]
M = TypeVar("M", bound=Method)

_MARK = "__cocalc_handles__"


@dataclass(frozen=True)
class Handler:
    """A method's implementation. ``lenient`` handlers get their arguments unchecked, because
    the real service answers some arguments the spec refuses (each says which)."""

    call: Method
    lenient: bool = False


@dataclass(frozen=True)
class Declared:
    """A handler as its class declares it, before there is an object to call it on."""

    owner: type
    attribute: str
    lenient: bool


class RegistryError(RuntimeError):
    """The handlers do not cover the method table exactly: the server cannot start."""


def handles(wire_name: str, *, lenient: bool = False) -> Callable[[M], M]:
    """Mark a method as the implementation of ``wire_name``, a method of the spec's table."""

    def mark(function: M) -> M:
        setattr(function, _MARK, (wire_name, lenient))
        return function

    return mark


def declared_handlers(
    classes: Iterable[type], table: Iterable[MethodSpec[Any]] = METHODS
) -> dict[str, Declared]:
    """The handlers the classes declare, by wire name; :class:`RegistryError` unless they are
    one per wire name of ``table`` and no others."""
    found: dict[str, Declared] = {}
    for owner in classes:
        for attribute, value in vars(owner).items():
            mark = getattr(value, _MARK, None)
            if mark is None:
                continue
            wire_name, lenient = mark
            if wire_name in found:
                other = found[wire_name]
                raise RegistryError(
                    f"two handlers for {wire_name}: {other.owner.__name__}.{other.attribute} "
                    f"and {owner.__name__}.{attribute}"
                )
            found[wire_name] = Declared(owner, attribute, lenient)
    wanted = {method.wire_name for method in table}
    missing = sorted(wanted - found.keys())
    if missing:
        raise RegistryError(
            f"no handler for {', '.join(missing)} (in the spec's method table); mark its "
            "implementation with @handles"
        )
    unknown = sorted(found.keys() - wanted)
    if unknown:
        raise RegistryError(f"handlers for methods the spec's table lacks: {', '.join(unknown)}")
    return found


def bind(declared: Mapping[str, Declared], parts: Iterable[object]) -> dict[str, Handler]:
    """The handlers as methods of ``parts``, one object per declaring class."""
    by_class = {type(part): part for part in parts}
    return {
        wire_name: Handler(getattr(by_class[found.owner], found.attribute), found.lenient)
        for wire_name, found in declared.items()
    }
