"""``jupyter.kernels`` and ``jupyter.execute`` in a project (src/packages/server/jupyter/
{kernels,execute}.ts), run by the project's own server, with the real result cache."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from cocalc_project_server.envelope import Envelope

from ..access import is_collaborator
from ..errors import HubError, WireError
from ..jsvalues import iso, js_trim, now_iso, now_ms
from .base import HubContext, HubMethod, options

# kernels.ts: an LRU with a 30 s ttl.
KERNELS_CACHE_S = 30.0
# execute.ts: a project's own pool and limits.
PROJECT_POOL = {"size": 2, "timeout_s": 30 * 60}
PROJECT_LIMITS = {
    "timeout_ms": 45000,
    "timeout_ms_per_cell": 30000,
    "max_output": 5000000,
    "max_output_per_cell": 1000000,
}
# The project call's own limit: the hub's envelope timeout bounds the whole call anyway.
_PROJECT_CALL_TIMEOUT_MS = 10 * 60 * 1000
# expire_time(30 * 24 * 60 * 60)
_CACHE_TTL_MS = 30 * 24 * 60 * 60 * 1000
NOT_ENABLED = "Jupyter API is not enabled on this server."


def compute_hash(
    history: list[str] | None, input: str, kernel: str, project_id: Any, path: Any
) -> str:
    """src/packages/util/jupyter-api/compute-hash.ts: sha1 of the JSON of the trimmed inputs."""
    _check_types(history, input, kernel)
    key = [
        [js_trim(x) for x in (history or [])],
        js_trim(input),
        js_trim(kernel.lower()),
        project_id,
        path,
    ]
    text = json.dumps(key, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def _check_types(history: Any, input: Any, kernel: Any) -> None:
    if history is not None and not isinstance(history, list):
        raise WireError("TypeError: (history ?? []).map is not a function")
    if any(not isinstance(x, str) for x in history or []):
        raise WireError("TypeError: x.trim is not a function")
    if not isinstance(input, str):
        raise WireError("TypeError: input.trim is not a function")
    if not isinstance(kernel, str):
        raise WireError("TypeError: kernel.toLowerCase is not a function")


def _check_project(ctx: HubContext, opts: dict[str, Any]) -> str | None:
    project_id = opts.get("project_id")
    if project_id is None:
        return None
    account_id = opts.get("account_id")
    if account_id is None:
        raise HubError("account_id must be specified -- make sure you are signed in")
    with ctx.store.transaction() as tx:
        if not is_collaborator(tx, account_id, project_id):
            raise HubError("permission denied -- user must be collaborator on project")
    return str(project_id)


async def _call_project(ctx: HubContext, project_id: str, name: str, args: list[Any]) -> Any:
    ctx.control.touch(project_id, None)
    envelope = Envelope(name, args, project_id, _PROJECT_CALL_TIMEOUT_MS, 0)
    try:
        async with ctx.control.using(project_id) as running:
            return await running.dispatcher.call(envelope)
    except WireError as exc:
        # callProject's reply carries the project's error text, thrown again as an Error.
        raise HubError(exc.message) from None


async def kernels(ctx: HubContext, *args: Any) -> list[Any]:
    opts = options(args)
    project_id = _check_project(ctx, opts)
    if project_id is None:
        raise HubError(NOT_ENABLED)
    cached = ctx.kernel_specs.get(project_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    specs = await _call_project(ctx, project_id, "editor.jupyterKernels", [{}])
    ctx.kernel_specs[project_id] = (time.monotonic() + KERNELS_CACHE_S, specs)
    return list(specs)


async def execute(ctx: HubContext, *args: Any) -> dict[str, Any] | None:
    opts = options(args)
    given_hash, no_cache = opts.get("hash"), bool(opts.get("noCache"))
    if given_hash is not None and not no_cache:
        return _cached(ctx, given_hash)
    source, kernel = opts.get("input"), opts.get("kernel")
    if source is None:
        raise HubError("input or hash must not be null")
    if kernel is None:
        raise HubError("kernel must be specified in hash is not specified")
    created = now_iso()
    history, path = opts.get("history"), opts.get("path")
    project_id = opts.get("project_id")
    key = compute_hash(history, source, kernel, project_id, path)
    if not no_cache:
        saved = _cached(ctx, key)
        if saved is not None:
            return saved
    project_id = _check_project(ctx, opts)
    if project_id is None:
        raise HubError(NOT_ENABLED)
    request: dict[str, Any] = {"input": source, "kernel": kernel}
    if history is not None:
        request["history"] = history
    if path is not None:
        request["path"] = path
    output = await _call_project(
        ctx,
        project_id,
        "system.jupyterExecute",
        [{**request, "pool": PROJECT_POOL, "limits": PROJECT_LIMITS}],
    )
    with ctx.store.transaction() as tx:
        if no_cache:
            tx.execute("DELETE FROM jupyter_api_cache WHERE hash = ?", (key,))
        tx.insert(
            "jupyter_api_cache",
            {
                "hash": key,
                "created": created,
                "output": output,
                "last_active": created,
                "expire": _expire(),
            },
        )
    return {"output": output, "created": created}


def _expire() -> str:
    return iso(now_ms() + _CACHE_TTL_MS)


def _cached(ctx: HubContext, key: Any) -> dict[str, Any] | None:
    with ctx.store.transaction() as tx:
        row = tx.row(
            "jupyter_api_cache",
            "SELECT id, output, created FROM jupyter_api_cache WHERE hash = ?",
            (key,),
        )
        if row is not None:
            tx.update(
                "jupyter_api_cache",
                {"last_active": now_iso(), "expire": _expire()},
                "id = ?",
                (row["id"],),
            )
    return row


METHODS: dict[str, HubMethod] = {
    "jupyter.kernels": HubMethod(kernels),
    "jupyter.execute": HubMethod(execute),
}
