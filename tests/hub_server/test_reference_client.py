"""The reference client (cocalc-api 0.5.1), unchanged, against cocalc-hub-server: one key
for the account-level Hub and for Project(project_id=...)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

from cocalc_hub_server.testing import HubProcess


def test_reference_client_runs_a_site(hub: HubProcess, reference_client: ModuleType) -> None:
    ref = reference_client.Hub(api_key=hub.api_key, host=hub.url)
    assert ref.system.test()["account_id"] == hub.account_id

    project_id = ref.projects.create_project(title="Reference")
    assert (Path(hub.root) / "projects" / project_id).is_dir()
    # A void function answers null (src/packages/server/conat/api/index.ts: `?? null`).
    assert ref.projects.start(project_id) is None
    assert ref.projects.state(project_id)["state"] == "running"

    project = reference_client.Project(api_key=hub.api_key, host=hub.url, project_id=project_id)
    out = project.system.exec(command="echo hello; pwd")
    assert out["stdout"] == f"hello\n{Path(hub.root).resolve() / 'projects' / project_id}\n"

    org = f"org-{project_id[:8]}"
    assert isinstance(ref.org.create(org), str)
    user = ref.org.create_user(org, f"{org}@example.com", firstName="Ada", lastName="L")
    assert [u["account_id"] for u in ref.org.get_users(org)] == [user]
    # src/packages/server/projects/collaborators.ts: {project_id: string[]}, a list for one id.
    assert ref.projects.add_collaborator(project_id, user) == {"project_id": [project_id]}
    (mine,) = ref.projects.get(project_id=project_id, fields=["users"])
    assert mine["users"][user] == {"group": "collaborator"}

    message_id = ref.messages.send("Welcome", "to the course", [f"{org}@example.com"])
    assert isinstance(message_id, int)
    sent = ref.messages.get(type="sent")
    assert sent[0]["id"] == message_id and sent[0]["to_ids"] == [user]
    assert ref.system.get_names([user])[user]["first_name"] == "Ada"


def test_jupyter_execute_is_cached_by_the_real_hash(
    hub: HubProcess, reference_client: ModuleType
) -> None:
    ref = reference_client.Hub(api_key=hub.api_key, host=hub.url)
    project_id = ref.projects.create_project(title="Jupyter")
    first = ref.jupyter.execute(
        input="a + 1", history=["a = 41"], kernel="python3", project_id=project_id
    )
    assert first["output"] == [{"data": {"text/plain": "42"}}]
    again = ref.jupyter.execute(
        input="a + 1 ", history=[" a = 41"], kernel="Python3", project_id=project_id
    )
    # A repeat (up to trimming and the kernel's case) is the stored row: id, output, created.
    assert again["output"] == first["output"] and again["created"] == first["created"]
    assert isinstance(again["id"], int)
    # src/packages/util/jupyter-api/compute-hash.ts: sha1(JSON.stringify([history, input,
    # kernel, project_id, path])), an absent path written as null.
    expected = hashlib.sha1(
        f'[["a = 41"],"a + 1","python3","{project_id}",null]'.encode()
    ).hexdigest()
    with sqlite3.connect(Path(hub.root) / "hub.sqlite3") as db:
        hashes = {row[0] for row in db.execute("SELECT hash FROM jupyter_api_cache")}
    assert expected in hashes
    # hub-bridge.ts: past the envelope's limit (the reference sends 1000 * timeout ms) the
    # call ends with the bridge's 408 text, trailing space included.
    subject = f"hub.account.{hub.account_id}.api"
    with pytest.raises(RuntimeError) as failed:
        ref.jupyter.execute(
            input="import time; time.sleep(5)", kernel="python3", project_id=project_id, timeout=0.2
        )
    assert str(failed.value) == (
        f"timeout - callHub: subject='{subject}', name='jupyter.execute', code='408' "
    )
