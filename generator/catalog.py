"""`catalog.json`: every method's parameters and result as self-contained JSON Schemas.

The command line and the MCP server are built from it at run time, so a method added to the
spec gets its subcommand and its tool with no handwritten change. Schemas are JSON Schema
2020-12 with every `$ref` resolved in place, keyed by the Python names of the parameters.
"""

from __future__ import annotations

import json
from typing import Any

from generator.method_table import REF_PREFIX, Method, Namespace, SpecError


def _inline(schema: Any, components: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(schema, list):
        return [_inline(item, components, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        name = ref.removeprefix(REF_PREFIX)
        if name in seen:
            raise SpecError(f"schema {name} refers to itself; the catalog cannot inline it")
        target = _inline(components[name], components, (*seen, name))
        rest = {k: _inline(v, components, seen) for k, v in schema.items() if k != "$ref"}
        return {**target, **rest}
    return {key: _inline(value, components, seen) for key, value in schema.items()}


def _method_entry(method: Method, components: dict[str, Any]) -> dict[str, Any]:
    params = []
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in method.params:
        slot = method.slots[param.slot]
        if slot.options:
            options = _inline(slot.schema, components)
            schema = options["properties"][param.wire_name]
        else:
            schema = _inline(slot.schema, components)
        schema = {**schema, "description": param.description} if param.description else schema
        if param.default is not None:
            schema = {**schema, "default": param.default}
        params.append(
            {
                "python": param.python_name,
                "wire": param.wire_name,
                "kind": param.kind,
                "required": param.required,
                "default": param.default,
                "description": param.description,
                "schema": schema,
            }
        )
        properties[param.python_name] = schema
        if param.required:
            required.append(param.python_name)
    input_schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        input_schema["required"] = required
    return {
        "wire": method.wire_name,
        "namespace": method.namespace,
        "python": method.python_name,
        "summary": method.summary,
        "description": method.description,
        "returns": method.returns,
        "retry": method.retry,
        "effect": method.effect,
        "timeout_param": method.timeout.param if method.timeout else None,
        "params": params,
        "input_schema": input_schema,
        "result_schema": _inline(method.result_schema, components),
    }


def render_catalog(tree: tuple[Namespace, ...], components: dict[str, Any]) -> str:
    catalog = {
        "methods": [
            _method_entry(method, components) for namespace in tree for method in namespace.methods
        ]
    }
    return json.dumps(catalog, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
