"""Fixtures: a real server subprocess on loopback, driven with plain httpx2."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from cocalc_project_server.testing import ServerProcess, running_server


@dataclass
class Api:
    """A thin JSON-over-HTTP caller for one server."""

    server: ServerProcess
    client: httpx2.Client

    def post(self, body: Any, **kwargs: Any) -> httpx2.Response:
        kwargs.setdefault("auth", (self.server.api_key, ""))
        if isinstance(body, bytes):
            return self.client.post(self.server.endpoint, content=body, **kwargs)
        return self.client.post(self.server.endpoint, json=body, **kwargs)

    def call(self, name: str, *args: Any, **envelope: Any) -> Any:
        """POST one call and return the decoded body (the result or ``{"error": ...}``)."""
        response = self.post({"name": name, "args": list(args), **envelope})
        assert response.status_code == 200, response.text
        return response.json()

    def exec(self, **options: Any) -> Any:
        return self.call("system.exec", options)


def make_api(server: ServerProcess) -> Iterator[Api]:
    with httpx2.Client(timeout=60) as client:
        yield Api(server, client)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project's root for the in-process tests, by its real path (the server confines to
    resolved paths)."""
    project = Path(os.path.realpath(tmp_path)) / "project"
    project.mkdir()
    return project


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    # No warm kernels: modules that do not use Jupyter should not pay for starting them.
    with running_server(kernel_pool_size=0) as srv:
        yield srv


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[Api]:
    # A module that overrides `server` (its own root or kernel pool) gets its api from here too.
    yield from make_api(server)
