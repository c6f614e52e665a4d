"""Our own Hub, sync and async, against the local hub: every method of the hub table answers
a result its schema accepts (a real answer the spec rejected would be a ResponseValidationError),
and the refusals come typed.

The facts each result is checked against are the hub's TypeScript (cited at each check), not
the local hub's code.
"""

from __future__ import annotations

import uuid

import pytest

import cocalc_api
from cocalc_api_generated.hub.specs import METHODS
from cocalc_hub_server.testing import HubProcess

STATES = {
    "archived", "archiving", "closed", "closing", "opened", "opening",
    "pending", "running", "starting", "stopping", "unarchiving",
}  # src/packages/util/compute-states.ts  # fmt: skip


@pytest.fixture
def hub(hub: HubProcess) -> cocalc_api.Hub:  # type: ignore[override]
    return cocalc_api.Hub(hub.api_key, hub.url)


def test_every_method_answers_what_its_schema_accepts(hub: cocalc_api.Hub) -> None:
    called: set[str] = set()

    def did(name: str) -> None:
        called.add(name)

    me = hub.system.test()["account_id"]
    did("system.test")
    assert hub.system.ping()["now"] > 0
    did("system.ping")
    names = hub.system.get_names([me])
    assert set(names) == {me}  # a dict by account id (src/packages/server/accounts/get-name.ts)
    did("system.getNames")
    assert isinstance(hub.system.user_search("@"), list)
    did("system.userSearch")

    project = hub.projects.create_project(title="sdk probe", description="d")
    did("projects.createProject")
    other = hub.projects.create_project()
    hub.projects.start(project)
    did("projects.start")
    assert hub.projects.state(project).get("state") in STATES
    did("projects.state")
    assert isinstance(hub.projects.status(project), dict)
    did("projects.status")
    hub.projects.touch(project)
    did("projects.touch")
    with cocalc_api.Project(hub.api_key, hub.host, project) as inside:
        inside.system.write_text_file_to_project(path="a.txt", content="hello")
    hub.projects.copy_path_between_projects(project, "a.txt", other, "b.txt")
    did("projects.copyPathBetweenProjects")
    with cocalc_api.Project(hub.api_key, hub.host, other) as target:
        assert target.system.read_text_file_from_project(path="b.txt") == "hello"
    listed = hub.projects.get(all=True)
    assert {project, other} <= {p["project_id"] for p in listed}
    did("db.userQuery")
    assert isinstance(hub.jupyter.kernels(project), list)
    did("jupyter.kernels")
    out = hub.jupyter.execute("2+3", "python3", project_id=project)
    assert out is not None and out["output"] == [{"data": {"text/plain": "5"}}]
    did("jupyter.execute")
    assert hub.sync.history(project, "a.txt")["patches"] == []
    did("sync.history")

    org = f"org{uuid.uuid4().hex[:8]}"
    hub.org.create(org)
    did("org.create")
    hub.org.set(org, title="T")
    did("org.set")
    assert hub.org.get(org)["name"] == org
    did("org.get")
    assert org in {o["name"] for o in hub.org.get_all()}
    did("org.getAll")
    student = hub.org.create_user(org, f"{org}@example.com", firstName="Ada", lastName="L")
    did("org.createUser")
    hub.org.add_admin(org, student)
    did("org.addAdmin")
    hub.org.remove_admin(org, student)
    did("org.removeAdmin")
    assert student in {u["account_id"] for u in hub.org.get_users(org)}
    did("org.getUsers")
    added = hub.projects.add_collaborator(project, student)
    # `{project_id: projects}`, the list given (src/packages/server/projects/collaborators.ts)
    assert added == {"project_id": [project]}
    did("projects.addCollaborator")
    hub.projects.remove_collaborator(project, student)
    did("projects.removeCollaborator")
    token = hub.org.create_token(student)
    did("org.createToken")
    hub.org.expire_token(token["token"])
    did("org.expireToken")
    hub.org.message(org, "s", "b")
    did("org.message")
    hub.org.remove_user(org, student)
    did("org.removeUser")
    hub.org.add_user(org, student)
    did("org.addUser")
    message_id = hub.messages.send("hello", "body", [me])
    did("messages.send")
    assert message_id in {m["id"] for m in hub.messages.get(type="received")}
    did("messages.get")
    keys = hub.system.manage_api_keys("create", project_id=project, name="probe")
    # The new key's row and its secret, once (createApiKey, src/packages/server/api/manage.ts)
    assert keys is not None and keys[0]["name"] == "probe" and keys[0].get("secret")
    did("system.manageApiKeys")
    hub.projects.stop(project)
    did("projects.stop")
    hub.projects.delete(other)
    did("projects.deleteProject")
    hub.close()
    assert called == {method.wire_name for method in METHODS}


def test_a_project_key_on_the_hub_says_which_key_to_use(hub: cocalc_api.Hub) -> None:
    project = hub.projects.create_project()
    keys = hub.system.manage_api_keys("create", project_id=project, name="scoped")
    assert keys is not None
    secret = keys[0]["secret"]
    with pytest.raises(cocalc_api.AuthenticationError, match="account key") as refused:
        cocalc_api.Hub(secret, hub.host).system.ping()
    # src/packages/next/pages/api/conat/hub.ts
    assert refused.value.message == (
        "must be signed in and MUST provide an api key (cookies are not allowed)"
    )
    with cocalc_api.Project(secret, hub.host) as scoped:  # the key reaches its project
        assert scoped.system.test()["project_id"] == project


async def test_the_async_hub(hub: cocalc_api.Hub) -> None:
    async with cocalc_api.AsyncHub(hub.api_key, hub.host) as ahub:
        project = await ahub.projects.create_project(title="async")
        assert (await ahub.projects.get(project_id=project, all=True))[0]["title"] == "async"
        with pytest.raises(cocalc_api.PermissionDeniedError):
            await ahub.projects.start(str(uuid.uuid4()))
