"""A method's parameters, from their JSON Schemas, as click options and arguments."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

Method = dict[str, Any]  # one entry of catalog()["methods"]
Param = dict[str, Any]  # one entry of a method's "params"

# Options every leaf command has; a spec parameter of the same name gets `--arg-<name>`.
RESERVED = frozenset({"json", "help"})

if TYPE_CHECKING:
    ParamType = click.ParamType[Any]
else:
    ParamType = click.ParamType


def json_option() -> click.Option:
    return click.Option(["--json", "output_json"], is_flag=True, help="Print the result as JSON.")


class JsonValue(ParamType):
    """A value given as JSON text (objects, arrays, and values of several types)."""

    name = "json"

    def __init__(self, schema: Mapping[str, Any]) -> None:
        types = schema.get("type")
        self._string_ok = types == "string" or (isinstance(types, list) and "string" in types)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as error:
            if self._string_ok:
                return value
            self.fail(f"{value!r} is not valid JSON ({error})", param, ctx)


def click_type(schema: Mapping[str, Any]) -> ParamType:
    kind = schema.get("type")
    enum = schema.get("enum")
    if enum and all(isinstance(item, str) for item in enum):
        return click.Choice(enum)
    if kind == "string":
        return click.STRING
    if kind == "integer":
        low, low_open = _bound(schema, "minimum", "exclusiveMinimum")
        high, high_open = _bound(schema, "maximum", "exclusiveMaximum")
        if low is None and high is None:
            return click.INT
        return click.IntRange(low, high, min_open=low_open, max_open=high_open)
    if kind == "number":
        low, low_open = _bound(schema, "minimum", "exclusiveMinimum")
        high, high_open = _bound(schema, "maximum", "exclusiveMaximum")
        if low is None and high is None:
            return click.FLOAT
        return click.FloatRange(low, high, min_open=low_open, max_open=high_open)
    return JsonValue(schema)


def _bound(schema: Mapping[str, Any], inclusive: str, exclusive: str) -> tuple[Any, bool]:
    if exclusive in schema:
        return schema[exclusive], True
    return schema.get(inclusive), False


def option_flag(python: str) -> str:
    dashed = python.replace("_", "-")
    return f"--arg-{dashed}" if python in RESERVED else f"--{dashed}"


def _describe(param: Param) -> str:
    text = (param.get("description") or "").strip()
    schema = param["schema"]
    if schema.get("type") != "boolean" and isinstance(click_type(schema), JsonValue):
        text += " (as JSON)"
    if param.get("default") is not None:
        text += f" [default: {param['default']}]"
    return text


def is_argument(param: Param) -> bool:
    """Whether a parameter is also an argument of its command: a required positional one, and
    the required `path` of an options object (`system listing .`, as `system realpath a/b`)."""
    if not param["required"] or param["schema"].get("type") == "boolean":
        return False
    return bool(
        param["kind"] == "positional"
        or (param["python"] == "path" and param["schema"].get("type") == "string")
    )


@dataclass(frozen=True)
class MethodParams:
    """A method's parameters as click parameters, and how to read them back by Python name."""

    params: list[Param]
    overrides: Mapping[str, Any]  # defaults of a short form, by Python name

    def click_params(self) -> list[click.Parameter]:
        made: list[click.Parameter] = []
        for param in self.params:
            python, schema = param["python"], param["schema"]
            flag = option_flag(python)
            help_text = _describe(param)
            if python in self.overrides:
                help_text += f" [default here: {self.overrides[python]}]"
            if schema.get("type") == "boolean":
                name = flag.removeprefix("--")
                # `--no-cache` (no_cache) pairs with `--cache`, not `--no-no-cache`.
                negative = (
                    "--" + name.removeprefix("no-") if name.startswith("no-") else "--no-" + name
                )
                made.append(
                    click.Option(
                        [f"{flag}/{negative}", f"o_{python}"], default=None, help=help_text
                    )
                )
                continue
            kind = click_type(schema)
            metavar = "JSON" if isinstance(kind, JsonValue) else None
            if is_argument(param):
                # Given either as the argument or as the option: `exec 'ls'`, `exec --command ls`.
                made.append(
                    click.Argument(
                        [f"a_{python}"], required=False, type=kind, metavar=python.upper()
                    )
                )
                made.append(
                    click.Option(
                        [flag, f"o_{python}"],
                        type=kind,
                        metavar=metavar,
                        help=f"{help_text} (or the {python.upper()} argument)",
                    )
                )
            else:
                required = param["required"] and python not in self.overrides
                made.append(
                    click.Option(
                        [flag, f"o_{python}"],
                        type=kind,
                        required=required,
                        metavar=metavar,
                        help=help_text,
                    )
                )
        return made

    def arguments_help(self) -> str:
        """The positional arguments with their descriptions, for the command's help."""
        lines: list[str] = []
        for p in self.params:
            if is_argument(p):
                text = f"{p['python'].upper()}: {(p.get('description') or '').strip()}"
                lines += textwrap.wrap(text, 76, initial_indent="  ", subsequent_indent="    ")
        return "\b\nArguments:\n" + "\n".join(lines) if lines else ""

    def values(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments of the Python method: what was given, by Python name."""
        kwargs: dict[str, Any] = {}
        for param in self.params:
            python = param["python"]
            value = given.get(f"o_{python}")
            positional = given.get(f"a_{python}")
            if positional is not None:
                if value is not None and value != positional:
                    raise click.UsageError(
                        f"{python.upper()} given twice: as the argument and as {option_flag(python)}"
                    )
                value = positional
            if value is None:
                value = self.overrides.get(python)
            if value is None:
                if param["required"]:
                    raise click.UsageError(
                        f"missing {python.upper()} (the argument or {option_flag(python)})"
                    )
                continue
            kwargs[python] = value
        return kwargs


def method_params(
    method: Method, *, skip: Iterable[str] = (), overrides: Mapping[str, Any] | None = None
) -> MethodParams:
    left_out = set(skip)
    return MethodParams(
        [param for param in method["params"] if param["python"] not in left_out], overrides or {}
    )
