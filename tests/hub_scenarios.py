"""The hub API's contract scenarios: one call each through `Hub`, the request it must send,
and its outcome; one cassette each in tests/cassettes/hub/.

A documented scenario carries the real hub's answer, from the TypeScript that makes it (cited
as its source); `--documented` rebuilds its cassette. A recorded scenario is recorded against
the local hub (`make record`: `python -m tests.record --hub`) on a fresh site, and its result is
checked by facts from an independent source, as for the project API (tests/scenarios.py).
"""

from __future__ import annotations

import re
from typing import Any

import cocalc_api
from tests.scenarios import CASSETTES, RECORDED_KEY, Scenario

HUB_CASSETTES = CASSETTES / "hub"
ACCOUNT = "d0bdabfd-850e-4c8d-8510-f6f1ecb9a5eb"
PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
SUBJECT = f"hub.account.{ACCOUNT}.api"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def hub_call(name: str, args: list[Any], **extra: Any) -> dict[str, Any]:
    """A hub envelope: no project_id (src/packages/next/pages/api/conat/hub.ts)."""
    return {"name": name, "args": args, **extra}


def hub_scenario(**fields: Any) -> Scenario:
    return Scenario(api="hub", project_id=None, **fields)


DOCUMENTED_HUB = [
    hub_scenario(
        name="hub_project_key_refused",
        source="src/packages/next/pages/api/conat/hub.ts: a key that is not an account's",
        call="system.ping",
        kwargs={},
        body=hub_call("system.ping", [{}]),
        response={
            "error": "must be signed in and MUST provide an api key (cookies are not allowed)"
        },
        error=cocalc_api.AuthenticationError,
    ),
    hub_scenario(
        name="hub_test",
        source="src/packages/server/conat/api/system.ts: test",
        call="system.test",
        kwargs={},
        body=hub_call("system.test", [{}]),
        response={"account_id": ACCOUNT, "server_time": 1796677490350},
        result={"account_id": ACCOUNT, "server_time": 1796677490350},
    ),
    hub_scenario(
        name="hub_get_names",
        source="src/packages/server/accounts/get-name.ts: getNames",
        call="system.get_names",
        args=([ACCOUNT],),
        kwargs={},
        body=hub_call("system.getNames", [[ACCOUNT]]),
        response={ACCOUNT: {"first_name": "Ada", "last_name": "Lovelace", "profile": None}},
        result={ACCOUNT: {"first_name": "Ada", "last_name": "Lovelace", "profile": None}},
    ),
    hub_scenario(
        name="hub_start",
        source="src/packages/server/conat/api/projects.ts: start (void: null)",
        call="projects.start",
        args=(PROJECT,),
        kwargs={},
        body=hub_call("projects.start", [{"project_id": PROJECT}], timeout=60000),
        response=None,
        result=None,
    ),
    hub_scenario(
        name="hub_add_collaborator",
        source="src/packages/server/projects/collaborators.ts: addCollaborator",
        call="projects.add_collaborator",
        args=(PROJECT, ACCOUNT),
        kwargs={},
        body=hub_call(
            "projects.addCollaborator", [{"opts": {"project_id": PROJECT, "account_id": ACCOUNT}}]
        ),
        response={"project_id": [PROJECT]},
        result={"project_id": [PROJECT]},
    ),
    hub_scenario(
        name="hub_not_collaborator",
        source="src/packages/server/conat/api/projects.ts: state of another's project",
        call="projects.state",
        args=(PROJECT,),
        kwargs={},
        body=hub_call("projects.state", [{"project_id": PROJECT}]),
        response={"error": "Error: must be collaborator on project to get state"},
        error=cocalc_api.PermissionDeniedError,
    ),
    hub_scenario(
        name="hub_not_admin",
        source="src/packages/server/conat/api/org.ts: create by a non-admin",
        call="org.create",
        args=("acme",),
        kwargs={},
        body=hub_call("org.create", [{"name": "acme"}]),
        response={"error": "Error: only admins may create organizations"},
        error=cocalc_api.PermissionDeniedError,
    ),
    hub_scenario(
        name="hub_408",
        source="src/packages/server/api/hub-bridge.ts: the call outlived its limit",
        call="projects.copy_path_between_projects",
        args=(PROJECT, "big"),
        kwargs={},
        body=hub_call(
            "projects.copyPathBetweenProjects",
            [{"src_project_id": PROJECT, "src_path": "big"}],
            timeout=120000,
        ),
        response={
            "error": f"timeout - callHub: subject='{SUBJECT}', "
            "name='projects.copyPathBetweenProjects', code='408' "
        },
        error=cocalc_api.ServerTimeoutError,
    ),
    hub_scenario(
        name="hub_jupyter_execute",
        source="src/packages/server/jupyter/execute.ts: {output, created}",
        call="jupyter.execute",
        args=("2+3", "python3"),
        kwargs={"project_id": PROJECT},
        body=hub_call(
            "jupyter.execute",
            [{"input": "2+3", "kernel": "python3", "project_id": PROJECT, "timeout": 90}],
            timeout=90000,
        ),
        response={"output": [{"data": {"text/plain": "5"}}], "created": "2026-12-07T10:00:00Z"},
        result={"output": [{"data": {"text/plain": "5"}}], "created": "2026-12-07T10:00:00Z"},
    ),
    hub_scenario(
        name="hub_unknown_function",
        source="src/packages/server/conat/api/index.ts: a name the hub has no function for",
        call="call",
        args=("system.nope", [{}]),
        kwargs={},
        body=hub_call("system.nope", [{}]),
        response={"error": "Error: unknown function 'system.nope'"},
        error=cocalc_api.UnknownFunctionError,
    ),
]


# -- facts for recorded results (a fresh site: one account, its admin; nothing else) ---------


def _now(result: Any) -> None:
    assert isinstance(result["now"], int) and result["now"] > 1_700_000_000_000  # ms


def _admin(result: Any) -> None:
    # src/packages/server/conat/api/system.ts: the key's account, and the time in ms
    assert UUID.match(result["account_id"]) and result["server_time"] > 1_700_000_000_000


def _nothing(result: Any) -> None:
    assert result == []  # nothing made on a fresh site


def _unknown(error: Any) -> None:
    assert error.message == "Error: unknown function 'system.nope'"


RECORDED_HUB = [
    hub_scenario(
        name="recorded_hub_ping",
        source="recorded: hub ping",
        call="system.ping",
        kwargs={},
        body=hub_call("system.ping", [{}]),
        facts=_now,
        api_key=RECORDED_KEY,
    ),
    hub_scenario(
        name="recorded_hub_test",
        source="recorded: hub test",
        call="system.test",
        kwargs={},
        body=hub_call("system.test", [{}]),
        facts=_admin,
        api_key=RECORDED_KEY,
    ),
    hub_scenario(
        name="recorded_hub_projects_get",
        source="recorded: projects.get on a fresh site",
        call="projects.get",
        kwargs={"all": True},
        body=hub_call(
            "db.userQuery",
            [
                {
                    "query": {
                        "projects_all": [
                            dict.fromkeys(
                                [
                                    "project_id",
                                    "title",
                                    "last_edited",
                                    "created",
                                    "state",
                                    "deleted",
                                    "users",
                                ]
                            )
                        ]
                    }
                }
            ],
        ),
        facts=_nothing,
        api_key=RECORDED_KEY,
    ),
    hub_scenario(
        name="recorded_hub_messages_get",
        source="recorded: messages.get on a fresh site",
        call="messages.get",
        kwargs={},
        body=hub_call("messages.get", [{}]),
        facts=_nothing,
        api_key=RECORDED_KEY,
    ),
    hub_scenario(
        name="recorded_hub_org_get_all",
        source="recorded: org.getAll on a fresh site",
        call="org.get_all",
        kwargs={},
        body=hub_call("org.getAll", [{}]),
        facts=_nothing,
        api_key=RECORDED_KEY,
    ),
    hub_scenario(
        name="recorded_hub_unknown_function",
        source="recorded: a name the hub has no function for",
        call="call",
        args=("system.nope", [{}]),
        kwargs={},
        body=hub_call("system.nope", [{}]),
        error=cocalc_api.UnknownFunctionError,
        facts=_unknown,
        api_key=RECORDED_KEY,
    ),
]

HUB_SCENARIOS = DOCUMENTED_HUB + RECORDED_HUB
