"""The global options, shared by every command through click's context."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click

from cocalc_api import Project
from cocalc_api.cli._errors import CliError
from cocalc_api.cli._exit_codes import EXIT_AUTH


@dataclass
class Config:
    """The global options, and the project made from them on first use."""

    api_key: str | None
    host: str | None
    project_id: str | None
    timeout: float | None
    json: bool
    progress: bool
    _project: Project | None = None

    def project(self) -> Project:
        if self._project is None:
            if not (self.api_key or os.environ.get("COCALC_API_KEY")):
                raise CliError(EXIT_AUTH, "no API key: set COCALC_API_KEY (or pass --api-key)")
            self._project = Project(
                api_key=self.api_key,
                host=self.host,
                project_id=self.project_id,
                timeout=self.timeout,
            )
            click.get_current_context().call_on_close(self._project.close)
        return self._project


def config() -> Config:
    """The global options of the command that runs."""
    found = click.get_current_context().find_object(Config)
    assert found is not None
    return found


def wants_json(values: Mapping[str, Any]) -> bool:
    """Whether the command's own --json or the global one was given."""
    return bool(values.get("output_json")) or config().json
