"""``system.*`` file and process methods, ``editor.newFile``, ``editor.jupyterStripNotebook`` and
``sync.close``: real files under the project folder.

Each method receives the wire ``args`` spread, already checked against the spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ProjectError
from .exec_ import ProcessRegistry


class ProjectFiles:
    """The project's folder (HOME) and the processes it started."""

    def __init__(self, root: str, env: Mapping[str, str], processes: ProcessRegistry) -> None:
        self._root = root
        self._env = env
        self._processes = processes

    async def version(self, *args: Any) -> int:
        raise ProjectError("system.version is not implemented yet")

    async def listing(self, *args: Any) -> list[dict[str, Any]]:
        raise ProjectError("system.listing is not implemented yet")

    async def delete_files(self, *args: Any) -> None:
        raise ProjectError("system.deleteFiles is not implemented yet")

    async def move_files(self, *args: Any) -> None:
        raise ProjectError("system.moveFiles is not implemented yet")

    async def rename_file(self, *args: Any) -> None:
        raise ProjectError("system.renameFile is not implemented yet")

    async def realpath(self, *args: Any) -> str:
        raise ProjectError("system.realpath is not implemented yet")

    async def canonical_paths(self, *args: Any) -> list[str]:
        raise ProjectError("system.canonicalPaths is not implemented yet")

    async def write_text_file(self, *args: Any) -> None:
        raise ProjectError("system.writeTextFileToProject is not implemented yet")

    async def read_text_file(self, *args: Any) -> str:
        raise ProjectError("system.readTextFileFromProject is not implemented yet")

    async def configuration(self, *args: Any) -> dict[str, Any] | None:
        raise ProjectError("system.configuration is not implemented yet")

    async def signal(self, *args: Any) -> None:
        raise ProjectError("system.signal is not implemented yet")

    async def new_file(self, *args: Any) -> None:
        raise ProjectError("editor.newFile is not implemented yet")

    async def jupyter_strip_notebook(self, *args: Any) -> str:
        raise ProjectError("editor.jupyterStripNotebook is not implemented yet")

    async def sync_close(self, *args: Any) -> None:
        raise ProjectError("sync.close is not implemented yet")
