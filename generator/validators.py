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


def compile_validator(schema: dict[str, Any], components: dict[str, Any]) -> str:
    """Python source of a module whose `validate(data)` raises JsonSchemaValueException."""
    document = {**strip_annotations(schema), "components": strip_annotations(components)}
    return str(fastjsonschema.compile_to_code(document))
