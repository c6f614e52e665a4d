"""A subcommand per method of the catalog, grouped by namespace: `system listing --path .`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click

from cocalc_api.cli._config import config, wants_json
from cocalc_api.cli._exit_codes import EXIT_OK
from cocalc_api.cli._options import Method, json_option, method_params
from cocalc_api.cli._render import to_json, to_text, write


def find_method(methods: list[Method], namespace: str, python: str) -> Method:
    for method in methods:
        if method["namespace"] == namespace and method["python"] == python:
            return method
    raise LookupError(f"the spec has no {namespace}.{python}")


def method_help(method: Method) -> str:
    parts = [method["summary"]]
    if method.get("description"):
        parts.append(method["description"].strip())
    retry = {"safe": "read-only, retried", "idempotent": "idempotent, retried"}.get(method["retry"])
    parts.append(
        f"Calls `{method['wire']}`" + (f" ({retry} on transient failures)." if retry else ".")
    )
    if method.get("returns"):
        parts.append(f"Prints: {method['returns'].strip()}")
    return "\n\n".join(parts)


def call_method(method: Method, kwargs: Mapping[str, Any]) -> Any:
    """Call `client.<namespace>.<python name>(**kwargs)`: the generated, typed method (or the
    client's own, such as the hub's `projects.get`)."""
    namespace = getattr(config().client(), method["namespace"])
    return getattr(namespace, method["python"])(**kwargs)


def method_command(method: Method) -> click.Command:
    """The subcommand of one method of the catalog."""
    spec = method_params(method)

    def callback(**given: Any) -> int:
        result = call_method(method, spec.values(given))
        if wants_json(given):
            write(sys.stdout, to_json(result))
        else:
            write(sys.stdout, to_text(result))
        return EXIT_OK

    arguments = spec.arguments_help()
    return click.Command(
        method["python"].replace("_", "-"),
        params=[*spec.click_params(), json_option()],
        callback=callback,
        help=method_help(method) + ("\n\n" + arguments if arguments else ""),
        short_help=method["summary"],
    )


class AliasGroup(click.Group):
    """Finds `exec_status` as well as `exec-status`."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or super().get_command(
            ctx, cmd_name.replace("_", "-")
        )


def namespace_groups(methods: list[Method], title: str = "project API") -> list[click.Group]:
    groups: dict[str, AliasGroup] = {}
    for method in methods:
        namespace = method["namespace"]
        if namespace not in groups:
            groups[namespace] = AliasGroup(
                namespace,
                help=f"The `{namespace}.*` methods of the {title}, one subcommand each.",
            )
        groups[namespace].add_command(method_command(method))
    return list(groups.values())
