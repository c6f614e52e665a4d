"""What the generated methods need at run time: the method descriptor and the caller protocols.

A caller (the handwritten transport) sends a method's wire `args` and returns its result; all
transport policy lives there, so the generated methods only pack their arguments.

A plain module, copied as it is into each generated package as `_runtime.py` (nothing in it
depends on the spec); the generator uses its `TimeoutPolicy` too, so there is one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import Any, Generic, Literal, NamedTuple, Protocol, TypeVar

R = TypeVar("R")

# The slot fill of a required slot in `pack_args`: it is always sent as given.
REQUIRED: Any = object()


def pack_args(values: tuple[Any, ...], fills: tuple[Any, ...]) -> list[Any]:
    """The wire `args`: optional slots left out (None) are dropped from the end; one left out
    before a sent slot is sent as its fill (`null` for a value, `{}` for an options object)."""
    end = len(values)
    while end and fills[end - 1] is not REQUIRED and values[end - 1] is None:
        end -= 1
    return [
        fills[i] if value is None and fills[i] is not REQUIRED else value
        for i, value in enumerate(values[:end])
    ]


# NamedTuples rather than dataclasses: they are made several times faster on import.
class TimeoutPolicy(NamedTuple):
    """The parameter that bounds a call's duration, from the method table."""

    param: str  # its Python name
    wire_name: str  # its name on the wire, in the options object of slot `slot`
    slot: int  # the index of its slot in the wire `args`
    unit_seconds: float  # seconds per unit of that parameter
    server_default: float  # the server's limit when the parameter is omitted, in its unit
    enforced_by_server: bool  # the server enforces it on the work itself, not just the envelope


class SchemaError(ValueError):
    """A value does not match its schema; the message names the field and the rule."""


# Compiled validators, imported on first use so that importing the package stays cheap.
_validators: dict[str, Callable[[Any], Any]] = {}


def validator(schema: str) -> Callable[[Any], Any]:
    """The compiled validator of a schema (`name`, or `api.name` for the validators of the
    API generated into the subpackage `api`); raises SchemaError."""
    found = _validators.get(schema)
    if found is None:
        api, _, name = schema.rpartition(".")
        package = f"{__package__}.{api}" if api else __package__
        compiled = import_module(f"{package}._validators.{name}").validate
        from fastjsonschema import JsonSchemaException  # loaded by the validator's import

        def found(value: Any) -> None:
            try:
                compiled(value)
            except JsonSchemaException as error:
                raise SchemaError(str(error)) from None

        _validators[schema] = found
    return found


class MethodSpec(NamedTuple, Generic[R]):
    """One entry of the method table; `R` is the type of its result."""

    wire_name: str
    namespace: str
    python_name: str
    args_schema: str  # the validator module of the whole wire `args` array
    result_schema: str  # the validator module of the result
    retry: Literal["safe", "idempotent", "unsafe"]
    effect: Literal["read", "additive", "destructive"]
    timeout: TimeoutPolicy | None
    # A validator's path to an argument (`data[0].async_get`) and its Python name (`job_id`).
    python_paths: tuple[tuple[str, str], ...] = ()
    # Each slot of the wire `args`: "options" (an object of options) or "value".
    slots: tuple[Literal["options", "value"], ...] = ()
    # The method's own error rules (cocalc_api/_errors.py), by name.
    errors: tuple[str, ...] = ()
    # What the client does to the arguments before checking and sending them
    # (cocalc_api/_prepare.py), by name: the service's own rules it knows.
    prepare: tuple[str, ...] = ()
    # The envelope limit (seconds) sent when the client has no timeout: for a call that waits
    # on slow work longer than the server's default (None: that default).
    envelope_s: float | None = None

    @property
    def retry_safe(self) -> bool:
        """Safe and idempotent calls may be sent again after a transient failure."""
        return self.retry != "unsafe"

    def validate_args(self, value: list[Any]) -> None:
        if self.args_schema:  # "": a method outside the table (`call()`), sent as given
            validator(self.args_schema)(value)

    def validate_result(self, value: Any) -> None:
        if self.result_schema:
            validator(self.result_schema)(value)

    def describe(self, message: str) -> str:
        """A validator's message with the argument's Python name instead of its wire path."""
        for path, name in sorted(self.python_paths, key=lambda item: -len(item[0])):
            if message.startswith(path) and message[len(path) : len(path) + 1] in (" ", ".", "["):
                return name + message[len(path) :]
        return message.removeprefix("data")


@cache
def catalog(api: str = "") -> dict[str, Any]:
    """catalog.json: every method's parameters (by Python name) and result as JSON Schemas
    with no `$ref`, for tools built from the method table at run time (CLI, MCP server).
    `api` names the subpackage of another API ("hub"); "" is the project API."""
    from importlib.resources import files  # only the tools that read the catalog pay for it

    package = f"{__package__}.{api}" if api else __package__
    text = files(package).joinpath("catalog.json").read_text(encoding="utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


class SyncCaller(Protocol):
    def call(self, method: MethodSpec[R], args: list[Any], timeout: float | None) -> R: ...


class AsyncCaller(Protocol):
    async def call(self, method: MethodSpec[R], args: list[Any], timeout: float | None) -> R: ...
