"""The server's methods come from the spec's method table: a method without a handler stops
the server as it starts, naming the method; no process is started for these tests."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from cocalc_api_generated.specs import SYSTEM_PING, SYSTEM_TEST
from cocalc_project_server.api import ProjectApi
from cocalc_project_server.app import create_app
from cocalc_project_server.config import ServerConfig
from cocalc_project_server.files import ProjectFiles
from cocalc_project_server.notebooks import Notebooks
from cocalc_project_server.registry import RegistryError, declared_handlers, handles


def test_the_handlers_are_the_methods_of_the_table(spec: dict[str, Any]) -> None:
    declared = declared_handlers((ProjectApi, ProjectFiles, Notebooks))
    assert set(declared) == {entry["wire"] for entry in spec["x-cocalc-methods"]}


def test_a_method_without_a_handler_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delattr(ProjectFiles, "listing")
    config = ServerConfig(api_key="sk-test", project_id=str(uuid.uuid4()), root=tmp_path)
    with pytest.raises(RegistryError, match=r"no handler for system\.listing "):
        create_app(config)


class Ping:
    @handles("system.ping")
    async def ping(self, *args: Any) -> None:
        return None


class Extra:
    @handles("system.test")
    async def test(self, *args: Any) -> None:
        return None

    @handles("system.noSuchMethod")
    async def other(self, *args: Any) -> None:
        return None


def test_a_handler_outside_the_table_or_twice_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"the spec's table lacks: system\.noSuchMethod$"):
        declared_handlers((Ping, Extra), table=(SYSTEM_PING, SYSTEM_TEST))
    with pytest.raises(RegistryError, match=r"two handlers for system\.ping: Ping\.ping and"):
        declared_handlers((Ping, Ping), table=(SYSTEM_PING,))
