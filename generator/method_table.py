"""Reads the spec's `x-cocalc-methods` table into the shapes the templates render.

Every check here fails with the spec path and method named, so a spec edit that the generator
cannot honour stops `make generate` instead of emitting code that is subtly wrong.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REF_PREFIX = "#/components/schemas/"
PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


class SpecError(Exception):
    """The spec cannot be turned into code."""


@dataclass(frozen=True)
class Param:
    wire_name: str  # the property of args[0]
    python_name: str
    annotation: str  # without `| None`
    required: bool
    default: Any  # None unless the table gives one
    description: str


@dataclass(frozen=True)
class TimeoutPolicy:
    python_name: str  # the parameter that bounds the call
    unit_seconds: float  # seconds per unit of that parameter
    server_default: float  # the server's limit when the parameter is omitted, in its unit
    enforced_by_server: bool  # the server enforces it on the work itself, not just the envelope


@dataclass(frozen=True)
class Method:
    wire_name: str
    namespace: str
    python_name: str
    constant: str  # name of its MethodSpec constant in the generated module
    summary: str
    description: str
    params: tuple[Param, ...]
    args_schema: dict[str, Any]
    result_schema: dict[str, Any]
    args_validator: str
    result_validator: str
    result_annotation: str
    returns: str
    timeout: TimeoutPolicy | None
    retry_safe: bool
    project_shortcut: bool


@dataclass(frozen=True)
class Namespace:
    name: str
    class_name: str
    methods: tuple[Method, ...]


def load_spec(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    if not isinstance(spec, dict):
        raise SpecError(f"{path}: not a mapping")
    return spec


# Attributes of Project and AsyncProject that a namespace or shortcut must not hide.
PROJECT_MEMBERS = frozenset({"host", "project_id", "close", "aclose", "with_options"})


def _public_identifier(name: object) -> bool:
    return (
        isinstance(name, str)
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
    )


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if ref is None:
        return None
    if not isinstance(ref, str) or not ref.startswith(REF_PREFIX):
        raise SpecError(f"only local component refs are supported, got {ref!r}")
    return ref.removeprefix(REF_PREFIX)


def python_type(schema: dict[str, Any], components: dict[str, Any]) -> str:
    """The annotation for a schema: a TypedDict name, a list of one, or a builtin."""
    name = ref_name(schema)
    if name is not None:
        target = components.get(name)
        if target is None:
            raise SpecError(f"unknown schema {name!r}")
        if target.get("type") == "array":
            return f"list[{python_type(target.get('items', {}), components)}]"
        return name
    kind = schema.get("type")
    if kind in PRIMITIVES:
        return PRIMITIVES[kind]
    if kind == "array":
        return f"list[{python_type(schema.get('items', {}), components)}]"
    if kind == "object":
        values = schema.get("additionalProperties", {})
        inner = python_type(values, components) if isinstance(values, dict) else "Any"
        return f"dict[str, {inner}]"
    if kind == "null":
        return "None"
    return "Any"


def validator_module(schema: dict[str, Any], fallback: str) -> str:
    """Name of the compiled validator for a schema: per component, or per method if inline."""
    name = ref_name(schema)
    return snake_case(name) if name is not None else fallback


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise SpecError(f"{key!r} must be a string")
    return value.strip()


def _params(entry: dict[str, Any], components: dict[str, Any]) -> tuple[Param, ...]:
    args_name = ref_name(entry["args"])
    if args_name is None or components.get(args_name, {}).get("type") != "object":
        raise SpecError("args must be a $ref to an object schema")
    args_schema = components[args_name]
    properties: dict[str, Any] = args_schema.get("properties", {})
    required = set(args_schema.get("required", []))
    overrides: dict[str, Any] = entry.get("parameters", {})
    unknown = set(overrides) - set(properties)
    if unknown:
        raise SpecError(f"parameters {sorted(unknown)} are not properties of {args_name}")
    params = []
    for wire_name, prop in properties.items():
        override = overrides.get(wire_name, {})
        python_name = override.get("python", wire_name)
        # `self` and names with a leading underscore are the generated method's own.
        if (
            not python_name.isidentifier()
            or keyword.iskeyword(python_name)
            or python_name == "self"
            or python_name.startswith("_")
        ):
            raise SpecError(f"{python_name!r} is not a usable Python parameter name")
        params.append(
            Param(
                wire_name=wire_name,
                python_name=python_name,
                annotation=python_type(prop, components),
                required=wire_name in required,
                default=override.get("default"),
                description=" ".join(_text(prop, "description").split()),
            )
        )
    # Python wants required parameters first; the schema's order is kept otherwise.
    return tuple(sorted(params, key=lambda p: not p.required))


def _timeout(entry: dict[str, Any], params: tuple[Param, ...]) -> TimeoutPolicy | None:
    table = entry.get("timeout")
    if table is None:
        return None
    by_wire = {p.wire_name: p for p in params}
    if table.get("param") not in by_wire:
        raise SpecError(f"timeout.param {table.get('param')!r} is not a parameter")
    units = {"seconds": 1.0, "milliseconds": 0.001}
    if table.get("unit") not in units:
        raise SpecError(f"timeout.unit must be one of {sorted(units)}")
    return TimeoutPolicy(
        python_name=by_wire[table["param"]].python_name,
        unit_seconds=units[table["unit"]],
        server_default=float(table["server_default"]),
        enforced_by_server=bool(table["enforced_by_server"]),
    )


def _method(entry: dict[str, Any], components: dict[str, Any]) -> Method:
    for key in ("wire", "namespace", "python", "args", "result", "summary", "retry_safe"):
        if key not in entry:
            raise SpecError(f"missing {key!r}")
    namespace, python_name = entry["namespace"], entry["python"]
    for kind, name in (("method", python_name), ("namespace", namespace)):
        if not _public_identifier(name):
            raise SpecError(f"{name!r} is not a usable public {kind} name")
    for flag in ("retry_safe", "project_shortcut"):
        if flag in entry and not isinstance(entry[flag], bool):
            raise SpecError(f"{flag} must be true or false, got {entry[flag]!r}")
    params = _params(entry, components)
    names = [p.python_name for p in params]
    if len(set(names)) != len(names):
        raise SpecError(f"two parameters share a Python name: {names}")
    constant = f"{namespace}_{python_name}".upper()
    return Method(
        wire_name=entry["wire"],
        namespace=namespace,
        python_name=python_name,
        constant=constant,
        summary=_text(entry, "summary"),
        description=_text(entry, "description"),
        params=params,
        args_schema=entry["args"],
        result_schema=entry["result"],
        args_validator=validator_module(entry["args"], f"{namespace}_{python_name}_args"),
        result_validator=validator_module(entry["result"], f"{namespace}_{python_name}_result"),
        result_annotation=python_type(entry["result"], components),
        returns=" ".join(_text(entry, "returns").split()),
        timeout=_timeout(entry, params),
        retry_safe=bool(entry["retry_safe"]),
        project_shortcut=bool(entry.get("project_shortcut", False)),
    )


def namespaces(spec: dict[str, Any]) -> tuple[Namespace, ...]:
    components: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    table = spec.get("x-cocalc-methods")
    if not isinstance(table, list) or not table:
        raise SpecError("x-cocalc-methods must be a non-empty list")
    grouped: dict[str, list[Method]] = {}
    for index, entry in enumerate(table):
        try:
            method = _method(entry, components)
        except (SpecError, KeyError, TypeError, ValueError) as error:
            label = entry.get("python", index) if isinstance(entry, dict) else index
            raise SpecError(f"x-cocalc-methods[{label}]: {error}") from error
        siblings = grouped.setdefault(method.namespace, [])
        if any(m.python_name == method.python_name for m in siblings):
            raise SpecError(f"{method.namespace}.{method.python_name} is defined twice")
        siblings.append(method)
    shortcuts = [m.python_name for ms in grouped.values() for m in ms if m.project_shortcut]
    on_project = [*grouped, *shortcuts]
    for name in sorted(set(on_project)):
        if on_project.count(name) > 1 or name in PROJECT_MEMBERS:
            raise SpecError(f"x-cocalc-methods: {name!r} is used twice on the project object")
    return tuple(
        Namespace(
            name=name, class_name=name.title().replace("_", "") + "Methods", methods=tuple(ms)
        )
        for name, ms in grouped.items()
    )


def validated_schemas(tree: tuple[Namespace, ...]) -> dict[str, dict[str, Any]]:
    """Every schema a method validates, by validator module name."""
    schemas: dict[str, dict[str, Any]] = {}
    for namespace in tree:
        for method in namespace.methods:
            schemas[method.args_validator] = method.args_schema
            schemas[method.result_validator] = method.result_schema
    return dict(sorted(schemas.items()))
