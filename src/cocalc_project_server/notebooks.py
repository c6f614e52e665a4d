"""``editor.*`` Jupyter and formatter methods: nbconvert, notebook runs, kernelspecs, logos and
code formatting, done for real on this machine.

Each method receives the wire ``args`` spread, already checked against the spec; the work is
in :mod:`.convert`, :mod:`.run_notebook`, :mod:`.kernel_catalog` and :mod:`.formatters`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import convert, formatters, run_notebook
from .exec_ import ExecContext
from .kernel_catalog import KernelSpecCatalog
from .kernels import KernelPool
from .registry import handles


def _options(args: tuple[Any, ...], index: int = 0) -> Mapping[str, Any]:
    value = args[index] if len(args) > index else None
    return value if isinstance(value, dict) else {}


class Notebooks:
    """Jupyter tooling of the project: kernelspecs, nbconvert, notebook runs, formatters."""

    def __init__(self, exec_context: ExecContext, kernels: KernelPool) -> None:
        self._exec = exec_context
        self._kernels = kernels
        self._catalog = KernelSpecCatalog(exec_context.env)
        self._tools = formatters.ToolRunner(exec_context)

    @handles("editor.jupyterNbconvert")
    async def nbconvert(self, *args: Any) -> None:
        await convert.nbconvert(_options(args), self._exec)

    @handles("editor.jupyterRunNotebook")
    async def run_notebook(self, *args: Any) -> str:
        return await run_notebook.run_notebook(
            _options(args),
            root=self._exec.root,
            pool=self._kernels,
        )

    @handles("editor.jupyterKernelLogo")
    async def kernel_logo(self, *args: Any) -> dict[str, str]:
        no_cache = bool(_options(args, 1).get("noCache"))
        return await self._catalog.logo(str(args[0]), no_cache=no_cache)

    @handles("editor.jupyterKernels")
    async def kernel_specs(self, *args: Any) -> list[dict[str, Any]]:
        return await self._catalog.kernels(no_cache=bool(_options(args).get("noCache")))

    @handles("editor.formatterString")
    async def format_string(self, *args: Any) -> str:
        options = _options(args)
        return await formatters.format_string(
            options["str"], options["options"], options.get("path"), self._tools
        )
