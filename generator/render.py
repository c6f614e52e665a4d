"""Renders the method table through the Jinja2 templates in generator/templates/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from generator.method_table import Namespace, namespaces

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def _typeddict_names(tree: tuple[Namespace, ...]) -> list[str]:
    names: set[str] = set()
    for namespace in tree:
        for method in namespace.methods:
            for annotation in [method.result_annotation, *(p.annotation for p in method.params)]:
                names.update(
                    word
                    for word in annotation.replace("[", " ")
                    .replace("]", " ")
                    .replace(",", " ")
                    .split()
                    if word[:1].isupper() and word not in ("Any", "None")
                )
    return sorted(names)


def render_package(spec: dict[str, Any], package: Path, header: str) -> None:
    tree = namespaces(spec)
    context = {
        "namespaces": tree,
        "methods": [m for ns in tree for m in ns.methods],
        "typeddicts": _typeddict_names(tree),
        "title": spec.get("info", {}).get("title", "API"),
        "paths": list(spec.get("paths", {})),
    }
    env = _environment()
    for name in ("__init__.py", "_runtime.py", "methods.py"):
        text = env.get_template(f"{name}.jinja").render(**context)
        (package / name).write_text(header + text, encoding="utf-8")
    (package / "py.typed").write_text("", encoding="utf-8")
