"""The global options, shared by every command through click's context."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import click

from cocalc_api import Project
from cocalc_api.cli._errors import CliError
from cocalc_api.cli._exit_codes import EXIT_AUTH


@dataclass
class Config:
    """The global options, and the client (a Project, a Hub) made from them on first use."""

    api_key: str | None
    host: str | None
    timeout: float | None
    json: bool
    connect: Callable[[Config], Any]
    project_id: str | None = None  # cocalc-project's own options
    progress: bool = True
    _client: Any = None

    def client(self) -> Any:
        """The API's client, made on first use and closed with the command."""
        if self._client is None:
            if not (self.api_key or os.environ.get("COCALC_API_KEY")):
                raise CliError(EXIT_AUTH, "no API key: set COCALC_API_KEY (or pass --api-key)")
            self._client = self.connect(self)
            click.get_current_context().call_on_close(self._client.close)
        return self._client

    def project(self) -> Project:
        """The project, for cocalc-project's short forms."""
        client = self.client()
        assert isinstance(client, Project)
        return client


def config() -> Config:
    """The global options of the command that runs."""
    found = click.get_current_context().find_object(Config)
    assert found is not None
    return found


def wants_json(values: Mapping[str, Any]) -> bool:
    """Whether the command's own --json or the global one was given."""
    return bool(values.get("output_json")) or config().json
