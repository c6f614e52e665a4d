"""The MCP tools, built from the method table at run time: one tool per method of the spec.

Everything a tool says about itself comes from `cocalc_api_generated`'s `catalog()` (names,
docs, JSON Schemas) and `METHODS` (retry class, effect, timeout policy): a method added to the
spec becomes a tool with no change here. The hub API's tools come from its catalog and table
the same way (`cocalc_api.hub_catalog`, which adds the client's `projects.get`), named `hub_*`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cocalc_api_generated._runtime import MethodSpec, catalog
from cocalc_api_generated.specs import METHODS

# Tool names: the MCP spec allows dots too, but the Anthropic and OpenAI tool-use APIs accept
# only these characters (and at most 64 of them), so `system.exec` becomes `system_exec`.
TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# The key of a non-object result in a tool's structured content (MCP structured content must
# be a JSON object): `{"result": <the method's result>}`.
RESULT_KEY = "result"

# Before the names of the hub API's tools: `hub_projects_create_project`.
HUB_PREFIX = "hub_"

Api = Literal["project", "hub"]


@dataclass(frozen=True, slots=True)
class Annotations:
    """MCP tool annotations (hints for clients), derived from the method table."""

    read_only: bool  # readOnlyHint: the method's effect is "read"
    destructive: bool  # destructiveHint: its effect is "destructive"
    idempotent: bool  # idempotentHint: retry class "safe" or "idempotent"


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool: what the client is told about it, and how to call its method."""

    name: str  # e.g. "system_exec", "hub_projects_start"
    title: str  # the method's summary
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    wrapped: bool  # the result is not an object: structured content is {"result": ...}
    annotations: Annotations
    method: MethodSpec[Any]
    namespace: str  # the attribute of the client, e.g. "system"
    python_name: str  # the method of that namespace, e.g. "exec"
    parameters: frozenset[str]  # Python names
    required: frozenset[str]
    api: Api = "project"  # whose method: the project's (AsyncProject) or the hub's (AsyncHub)

    @property
    def qualified_name(self) -> str:
        """e.g. "system.exec_status" (the wire name is shared by exec and exec_status)."""
        return f"{self.namespace}.{self.python_name}"


def is_object_schema(schema: Mapping[str, Any]) -> bool:
    """Whether every value the schema admits is a JSON object (`type: object`, or a union of
    such schemas)."""
    if schema.get("type") == "object":
        return True
    if "type" in schema:
        return False
    branches: list[Any] = schema.get("anyOf") or schema.get("oneOf") or []
    return bool(branches) and all(is_object_schema(branch) for branch in branches)


def output_schema(result_schema: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The tool's outputSchema (an object at the root, as MCP requires) and whether the result
    is wrapped as {"result": ...}."""
    if is_object_schema(result_schema):
        return {**result_schema, "type": "object"}, False
    return {
        "type": "object",
        "properties": {RESULT_KEY: dict(result_schema)},
        "required": [RESULT_KEY],
        "additionalProperties": False,
    }, True


def describe(entry: Mapping[str, Any], wrapped: bool) -> str:
    """The tool's description: the method's summary, description and what it returns."""
    parts = [entry["summary"].strip()]
    if entry.get("description", "").strip():
        parts.append(entry["description"].strip())
    returns = " ".join(entry.get("returns", "").split())
    if returns:
        key = f' (structured content: {{"{RESULT_KEY}": ...}})' if wrapped else ""
        parts.append(f"Returns{key}: {returns}")
    return "\n\n".join(parts)


def annotate(effect: str, retry: str) -> Annotations:
    """The hints, from the method table's `effect` and `retry`."""
    return Annotations(
        read_only=effect == "read",
        destructive=effect == "destructive",
        idempotent=retry in ("safe", "idempotent"),
    )


def tool_specs(api: Api = "project") -> tuple[ToolSpec, ...]:
    """Every method of the API's spec as a tool, in the table's order; ValueError if two
    methods would share a tool name or a name is not a valid tool name. `api="hub"`: the hub
    API's, named `hub_<namespace>_<method>`."""
    if api == "hub":
        from cocalc_api.hub_catalog import catalog_methods, method_specs

        entries, table, prefix = catalog_methods(), method_specs(), HUB_PREFIX
    else:
        entries, table, prefix = catalog()["methods"], METHODS, ""
    methods = {(m.namespace, m.python_name): m for m in table}
    specs: list[ToolSpec] = []
    names: set[str] = set()
    for entry in entries:
        namespace, python_name = entry["namespace"], entry["python"]
        method = methods.pop((namespace, python_name))
        name = f"{prefix}{namespace}_{python_name}"
        if not TOOL_NAME.match(name) or name in names:
            raise ValueError(f"{entry['wire']}: {name!r} is not a usable, unique tool name")
        names.add(name)
        schema, wrapped = output_schema(entry["result_schema"])
        specs.append(
            ToolSpec(
                name=name,
                title=entry["summary"].strip().rstrip("."),
                description=describe(entry, wrapped),
                input_schema=dict(entry["input_schema"]),
                output_schema=schema,
                wrapped=wrapped,
                annotations=annotate(method.effect, method.retry),
                method=method,
                namespace=namespace,
                python_name=python_name,
                parameters=frozenset(p["python"] for p in entry["params"]),
                required=frozenset(p["python"] for p in entry["params"] if p["required"]),
                api=api,
            )
        )
    if methods:
        raise ValueError(f"methods missing from the catalog: {sorted(methods)}")
    return tuple(specs)
