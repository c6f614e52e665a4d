"""Fixtures: one hub subprocess per test session (per worker), driven with plain httpx2 or
with the reference client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from cocalc_hub_server.testing import HubProcess, running_hub, set_account_key

# Small, so that the LRU cap is reached by a test that starts a few projects.
MAX_RUNNING = 3


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    root = tmp_path_factory.mktemp("hub")
    with running_hub(root=root, extra_args=["--max-running-projects", str(MAX_RUNNING)]) as process:
        yield process


@dataclass
class HubApi:
    """JSON over HTTP to one hub, as a given key."""

    hub: HubProcess
    client: httpx2.Client
    api_key: str

    @property
    def root(self) -> Path:
        return Path(self.hub.root)

    def raw(self, endpoint: str, body: Any, **kwargs: Any) -> httpx2.Response:
        kwargs.setdefault("auth", (self.api_key, ""))
        return self.client.post(endpoint, json=body, **kwargs)

    def call(self, name: str, *args: Any, **envelope: Any) -> Any:
        """POST one hub call; the decoded body (the result, or ``{"error": ...}``)."""
        response = self.raw(self.hub.hub_endpoint, {"name": name, "args": list(args), **envelope})
        assert response.status_code == 200, response.text
        return response.json()

    def project(self, name: str, *args: Any, **envelope: Any) -> Any:
        """POST one project call (``project_id`` in the envelope if given)."""
        body = {"name": name, "args": list(args), **envelope}
        response = self.raw(self.hub.project_endpoint, body)
        assert response.status_code == 200, response.text
        return response.json()

    def as_key(self, api_key: str) -> HubApi:
        return HubApi(self.hub, self.client, api_key)

    def new_project(self, title: str = "t") -> str:
        project_id = self.call("projects.createProject", {"title": title})
        assert isinstance(project_id, str), project_id
        return project_id


@pytest.fixture(scope="session")
def api(hub: HubProcess) -> Iterator[HubApi]:
    with httpx2.Client(timeout=60) as client:
        yield HubApi(hub, client, hub.api_key)


@dataclass(frozen=True)
class Member:
    """A user who is not a site admin: made by org.createUser, given a key in the database."""

    api: HubApi
    account_id: str
    email: str
    org: str


@pytest.fixture(scope="session")
def member(api: HubApi) -> Member:
    org = "members"
    assert isinstance(api.call("org.create", {"name": org}), str)
    email = "member@example.com"
    account_id = api.call(
        "org.createUser", {"name": org, "email": email, "firstName": "Mem", "lastName": "Ber"}
    )
    key = "sk-member-of-the-test-site-0001"
    set_account_key(api.root, account_id, key)
    return Member(api.as_key(key), account_id, email, org)
