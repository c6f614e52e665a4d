"""The routes' refusals and the dispatcher's texts, as the real site writes them."""

from __future__ import annotations

import re
import uuid

from cocalc_hub_server.testing import HubProcess
from tests.hub_server.conftest import HubApi

# src/packages/server/auth/api.ts
NO_KEY = "You must provide authentication via an API key."
# src/packages/next/pages/api/conat/hub.ts
HUB_REFUSED = "must be signed in and MUST provide an api key (cookies are not allowed)"
# src/packages/next/pages/api/conat/project.ts
PROJECT_REFUSED = "must sign in as project or account"


def test_every_failure_is_http_200_with_the_real_text(api: HubApi, hub: HubProcess) -> None:
    response = api.client.post(hub.hub_endpoint, json={"name": "system.ping", "args": [{}]})
    assert (response.status_code, response.json()) == (200, {"error": NO_KEY})
    assert api.as_key("sk-wrong").call("system.ping") == {"error": HUB_REFUSED}
    assert api.as_key("sk-wrong").project("system.ping") == {"error": PROJECT_REFUSED}
    # src/packages/server/conat/api/index.ts (getResponse)
    assert api.call("purchases.getBalance", {}) == {
        "error": "Error: unknown function 'purchases.getBalance'"
    }
    subject = f"hub.account.{hub.account_id}.api"
    # src/packages/server/api/hub-bridge.ts wraps request()'s error, trailing space included.
    assert api.call("system.ping", {}, timeout=0) == {
        "error": f"timeout must be positive - callHub: subject='{subject}', "
        "name='system.ping', code='undefined' "
    }


def test_auth_first_puts_the_caller_in(api: HubApi, hub: HubProcess) -> None:
    # src/packages/conat/hub/api/util.ts (authFirst): overrides what the caller sent.
    other = str(uuid.uuid4())
    assert api.call("system.test", {"account_id": other})["account_id"] == hub.account_id
    assert api.call("system.test")["account_id"] == hub.account_id


def test_project_route_checks_in_the_real_order(api: HubApi) -> None:
    project_id = api.new_project()
    assert api.project("system.ping") == {
        "error": "must specify project_id or use project-specific api key"
    }
    assert api.project("system.ping", project_id="nope") == {
        "error": "invalid account_id or project_id -- all must be valid uuid's"
    }
    assert api.project("system.ping", project_id=str(uuid.uuid4())) == {
        "error": "user must be a collaborator on the project"
    }
    # Any project call starts the project (src/packages/server/api/project-bridge.ts).
    assert api.project("system.test", {}, project_id=project_id)["project_id"] == project_id
    assert api.call("projects.state", {"project_id": project_id})["state"] == "running"


def test_project_scoped_keys(api: HubApi) -> None:
    project_id, other = api.new_project(), api.new_project()
    (created,) = api.call(
        "system.manageApiKeys", {"action": "create", "project_id": project_id, "name": "ci"}
    )
    secret = created["secret"]
    # src/packages/server/api/manage.ts: sk- + 16 random + the id in 6 base-62 digits.
    assert re.fullmatch(r"sk-[A-Za-z0-9]{16}[0-9A-Za-z]{6}", secret)
    assert created["trunc"] == secret[:3] + "..." + secret[-6:]
    key = api.as_key(secret)
    assert key.project("system.test", {})["project_id"] == project_id
    assert key.project("system.ping", project_id=other) == {
        "error": "project specific api key must match requested project"
    }
    assert key.call("system.ping") == {"error": HUB_REFUSED}
    listed = api.call("system.manageApiKeys", {"action": "get", "project_id": project_id})
    assert [(k["id"], k["name"]) for k in listed] == [(created["id"], "ci")]
    assert "secret" not in listed[0] and "hash" not in listed[0]
    deleted = api.call(
        "system.manageApiKeys", {"action": "delete", "project_id": project_id, "id": created["id"]}
    )
    assert deleted is None
    assert key.project("system.ping") == {"error": PROJECT_REFUSED}


def test_account_keys_made_by_the_account(api: HubApi, hub: HubProcess) -> None:
    (created,) = api.call("system.manageApiKeys", {"action": "create", "name": "second"})
    assert api.as_key(created["secret"]).call("system.test")["account_id"] == hub.account_id
    assert api.call(
        "system.manageApiKeys", {"action": "create", "project_id": str(uuid.uuid4())}
    ) == {"error": "Error: user must be collaborator on project to manage project_id api keys"}


def test_bodies_are_parsed_as_next_js_parses_them_before_any_key(
    api: HubApi, hub: HubProcess
) -> None:
    # hub.ts and project.ts are Next.js pages routes with the default body parser
    # (next/src/server/api-utils/node/parse-body.ts): over 1 MiB is 413, not JSON is 400, in
    # plain text, whatever the key.
    for endpoint in (hub.hub_endpoint, hub.project_endpoint):
        big = b'{"name": "system.ping", "args": ["' + b"x" * (1 << 20) + b'"]}'
        too_large = api.client.post(endpoint, content=big, auth=("sk-wrong", ""))
        assert (too_large.status_code, too_large.text) == (413, "Body exceeded 1mb limit")
        not_json = api.client.post(endpoint, content=b"{nope", auth=("sk-wrong", ""))
        assert (not_json.status_code, not_json.text) == (400, "Invalid JSON")
