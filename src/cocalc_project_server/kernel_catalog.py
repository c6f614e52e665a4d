"""``editor.jupyterKernels`` and ``editor.jupyterKernelLogo``: the installed kernelspecs (as
:mod:`.kernel_specs` finds them) and their logos, shaped and cached as the real service does.

Follows src/packages/jupyter/kernel/kernel-data.ts (the list, cached 15 s, sorted by
display_name, names lower-cased) and src/packages/jupyter/kernel/logo.ts (the logo, cached an
hour per name).
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from .errors import ProjectError
from .kernel_specs import installed_specs
from .nodeerrors import fs_error

KERNEL_LIST_TTL_S = 15.0
LOGO_TTL_S = 3600.0
LOGO_CACHE_SIZE = 30

T = TypeVar("T")


class InFlight:
    """One shared run of a coroutine function while it is in flight (CoCalc's reuseInFlight)."""

    def __init__(self) -> None:
        self._task: asyncio.Task[Any] | None = None

    async def run(self, make: Callable[[], Awaitable[T]]) -> T:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(make())
        result: T = await asyncio.shield(self._task)
        return result


def _spec_language(raw: dict[str, Any]) -> Any:
    # kernel-data.ts: the Macaulay2 kernel names its language by MIME type.
    language = raw.get("language")
    return "Macaulay2" if language == "text/x-macaulay2" else language


def _kernel_entry(name: str, resource_dir: str, raw: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name.lower(),
        "display_name": raw.get("display_name"),
        "language": _spec_language(raw),
        "interrupt_mode": raw.get("interrupt_mode"),
        "env": raw.get("env") if raw.get("env") is not None else {},
        "metadata": raw.get("metadata"),
        "resource_dir": resource_dir,
        "argv": raw.get("argv"),
    }
    # A key missing from kernel.json is undefined in JavaScript and left out of the JSON.
    return {k: v for k, v in entry.items() if k in ("name", "env", "resource_dir") or k in raw}


def _js_sort_key(value: Any) -> tuple[int, bytes]:
    # field_cmp compares with < and >: strings by UTF-16 code units; others sort first.
    if isinstance(value, str):
        return (1, value.encode("utf-16-be", "surrogatepass"))
    return (0, b"")


def list_kernel_specs(env: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every kernelspec installed for the project environment ``env`` as a KernelSpec object,
    sorted by display_name."""
    entries = [
        _kernel_entry(name, spec.resource_dir, spec.kernel_json)
        for name, spec in installed_specs(env).items()
    ]
    entries.sort(key=lambda e: _js_sort_key(e.get("display_name")))
    return entries


def _collation_key(name: str) -> tuple[tuple[tuple[int, str], ...], tuple[int, ...]]:
    """An approximation of ``String.localeCompare`` (ICU root collation) for file names:
    punctuation before digits before letters, case ignored first, lower case first on ties."""
    primary: list[tuple[int, str]] = []
    tertiary: list[int] = []
    for ch in unicodedata.normalize("NFD", name):
        if unicodedata.combining(ch):
            continue
        folded = ch.casefold()
        group = 2 if ch.isalpha() else 1 if ch.isdigit() else 0
        primary.append((group, folded))
        tertiary.append(1 if ch.isupper() else 0)
    return tuple(primary), tuple(tertiary)


def pick_logo(resource_dir: str) -> dict[str, str]:
    """The first ``logo-*`` file in reverse collation order (svg before png), in base64."""
    try:
        names = os.listdir(resource_dir)
    except OSError as exc:
        raise fs_error(exc, "scandir", resource_dir) from None
    logos = sorted((n for n in names if n.startswith("logo-")), key=_collation_key, reverse=True)
    if not logos:
        return {"base64": ""}  # logo.ts: filename is undefined, so it is not sent
    with open(os.path.join(resource_dir, logos[0]), "rb") as fh:
        data = fh.read()
    return {"filename": logos[0], "base64": base64.b64encode(data).decode("ascii")}


class KernelSpecCatalog:
    """The cached kernel list and logos of the project whose environment is ``env``."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = dict(env)
        self._list: tuple[float, list[dict[str, Any]]] | None = None
        # reuseInFlight shares a run between calls with the same arguments.
        self._listing = {False: InFlight(), True: InFlight()}
        self._logos: OrderedDict[str, tuple[float, dict[str, str]]] = OrderedDict()

    async def kernels(self, *, no_cache: bool = False) -> list[dict[str, Any]]:
        """kernel-data.ts ``get_kernel_data``: the list, reused for 15 s unless ``no_cache``."""
        return await self._listing[no_cache].run(lambda: self._kernels(no_cache))

    async def _kernels(self, no_cache: bool) -> list[dict[str, Any]]:
        if not no_cache and self._list is not None:
            stamp, cached = self._list
            if time.monotonic() - stamp < KERNEL_LIST_TTL_S:
                return cached
        # Reading every kernel.json is file I/O: keep it off the event loop.
        entries = await asyncio.to_thread(list_kernel_specs, self._env)
        self._list = (time.monotonic(), entries)
        return entries

    async def logo(self, kernel_name: str, *, no_cache: bool = False) -> dict[str, str]:
        """logo.ts: the kernel's logo, cached for an hour per name unless ``no_cache``."""
        if not no_cache:
            hit = self._logos.get(kernel_name)
            if hit is not None and time.monotonic() - hit[0] < LOGO_TTL_S:
                self._logos.move_to_end(kernel_name)
                return hit[1]
        kernels = await self.kernels(no_cache=no_cache)
        # Names in the list are lower-cased and the lookup is not: "Python3" is unknown.
        kernel = next((k for k in kernels if k["name"] == kernel_name), None)
        if kernel is None:
            raise ProjectError(f"no such kernel '{kernel_name}'")
        logo = await asyncio.to_thread(pick_logo, str(kernel["resource_dir"]))
        self._logos[kernel_name] = (time.monotonic(), logo)
        self._logos.move_to_end(kernel_name)
        while len(self._logos) > LOGO_CACHE_SIZE:
            self._logos.popitem(last=False)
        return logo
