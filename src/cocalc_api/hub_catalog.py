"""The hub API's methods as data, for tools built from the method table at run time (the
`cocalc-hub` command line, the MCP server's hub tools): the generated catalog and method table,
and `projects.get`, which is client code over `db.userQuery` (`cocalc_api.hub`, as in the
reference client) and so in neither.

>>> from cocalc_api.hub_catalog import catalog_methods
>>> [m["wire"] for m in catalog_methods() if (m["namespace"], m["python"]) == ("projects", "get")]
['db.userQuery']
"""

from __future__ import annotations

from typing import Any

from cocalc_api.hub import DEFAULT_PROJECT_FIELDS
from cocalc_api_generated._runtime import MethodSpec, catalog
from cocalc_api_generated.hub.specs import DB_QUERY, METHODS

__all__ = ["PROJECTS_GET", "PROJECTS_GET_SPEC", "catalog_methods", "method_specs"]

# `projects.get` in the table: what it sends is db.userQuery's (its transport policy too, so
# it is not retried), but a `get` query of the projects tables only reads.
PROJECTS_GET_SPEC: MethodSpec[Any] = DB_QUERY._replace(
    namespace="projects", python_name="get", effect="read"
)


def _param(python: str, schema: dict[str, Any], default: Any = None) -> dict[str, Any]:
    return {
        "default": default,
        "description": schema["description"],
        "kind": "keyword",
        "python": python,
        "required": False,
        "schema": schema,
        "wire": python,
    }


_UUID = {"type": "string"}
# The parameters of `cocalc_api.hub.Projects.get`, in its order (a test compares them).
_PARAMS = [
    _param(
        "fields",
        {
            "type": "array",
            "items": {"type": "string"},
            "description": (
                "The fields of each project to get (default: "
                + ", ".join(DEFAULT_PROJECT_FIELDS)
                + "; see src/packages/util/db-schema/projects.ts)."
            ),
        },
    ),
    _param(
        "all",
        {
            "type": "boolean",
            "description": "All your projects, not just the recent ones (edited in the last "
            "6 weeks, at most 300).",
        },
        False,
    ),
    _param("project_id", {**_UUID, "description": "Just this project (its uuid; a list of one)."}),
    _param(
        "limit",
        {
            "type": "integer",
            "minimum": 0,
            "description": "At most this many projects, after filtering (default: all).",
        },
    ),
    _param(
        "deleted",
        {"type": "boolean", "description": "Only deleted (true) or only not deleted (false)."},
    ),
    _param(
        "hidden",
        {
            "type": "boolean",
            "description": "Only hidden (true) or only visible (false) projects, by the hidden "
            "flag of account_id_for_hidden.",
        },
    ),
    _param(
        "state",
        {"type": "string", "description": 'Only projects in this state (e.g. "running").'},
    ),
    _param(
        "account_id_for_hidden",
        {**_UUID, "description": "The account whose hidden flag `hidden` reads."},
    ),
]

PROJECTS_GET: dict[str, Any] = {
    "namespace": "projects",
    "python": "get",
    "wire": "db.userQuery",
    "summary": "Get data about projects that you are a collaborator on.",
    "description": (
        "Only recent projects unless `all`. A query of the projects tables (db.userQuery); "
        "the filters, the order (most recently edited first) and `limit` are applied by the "
        "client, as the reference client does."
    ),
    "returns": "The projects, most recently edited first: the fields asked for of each.",
    "retry": PROJECTS_GET_SPEC.retry,
    "effect": PROJECTS_GET_SPEC.effect,
    "timeout_param": None,
    "params": _PARAMS,
    "input_schema": {
        "type": "object",
        "properties": {p["python"]: p["schema"] for p in _PARAMS},
    },
    "result_schema": {"type": "array", "items": {"type": "object"}},
}


def catalog_methods() -> list[dict[str, Any]]:
    """The hub API's methods as catalog entries (`cocalc_api_generated`'s `catalog("hub")`),
    with `projects.get` first among the `projects.*` methods."""
    methods = list(catalog("hub")["methods"])
    first = next(i for i, m in enumerate(methods) if m["namespace"] == "projects")
    return [*methods[:first], PROJECTS_GET, *methods[first:]]


def method_specs() -> tuple[MethodSpec[Any], ...]:
    """The hub API's method table (`cocalc_api_generated.hub.specs.METHODS`) and `projects.get`."""
    return (*METHODS, PROJECTS_GET_SPEC)
