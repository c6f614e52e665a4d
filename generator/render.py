"""Renders the method table through the Jinja2 templates in generator/templates/."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from generator.method_table import Method, Namespace, SpecError, namespaces

TEMPLATES = Path(__file__).resolve().parent / "templates"
RUNTIME = Path(__file__).resolve().parent / "runtime.py"
# Envelope shapes: the transport's business, not something a user imports.
PRIVATE_SCHEMAS = frozenset({"RpcRequest", "RpcResponse", "RpcError", "EmptyArgs"})


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def _type_names(methods: list[Method]) -> list[str]:
    return sorted({name for method in methods for name in method.type_names})


def _namespace_context(ns: Namespace) -> dict[str, Any]:
    methods = list(ns.methods)
    annotations = [p.annotation for m in methods for p in m.params]
    return {
        "ns": ns,
        "typeddicts": _type_names(methods),
        "uses_literal": any(m.overloads for m in methods)
        or any("Literal[" in a for a in annotations),
        "uses_overload": any(m.overloads for m in methods),
        "uses_pack": any(not m.all_slots_required for m in methods),
    }


def _envelope_default_ms(spec: dict[str, Any]) -> int:
    """The server's limit of a call whose envelope has no `timeout` (the spec's default)."""
    envelope = spec["components"]["schemas"]["RpcRequest"]["properties"]["timeout"]
    default = envelope.get("default")
    if not isinstance(default, int) or default <= 0:
        raise SpecError("RpcRequest.timeout needs a positive integer default (milliseconds)")
    return default


@dataclass(frozen=True)
class Client:
    """The client class an API's methods are generated for."""

    name: str  # "Project": ProjectMethods, AsyncProjectMethods in `project.py`
    subpackage: str = ""  # "" for the root package; "hub" for cocalc_api_generated.hub

    @property
    def var(self) -> str:
        return self.name.lower()

    @property
    def module(self) -> str:
        return self.name.lower()


def render_package(
    spec: dict[str, Any], package: Path, header: str, client: Client = Client("Project")
) -> None:
    tree = namespaces(spec)
    methods = [m for ns in tree for m in ns.methods]
    shortcuts = [m for m in methods if m.project_shortcut]
    context = {
        "namespaces": tree,
        "methods": methods,
        "shortcuts": shortcuts,
        "typeddicts": _type_names(methods),
        "shortcut_typeddicts": _type_names(shortcuts),
        "title": spec.get("info", {}).get("title", "API"),
        "paths": list(spec.get("paths", {})),
        "envelope_default_ms": _envelope_default_ms(spec),
        "client": client,
        # A subpackage's modules reach the one runtime of the root package.
        "runtime": ".._runtime" if client.subpackage else "._runtime",
        "validator_prefix": f"{client.subpackage}." if client.subpackage else "",
    }
    env = _environment()

    def write(relative: str, template: str, extra: dict[str, Any] | None = None) -> None:
        text = env.get_template(template).render({**context, **(extra or {})})
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(header + text, encoding="utf-8")

    for name in ("__init__.py", "specs.py"):
        write(name, f"{name}.jinja")
    write(f"{client.module}.py", "client.py.jinja")
    job_methods = [m for m in methods if m.job_start is not None]
    if len(job_methods) > 1:
        raise SpecError("x-cocalc-methods: at most one method may be marked job_start")
    for method in job_methods:
        job = method.job_start
        assert job is not None
        used = [n for n in method.type_names if any(n in p.annotation for p in job.options)]
        write("jobs.py", "jobs.py.jinja", {"method": method, "job": job, "option_types": used})
    if not client.subpackage:  # the runtime depends on no spec: copied as it is, once
        (package / "_runtime.py").write_text(header + RUNTIME.read_text(encoding="utf-8"))
    write("resources/__init__.py", "resources/__init__.py.jinja")
    for ns in tree:
        write(f"resources/{ns.name}.py", "resources/namespace.py.jinja", _namespace_context(ns))
    (package / "py.typed").write_text("", encoding="utf-8")


def render_types(package: Path, header: str) -> None:
    """`types.py`: every public shape of `typeddicts.py`, re-exported under `__all__`."""
    tree = ast.parse((package / "typeddicts.py").read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    public = sorted(n for n in names if n not in PRIVATE_SCHEMAS and not n.startswith("_"))
    lines = [
        '"""The shapes of results and arguments, as TypedDicts generated from the spec."""',
        "",
        "from .typeddicts import (",
        *(f"    {name}," for name in public),
        ")",
        "",
        "__all__ = [",
        *(f'    "{name}",' for name in public),
        "]",
        "",
    ]
    (package / "types.py").write_text(header + "\n".join(lines), encoding="utf-8")
