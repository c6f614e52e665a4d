"""The kernel specs installed for the project, found as the real project finds them; every part
of the server that names, lists or launches a kernel looks here.

The real project finds specs with the ``kernelspecs`` npm package (2.0.1, ``findAll``, used by
src/packages/jupyter/kernel/kernel-data.ts and launch-kernel.ts): one per folder under
``<data dir>/kernels`` that holds a readable ``kernel.json``, named exactly as the folder
(case-sensitive, unlike jupyter_client, which lower-cases), the first data dir that has a name
winning. The data dirs are those of the ``jupyter-paths`` npm package (2.0.3, ``dataDirs``),
computed from the environment of the project process, so ``$HOME`` is the project's folder and
a kernel installed there with ``ipykernel install --user`` is found. ``python3`` is always this
server's own ipykernel: a ``python3`` spec found elsewhere on the machine could point at another
Python without ipykernel. Launching goes through jupyter_client with :class:`ProjectKernelSpecs`.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_client.kernelspec import (
    NATIVE_KERNEL_NAME,
    KernelSpec,
    KernelSpecManager,
    NoSuchKernel,
)

from . import jsjson, nodepath
from .errors import ProjectError

# jupyter-paths (systemDataDirs): searched last, after the sys.prefix guess.
SYSTEM_DATA_DIRS = ("/usr/local/share/jupyter", "/usr/share/jupyter")

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


@functools.cache
def _guess_sys_prefix(path_var: str, cwd: str) -> str | None:
    """jupyter-paths (guessSysPrefix): the prefix of the first ``python`` on PATH, found once
    per process (here: once per PATH); relative PATH entries count from the project's folder."""
    for entry in path_var.split(":"):
        python = nodepath.join(nodepath.resolve(cwd, entry), "python")
        if os.path.exists(python) and os.access(python, os.X_OK):
            return nodepath.dirname(nodepath.dirname(python))
    return None


def data_dirs(env: Mapping[str, str]) -> list[str]:
    """jupyter-paths ``dataDirs()`` as the project process computes it from ``env``."""
    dirs: list[str] = []
    if env.get("JUPYTER_PATH"):
        dirs.append(env["JUPYTER_PATH"])  # taken whole: jupyter-paths does not split it
    home = env.get("HOME", "")
    # userDataDir: no XDG_DATA_HOME and no JUPYTER_DATA_DIR, unlike jupyter_core.
    user_dir = "Library/Jupyter" if sys.platform == "darwin" else ".local/share/jupyter"
    dirs.append(nodepath.join(home, user_dir))
    prefix = _guess_sys_prefix(env.get("PATH", ""), home)
    if prefix:
        prefixed = nodepath.join(prefix, "share", "jupyter")
        if prefixed not in SYSTEM_DATA_DIRS:
            dirs.append(prefixed)
    return [*dirs, *SYSTEM_DATA_DIRS]


def installed_specs(env: Mapping[str, str]) -> dict[str, InstalledSpec]:
    """Kernel name -> spec, in the order names first appear; the first folder wins."""
    found: dict[str, InstalledSpec] = {}
    for data_dir in data_dirs(env):
        kernels_dir = nodepath.join(data_dir, "kernels")
        try:
            entries = sorted(os.listdir(kernels_dir))  # Node's readdir returns sorted names
        except OSError:
            continue
        for entry in entries:
            if entry in found:
                continue
            folder = nodepath.join(kernels_dir, entry)
            raw = _found_kernel_json(folder)
            if raw is not None:
                found[entry] = InstalledSpec(folder, raw)
    found[NATIVE_KERNEL_NAME] = _own_python3()  # replaces one found, in its place
    return found


class ProjectKernelSpecs(KernelSpecManager):
    """jupyter_client's spec lookup, answered from :func:`installed_specs` (exact names) for
    the project environment ``env``."""

    def __init__(self, env: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_env = dict(env)

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = installed_specs(self.project_env).get(kernel_name)
        if spec is None:
            raise NoSuchKernel(kernel_name)
        return KernelSpec(resource_dir=spec.resource_dir, **spec.kernel_json)


def kernel_names(env: Mapping[str, str]) -> list[str]:
    """Names of the kernels that can be launched (``python3`` always can, see above)."""
    return list(installed_specs(env))


def check_kernel_name(name: str, env: Mapping[str, str]) -> None:
    """Raise the real service's error unless a kernel called exactly ``name`` is installed."""
    if not name:
        # src/packages/jupyter/kernel/kernel.ts (spawn)
        raise ProjectError("cannot spawn since no kernel is set")
    names = kernel_names(env)
    if name in names:
        return
    # src/packages/jupyter/kernel/launch-kernel.ts (launchJupyterKernel), wrapped by
    # setFailed in src/packages/jupyter/kernel/kernel.ts (spawn) and thrown by
    # execute_code_now.
    available = jsjson.stringify(names)
    raise spawn_failure(
        name, f'Error: No spec available for kernel "{name}".  Available specs: {available}'
    )


def kernel_json_name(name: str, env: Mapping[str, str]) -> Any:
    """The ``name`` key of kernel ``name``'s kernel.json, or ABSENT.

    listJupyterKernels reports ``kernel_spec.name`` of the launched kernel, where
    ``kernel_spec`` holds the kernel.json contents (src/packages/jupyter/kernel/
    launch-kernel.ts, listRunningKernels): only a kernel.json with a ``name`` key gives one.
    """
    spec = installed_specs(env).get(name)
    if spec is None:
        return ABSENT
    return spec.kernel_json.get("name", ABSENT)
