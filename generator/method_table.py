"""Reads the spec's `x-cocalc-methods` table into the shapes the templates render.

A method's wire `args` is an ordered list of slots: a positional value, or an options object
whose properties become keyword-only parameters. Every check here fails with the method named,
so a spec edit that the generator cannot honour stops `make generate` instead of emitting code
that is subtly wrong.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from generator.runtime import TimeoutPolicy

REF_PREFIX = "#/components/schemas/"
PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
RETRY_KINDS = ("safe", "idempotent", "unsafe")
EFFECTS = ("read", "additive", "destructive")
TIMEOUT_UNITS = {"seconds": 1.0, "milliseconds": 0.001}
# A parameter must not hide a builtin (the generated annotations name `str`, `list`, ...) or a
# name of the generated module. `input` (jupyter_execute), `type` (the hub's messages.get) and
# `license` (create_project) are the reference client's own parameter names, and generated
# code never uses those builtins, so they stay allowed.
RESERVED_PARAMS = frozenset(
    {"self", "Any", "Literal", "None"}
    | {n for n in dir(builtins) if n[:1].islower()} - {"input", "type", "license"}
)
# An options slot may be sent inside an object under one key: `{"opts": {...}}` (the hub's
# add/removeCollaborator, as the reference client's `api_method(opts=True)` sends them).
SLOT_WRAPPERS = frozenset({"opts"})

ParamKind = Literal["positional", "keyword"]


class SpecError(Exception):
    """The spec cannot be turned into code."""


@dataclass(frozen=True)
class Param:
    wire_name: str  # the options property, or the value slot's name
    python_name: str
    annotation: str  # without `| None`
    required: bool
    default: Any  # None unless the table gives one
    description: str
    slot: int  # index in the wire `args`
    kind: ParamKind  # positional-or-keyword, or keyword-only


@dataclass(frozen=True)
class Slot:
    index: int
    options: bool  # an options object (else a single value)
    required: bool
    schema: dict[str, Any]  # the slot's JSON schema (a $ref for an options object)
    params: tuple[Param, ...]  # the value's parameter, or the object's properties
    wrap: str | None = None  # the key an options object is sent under, if any

    @property
    def wire_schema(self) -> dict[str, Any]:
        """The schema of what this slot sends."""
        if self.wrap is None:
            return self.schema
        return {
            "type": "object",
            "required": [self.wrap],
            "properties": {self.wrap: self.schema},
            "additionalProperties": False,
        }

    @property
    def variable(self) -> str:
        """The local that holds an options object in the generated body."""
        return f"_options{self.index}" if self.index else "_options"


@dataclass(frozen=True)
class Overload:
    """A narrower result for some argument values: `when` maps a parameter to its values."""

    when: dict[str, tuple[Any, ...]]  # python name -> allowed JSON values (None for null)
    result_annotation: str

    def annotation(self, param: Param) -> str | None:
        """The parameter's annotation in this overload, or None to keep the method's own."""
        values = self.when.get(param.python_name)
        if values is None:
            return None
        literals = [repr(v) for v in values if v is not None]
        parts = [f"Literal[{', '.join(literals)}]"] if literals else []
        if None in values:
            parts.append("None")
        return " | ".join(parts)

    def requires(self, param: Param) -> bool:
        """In this overload the parameter has no default (its values exclude null)."""
        values = self.when.get(param.python_name)
        return values is not None and None not in values


@dataclass(frozen=True)
class JobStart:
    """`project.jobs.start` made of this method: its own positional parameters, then the
    method's other options as keywords; `fixed` parameters are set by `start` itself."""

    positional: tuple[str, ...]  # Python names, in order
    fixed: dict[str, Any]  # Python name -> the value start sends
    options: tuple[Param, ...]  # every other parameter, passed on as given


@dataclass(frozen=True)
class Method:
    wire_name: str
    namespace: str
    python_name: str
    constant: str  # name of its MethodSpec constant in the generated code
    summary: str
    description: str
    slots: tuple[Slot, ...]
    result_schema: dict[str, Any]
    args_validator: str
    result_validator: str
    result_annotation: str
    overloads: tuple[Overload, ...]
    returns: str
    timeout: TimeoutPolicy | None
    retry: str
    effect: str  # read, additive or destructive
    project_shortcut: bool
    errors: tuple[str, ...]  # the method's own error rules (cocalc_api/_errors.py), by name
    type_names: tuple[str, ...]  # component schemas its annotations name
    job_start: JobStart | None = None  # `jobs.start` derives from this method
    # The envelope limit sent when the client has no timeout (for calls that wait on slow
    # work, e.g. starting a project, longer than the server's 15 s default).
    envelope_timeout_s: float | None = None
    # What the client does to the arguments before sending them (cocalc_api/_prepare.py).
    prepare: tuple[str, ...] = ()

    @property
    def retry_safe(self) -> bool:
        return self.retry != "unsafe"

    @property
    def params(self) -> tuple[Param, ...]:
        """Parameters in signature order: positional ones (slot order), then keyword-only ones."""
        every = [p for slot in self.slots for p in slot.params]
        return (
            *(p for p in every if p.kind == "positional"),
            *(p for p in every if p.kind == "keyword"),
        )

    def overload_params(self, overload: Overload) -> tuple[list[Param], list[Param]]:
        """(positional, keyword-only) parameters of an overload's signature.

        A parameter the overload requires cannot stay positional after one with a default,
        so from there on the parameters move behind the `*` (the positional ones left are a
        prefix of the method's own, as the implementation's signature needs).
        """
        positional: list[Param] = []
        seen_default = False
        for param in self.params:
            required = param.required or overload.requires(param)
            if param.kind == "keyword" or (required and seen_default):
                break
            seen_default = seen_default or not required
            positional.append(param)
        return positional, list(self.params[len(positional) :])

    @property
    def all_slots_required(self) -> bool:
        return all(slot.required for slot in self.slots)

    @property
    def args_schema(self) -> dict[str, Any]:
        """Draft-07 schema of the whole `args` array (fastjsonschema implements draft-07)."""
        items = []
        for position, slot in enumerate(self.slots):
            schema = slot.wire_schema
            later_sent = position < len(self.slots) - 1
            if not slot.options and not slot.required and later_sent:
                schema = {"anyOf": [schema, {"type": "null"}]}  # skipped before a sent slot
            items.append(schema)
        required = [slot.index for slot in self.slots if slot.required]
        return {
            "type": "array",
            "items": items,
            "additionalItems": False,
            "minItems": required[-1] + 1 if required else 0,
        }

    @property
    def python_paths(self) -> dict[str, str]:
        """What a validator's path to a value means in Python terms: `data[0].async_get` -> `job_id`."""
        paths: dict[str, str] = {}
        for slot in self.slots:
            for param in slot.params:
                path = f"data[{slot.index}]"
                if slot.wrap:
                    path += f".{slot.wrap}"
                if slot.options:
                    path += f".{param.wire_name}"
                paths[path] = param.python_name
        return paths


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
    """`readTextFileFromProject` -> `read_text_file_from_project`; `noCache` -> `no_cache`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if ref is None:
        return None
    if not isinstance(ref, str) or not ref.startswith(REF_PREFIX):
        raise SpecError(f"only local component refs are supported, got {ref!r}")
    return ref.removeprefix(REF_PREFIX)


def python_type(schema: dict[str, Any], components: dict[str, Any], names: set[str]) -> str:
    """The annotation for a schema; the component names it uses are added to `names`."""
    name = ref_name(schema)
    if name is not None:
        target = components.get(name)
        if target is None:
            raise SpecError(f"unknown schema {name!r}")
        if target.get("type") == "array":
            return f"list[{python_type(target.get('items', {}), components, names)}]"
        names.add(name)
        return name
    kind = schema.get("type")
    if kind is None and isinstance(schema.get("anyOf"), list):
        parts = [python_type(option, components, names) for option in schema["anyOf"]]
        return " | ".join(dict.fromkeys(parts))  # each once, in order
    if isinstance(kind, list):
        return " | ".join(python_type({**schema, "type": k}, components, names) for k in kind)
    if kind == "string" and "enum" in schema:
        return f"Literal[{', '.join(repr(v) for v in schema['enum'])}]"
    if kind in PRIMITIVES:
        return PRIMITIVES[kind]
    if kind == "array":
        return f"list[{python_type(schema.get('items', {}), components, names)}]"
    if kind == "object":
        values = schema.get("additionalProperties", {})
        inner = python_type(values, components, names) if isinstance(values, dict) else "Any"
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


def _flag(entry: dict[str, Any], key: str, default: bool) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise SpecError(f"{key} must be true or false, got {value!r}")
    return value


def _check_param_name(name: object) -> str:
    # `self`, builtins the generated code uses and names with a leading underscore are taken.
    if (
        not isinstance(name, str)
        or not name.isidentifier()
        or keyword.iskeyword(name)
        or name in RESERVED_PARAMS
        or name.startswith("_")
    ):
        raise SpecError(f"{name!r} is not a usable Python parameter name")
    return name


class _ParamFactory:
    """Builds the Params of one method, applying the table's `parameters` overrides."""

    def __init__(self, entry: dict[str, Any], components: dict[str, Any]) -> None:
        overrides = entry.get("parameters", {})
        if not isinstance(overrides, dict):
            raise SpecError("parameters must be a mapping")
        self.overrides: dict[str, Any] = overrides
        self.components = components
        self.used: set[str] = set()
        self.type_names: set[str] = set()

    def make(
        self, wire_name: str, schema: dict[str, Any], required: bool, slot: int, kind: ParamKind
    ) -> Param:
        override = self.overrides.get(wire_name, {})
        self.used.add(wire_name)
        python_name = _check_param_name(override.get("python", snake_case(wire_name)))
        return Param(
            wire_name=wire_name,
            python_name=python_name,
            annotation=python_type(schema, self.components, self.type_names),
            required=required,
            default=override.get("default"),
            description=" ".join(self._description(schema).split()),
            slot=slot,
            kind=kind,
        )

    def _description(self, schema: dict[str, Any]) -> str:
        # A property that is a $ref is described by its component, unless it says more itself.
        own = _text(schema, "description")
        name = ref_name(schema)
        if own or name is None:
            return own
        return _text(self.components.get(name, {}), "description")

    def check_all_used(self) -> None:
        unknown = set(self.overrides) - self.used
        if unknown:
            raise SpecError(f"parameters {sorted(unknown)} are not arguments of the method")


def _options_slot(
    raw: dict[str, Any], index: int, factory: _ParamFactory, components: dict[str, Any]
) -> Slot:
    name = ref_name(raw["options"])
    if name is None or components.get(name, {}).get("type") != "object":
        raise SpecError(f"args[{index}]: options must be a $ref to an object schema")
    target = components[name]
    properties: dict[str, Any] = target.get("properties", {})
    required = set(target.get("required", []))
    positional = raw.get("positional", [])
    if not isinstance(positional, list) or not set(positional) <= set(properties):
        raise SpecError(f"args[{index}]: positional must list properties of {name}")
    if len(set(positional)) != len(positional):
        raise SpecError(f"args[{index}]: positional lists a property twice")
    params = [
        factory.make(wire, properties[wire], wire in required, index, "positional")
        for wire in positional
    ]
    params += [
        factory.make(wire, prop, wire in required, index, "keyword")
        for wire, prop in properties.items()
        if wire not in positional
    ]
    wrap = raw.get("wrap")
    if wrap is not None and wrap not in SLOT_WRAPPERS:
        raise SpecError(f"args[{index}]: wrap must be one of {sorted(SLOT_WRAPPERS)}")
    return Slot(
        index=index,
        options=True,
        required=_flag(raw, "required", True),
        schema=raw["options"],
        params=tuple(params),
        wrap=wrap,
    )


def _value_slot(raw: dict[str, Any], index: int, factory: _ParamFactory) -> Slot:
    for key in ("name", "schema"):
        if key not in raw:
            raise SpecError(f"args[{index}]: a positional slot needs {key!r}")
    if not isinstance(raw["schema"], dict):
        raise SpecError(f"args[{index}]: schema must be a mapping")
    required = _flag(raw, "required", True)
    schema = {**raw["schema"], "description": raw.get("description", "")}
    param = factory.make(str(raw["name"]), schema, required, index, "positional")
    return Slot(
        index=index, options=False, required=required, schema=raw["schema"], params=(param,)
    )


def _slots(entry: dict[str, Any], factory: _ParamFactory) -> tuple[Slot, ...]:
    raw_slots = entry["args"]
    if not isinstance(raw_slots, list):
        raise SpecError("args must be a list of slots (the wire `args` array)")
    slots = []
    for index, raw in enumerate(raw_slots):
        if not isinstance(raw, dict):
            raise SpecError(f"args[{index}] must be a mapping")
        if "options" in raw:
            slots.append(_options_slot(raw, index, factory, factory.components))
        else:
            slots.append(_value_slot(raw, index, factory))
    return tuple(slots)


def _check_signature(method: Method) -> None:
    names = [p.python_name for p in method.params]
    if len(set(names)) != len(names):
        raise SpecError(f"two parameters share a Python name: {names}")
    # Python wants positional parameters without a default before those with one.
    seen_optional = False
    for param in method.params:
        if param.kind != "positional":
            break
        optional = not param.required
        if seen_optional and not optional:
            raise SpecError(
                f"required parameter {param.python_name!r} follows an optional positional one"
            )
        seen_optional = seen_optional or optional
    for slot in method.slots:
        if not slot.options and slot.params[0].default is not None:
            raise SpecError(f"args[{slot.index}]: a positional slot takes no default")


def _timeout(entry: dict[str, Any], params: tuple[Param, ...]) -> TimeoutPolicy | None:
    table = entry.get("timeout")
    if table is None:
        return None
    by_wire = {p.wire_name: p for p in params}
    if table.get("param") not in by_wire:
        raise SpecError(f"timeout.param {table.get('param')!r} is not a parameter")
    if table.get("unit") not in TIMEOUT_UNITS:
        raise SpecError(f"timeout.unit must be one of {sorted(TIMEOUT_UNITS)}")
    param = by_wire[table["param"]]
    if param.kind != "keyword" and not _is_option(entry, param):
        raise SpecError("timeout.param must be a property of an options object")
    return TimeoutPolicy(
        param=param.python_name,
        wire_name=param.wire_name,
        slot=param.slot,
        unit_seconds=TIMEOUT_UNITS[table["unit"]],
        server_default=float(table["server_default"]),
        enforced_by_server=_flag(table, "enforced_by_server", False),
    )


def _rule_names(entry: dict[str, Any], key: str) -> tuple[str, ...]:
    rules = entry.get(key, [])
    if not isinstance(rules, list) or not all(
        isinstance(rule, str) and rule.isidentifier() for rule in rules
    ):
        raise SpecError(f"{key} must be a list of rule names")
    return tuple(rules)


def _is_option(entry: dict[str, Any], param: Param) -> bool:
    slot = entry["args"][param.slot]
    return isinstance(slot, dict) and "options" in slot


def _overloads(
    entry: dict[str, Any], params: tuple[Param, ...], components: dict[str, Any], names: set[str]
) -> tuple[Overload, ...]:
    raw = entry.get("overloads", [])
    if not isinstance(raw, list):
        raise SpecError("overloads must be a list")
    by_wire = {p.wire_name: p for p in params}
    found = []
    for index, item in enumerate(raw):
        when = item.get("when") if isinstance(item, dict) else None
        if not isinstance(when, dict) or not when or "result" not in item:
            raise SpecError(f"overloads[{index}] needs `when` and `result`")
        mapped: dict[str, tuple[Any, ...]] = {}
        for wire, values in when.items():
            if wire not in by_wire:
                raise SpecError(f"overloads[{index}]: {wire!r} is not a parameter")
            if not isinstance(values, list) or not values:
                raise SpecError(f"overloads[{index}]: {wire} must list its values")
            if any(v is not None and not isinstance(v, str | bool | int) for v in values):
                raise SpecError(f"overloads[{index}]: {wire} values must be literals or null")
            mapped[by_wire[wire].python_name] = tuple(values)
        annotation = python_type(item["result"], components, names)
        found.append(Overload(when=mapped, result_annotation=annotation))
    return tuple(found)


def _envelope_timeout(entry: dict[str, Any]) -> float | None:
    value = entry.get("envelope_timeout_s")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise SpecError("envelope_timeout_s must be a positive number of seconds")
    if entry.get("timeout") is not None:
        raise SpecError("a method with a timeout parameter takes its envelope limit from it")
    return float(value)


def _job_start(entry: dict[str, Any], params: tuple[Param, ...]) -> JobStart | None:
    table = entry.get("job_start")
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) - {"positional", "fixed"}:
        raise SpecError("job_start takes `positional` (a list) and `fixed` (a mapping)")
    by_name = {p.python_name: p for p in params}
    positional = tuple(table.get("positional", []))
    fixed = dict(table.get("fixed", {}))
    for name in (*positional, *fixed):
        if name not in by_name:
            raise SpecError(f"job_start names {name!r}, which is not a parameter")
    ordered = [p.python_name for p in params[: len(positional)]]
    if list(positional) != ordered:
        raise SpecError(f"job_start.positional must be the first parameters, {ordered}")
    taken = {*positional, *fixed}
    return JobStart(positional, fixed, tuple(p for p in params if p.python_name not in taken))


def _method(entry: dict[str, Any], components: dict[str, Any]) -> Method:
    for key in ("wire", "args", "result", "summary", "retry", "effect"):
        if key not in entry:
            raise SpecError(f"missing {key!r}")
    wire = entry["wire"]
    if not isinstance(wire, str) or wire.count(".") != 1:
        raise SpecError(f"wire must be '<namespace>.<function>', got {wire!r}")
    namespace, function = wire.split(".")
    if entry.get("namespace", namespace) != namespace:
        raise SpecError(f"namespace {entry['namespace']!r} is not the wire prefix {namespace!r}")
    python_name = entry.get("python", snake_case(function))
    for kind, name in (("method", python_name), ("namespace", namespace)):
        if not _public_identifier(name):
            raise SpecError(f"{name!r} is not a usable public {kind} name")
    if entry["retry"] not in RETRY_KINDS:
        raise SpecError(f"retry must be one of {list(RETRY_KINDS)}, got {entry['retry']!r}")
    if entry["effect"] not in EFFECTS:
        raise SpecError(f"effect must be one of {list(EFFECTS)}, got {entry['effect']!r}")
    if entry["effect"] == "read" and entry["retry"] != "safe":
        raise SpecError("a method whose effect is read is safe to retry: retry must be safe")
    factory = _ParamFactory(entry, components)
    slots = _slots(entry, factory)
    factory.check_all_used()
    every = tuple(p for slot in slots for p in slot.params)
    names = factory.type_names
    result_annotation = python_type(entry["result"], components, names)
    overloads = _overloads(entry, every, components, names)
    method = Method(
        wire_name=wire,
        namespace=namespace,
        python_name=python_name,
        constant=f"{namespace}_{python_name}".upper(),
        summary=_text(entry, "summary"),
        description=_text(entry, "description"),
        slots=slots,
        result_schema=entry["result"],
        args_validator=f"{namespace}_{python_name}_args",
        result_validator=validator_module(entry["result"], f"{namespace}_{python_name}_result"),
        result_annotation=result_annotation,
        overloads=overloads,
        returns=" ".join(_text(entry, "returns").split()),
        timeout=_timeout(entry, every),
        retry=entry["retry"],
        effect=entry["effect"],
        project_shortcut=_flag(entry, "project_shortcut", False),
        errors=_rule_names(entry, "errors"),
        type_names=tuple(sorted(names)),
        prepare=_rule_names(entry, "prepare"),
    )
    method = replace(
        method,
        job_start=_job_start(entry, method.params),
        envelope_timeout_s=_envelope_timeout(entry),
    )
    _check_signature(method)
    return method


def namespaces(spec: dict[str, Any]) -> tuple[Namespace, ...]:
    components: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    table = spec.get("x-cocalc-methods")
    if not isinstance(table, list) or not table:
        raise SpecError("x-cocalc-methods must be a non-empty list")
    grouped: dict[str, list[Method]] = {}
    for index, entry in enumerate(table):
        try:
            if not isinstance(entry, dict):
                raise SpecError("an entry must be a mapping")
            method = _method(entry, components)
        except (SpecError, KeyError, TypeError, ValueError) as error:
            label = index
            if isinstance(entry, dict):
                label = entry.get("python") or entry.get("wire") or index
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
