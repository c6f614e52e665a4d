"""The kernel specs installed for the project, looked up as the real project looks them up.

The real project finds specs with the ``kernelspecs`` npm package: one per folder under
``<data dir>/kernels`` that holds a readable ``kernel.json``, named exactly as the folder
(case-sensitive, unlike jupyter_client, which lower-cases). Launching goes through
jupyter_client; this module only decides which names exist and what the failures say.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpec, KernelSpecManager
from jupyter_core.paths import jupyter_path

from .errors import ProjectError

# No ``name`` key in kernel.json: the usual case (see ``kernel_json_name``).
ABSENT: Any = object()


class ProjectKernelSpecs(KernelSpecManager):
    """Installed kernel specs, except that ``python3`` is always this interpreter's ipykernel.

    A ``python3`` spec found elsewhere on the machine could point at another Python without
    ipykernel; pinning it keeps the kernel in the server's own environment.
    """

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name == NATIVE_KERNEL_NAME:
            from ipykernel.kernelspec import RESOURCES

            return KernelSpec(
                resource_dir=RESOURCES,
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (ipykernel)",
                language="python",
            )
        spec: KernelSpec = super().get_kernel_spec(kernel_name)
        return spec


def _kernel_json(folder: str) -> Any:
    """The parsed kernel.json in ``folder``, or ABSENT if it is missing or not JSON."""
    try:
        with open(os.path.join(folder, "kernel.json"), encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError):
        return ABSENT


def _spec_folders() -> dict[str, str]:
    """Kernel name -> folder, in the order names first appear; the first folder wins."""
    found: dict[str, str] = {}
    for kernels_dir in jupyter_path("kernels"):
        try:
            entries = sorted(os.listdir(kernels_dir))  # Node's readdir returns sorted names
        except OSError:
            continue
        for entry in entries:
            folder = os.path.join(kernels_dir, entry)
            if entry not in found and _kernel_json(folder) is not ABSENT:
                found[entry] = folder
    return found


def kernel_names() -> list[str]:
    """Names of the kernels that can be launched (``python3`` always can, see above)."""
    names = list(_spec_folders())
    if NATIVE_KERNEL_NAME not in names:
        names.append(NATIVE_KERNEL_NAME)
    return names


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
    # execute_code_now; JSON.stringify writes the list without spaces.
    available = json.dumps(names, separators=(",", ":"), ensure_ascii=False)
    cause = f'Error: No spec available for kernel "{name}".  Available specs: {available}'
    raise ProjectError(
        f"**Unable to Spawn Jupyter Kernel:**\n\n{cause} \n\n"
        "Try this in a terminal to help debug this (or contact support): "
        f"`jupyter console --kernel={name}`\n\n"
        "Once you fix the problem, explicitly restart this kernel to test here."
    )


def kernel_json_name(name: str) -> Any:
    """The ``name`` key of kernel ``name``'s kernel.json, or ABSENT.

    listJupyterKernels reports ``kernel_spec.name`` of the launched kernel, where
    ``kernel_spec`` holds the kernel.json contents (src/packages/jupyter/kernel/
    launch-kernel.ts, listRunningKernels): only a kernel.json with a ``name`` key gives one.
    """
    folder = _spec_folders().get(name)
    if folder is None:
        return ABSENT
    spec = _kernel_json(folder)
    if isinstance(spec, dict) and "name" in spec:
        return spec["name"]
    return ABSENT
