"""``editor.*`` Jupyter and formatter methods: nbconvert, notebook runs, kernelspecs, logos and
code formatting, done for real on this machine.

Each method receives the wire ``args`` spread, already checked against the spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ProjectError
from .kernels import KernelPool


class Notebooks:
    """Jupyter tooling of the project: kernelspecs, nbconvert, notebook runs, formatters."""

    def __init__(self, root: str, env: Mapping[str, str], kernels: KernelPool) -> None:
        self._root = root
        self._env = env
        self._kernels = kernels

    async def nbconvert(self, *args: Any) -> None:
        raise ProjectError("editor.jupyterNbconvert is not implemented yet")

    async def run_notebook(self, *args: Any) -> str:
        raise ProjectError("editor.jupyterRunNotebook is not implemented yet")

    async def kernel_logo(self, *args: Any) -> dict[str, str]:
        raise ProjectError("editor.jupyterKernelLogo is not implemented yet")

    async def kernel_specs(self, *args: Any) -> list[dict[str, Any]]:
        raise ProjectError("editor.jupyterKernels is not implemented yet")

    async def format_string(self, *args: Any) -> str:
        raise ProjectError("editor.formatterString is not implemented yet")
