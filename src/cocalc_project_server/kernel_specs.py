"""The kernel specs installed for the project, found as the real project finds them; every part
of the server that names, lists or launches a kernel looks here.

The real project finds specs with the ``kernelspecs`` npm package (``findAll``, used by
src/packages/jupyter/kernel/kernel-data.ts and launch-kernel.ts): one per folder under
``<data dir>/kernels`` that holds a readable ``kernel.json``, named exactly as the folder
(case-sensitive, unlike jupyter_client, which lower-cases). ``python3`` is always this server's
own ipykernel: a ``python3`` spec found elsewhere on the machine could point at another Python
without ipykernel. Launching goes through jupyter_client with :class:`ProjectKernelSpecs`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from jupyter_client.kernelspec import (
    NATIVE_KERNEL_NAME,
    KernelSpec,
    KernelSpecManager,
    NoSuchKernel,
)
from jupyter_core.paths import jupyter_path

from . import jsjson
from .errors import ProjectError

# No ``name`` key in kernel.json: the usual case (see ``kernel_json_name``).
ABSENT: Any = object()


@dataclass(frozen=True)
class InstalledSpec:
    """One kernelspec: its folder and its kernel.json as read (a non-object reads as ``{}``)."""

    resource_dir: str
    kernel_json: dict[str, Any]


class KernelSpawnError(ProjectError):
    """A kernel could not be started, worded as kernel.ts's ``setFailed`` words it."""


def spawn_failure(name: str, cause: str) -> KernelSpawnError:
    """src/packages/jupyter/kernel/kernel.ts (spawn): the text a failed spawn leaves, with
    ``cause`` being ``${err}`` of what the launch threw."""
    return KernelSpawnError(
        f"**Unable to Spawn Jupyter Kernel:**\n\n{cause} \n\n"
        "Try this in a terminal to help debug this (or contact support): "
        f"`jupyter console --kernel={name}`\n\n"
        "Once you fix the problem, explicitly restart this kernel to test here."
    )


def _read_kernel_json(folder: str) -> Any:
    """The parsed kernel.json in ``folder``, or ABSENT if it is missing or not JSON."""
    try:
        with open(os.path.join(folder, "kernel.json"), encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError):
        return ABSENT


def _own_python3() -> InstalledSpec:
    """``python3`` as the server runs it, with the kernel.json ipykernel installs for it."""
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict

    return InstalledSpec(RESOURCES, dict(get_kernel_dict()))


def _found_kernel_json(folder: str) -> dict[str, Any] | None:
    raw = _read_kernel_json(folder)
    if raw is ABSENT:
        return None
    return raw if isinstance(raw, dict) else {}


def installed_specs() -> dict[str, InstalledSpec]:
    """Kernel name -> spec, in the order names first appear; the first folder wins."""
    found: dict[str, InstalledSpec] = {}
    for kernels_dir in jupyter_path("kernels"):
        try:
            entries = sorted(os.listdir(kernels_dir))  # Node's readdir returns sorted names
        except OSError:
            continue
        for entry in entries:
            if entry in found:
                continue
            folder = os.path.join(kernels_dir, entry)
            raw = _found_kernel_json(folder)
            if raw is not None:
                found[entry] = InstalledSpec(folder, raw)
    found[NATIVE_KERNEL_NAME] = _own_python3()  # replaces one found, in its place
    return found


class ProjectKernelSpecs(KernelSpecManager):
    """jupyter_client's spec lookup, answered from :func:`installed_specs` (exact names)."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = installed_specs().get(kernel_name)
        if spec is None:
            raise NoSuchKernel(kernel_name)
        return KernelSpec(resource_dir=spec.resource_dir, **spec.kernel_json)


def kernel_names() -> list[str]:
    """Names of the kernels that can be launched (``python3`` always can, see above)."""
    return list(installed_specs())


def check_kernel_name(name: str) -> None:
    """Raise the real service's error unless a kernel called exactly ``name`` is installed."""
    if not name:
        # src/packages/jupyter/kernel/kernel.ts (spawn)
        raise ProjectError("cannot spawn since no kernel is set")
    names = kernel_names()
    if name in names:
        return
    # src/packages/jupyter/kernel/launch-kernel.ts (launchJupyterKernel), wrapped by
    # setFailed in src/packages/jupyter/kernel/kernel.ts (spawn) and thrown by
    # execute_code_now.
    available = jsjson.stringify(names)
    raise spawn_failure(
        name, f'Error: No spec available for kernel "{name}".  Available specs: {available}'
    )


def kernel_json_name(name: str) -> Any:
    """The ``name`` key of kernel ``name``'s kernel.json, or ABSENT.

    listJupyterKernels reports ``kernel_spec.name`` of the launched kernel, where
    ``kernel_spec`` holds the kernel.json contents (src/packages/jupyter/kernel/
    launch-kernel.ts, listRunningKernels): only a kernel.json with a ``name`` key gives one.
    """
    spec = installed_specs().get(name)
    if spec is None:
        return ABSENT
    return spec.kernel_json.get("name", ABSENT)
