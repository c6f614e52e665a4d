"""Compiles a schema of the spec into a standalone validator module with fastjsonschema."""

from __future__ import annotations

from typing import Any

import fastjsonschema

# Annotations only: they do not constrain a value (as in JSON Schema 2020-12) and would bloat
# the compiled code, which embeds each failing definition.
ANNOTATIONS = {"description", "format", "title", "examples"}


def strip_annotations(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: strip_annotations(value)
            for key, value in schema.items()
            if key not in ANNOTATIONS or not isinstance(value, str)
        }
    if isinstance(schema, list):
        return [strip_annotations(item) for item in schema]
    return schema


REF_PREFIX = "#/components/schemas/"


def _referenced(schema: Any, schemas: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    """The component schemas `schema` refers to, directly or through others."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            name = ref.removeprefix(REF_PREFIX)
            if name not in found:
                found[name] = schemas[name]
                _referenced(schemas[name], schemas, found)
        for value in schema.values():
            _referenced(value, schemas, found)
    elif isinstance(schema, list):
        for item in schema:
            _referenced(item, schemas, found)
    return found


def compile_validator(schema: dict[str, Any], components: dict[str, Any]) -> str:
    """Python source of a module whose `validate(data)` raises JsonSchemaValueException.

    Only the components the schema uses go into the document: fastjsonschema embeds the
    failing definition in each exception it raises, the document root included.
    """
    used = _referenced(schema, components.get("schemas", {}), {})
    document = strip_annotations(schema)
    if used:
        document = {
            **document,
            "components": {"schemas": strip_annotations(dict(sorted(used.items())))},
        }
    return str(fastjsonschema.compile_to_code(document))
