"""projects.*: lifecycle, the running cap, copies between folders, collaborators, delete."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from tests.hub_server.conftest import MAX_RUNNING, HubApi, Member


def _state(api: HubApi, project_id: str) -> str:
    return str(api.call("projects.state", {"project_id": project_id})["state"])


def test_lifecycle_and_the_running_cap(api: HubApi) -> None:
    project_id = api.new_project()
    # src/packages/server/projects/control/single-user.ts + util.ts (getState, getStatus)
    assert _state(api, project_id) == "opened"
    assert api.call("projects.status", {"project_id": project_id}) == {}
    assert api.call("projects.touch", {"project_id": project_id}) is None
    assert _state(api, project_id) == "running"
    status = api.call("projects.status", {"project_id": project_id})
    assert isinstance(status["project.pid"], int) and isinstance(status["start_ts"], int)
    others = [api.new_project() for _ in range(MAX_RUNNING)]
    for other in others:
        assert api.call("projects.start", {"project_id": other}) is None
    # The least recently used project was stopped to make room.
    assert _state(api, project_id) == "opened"
    assert [_state(api, other) for other in others] == ["running"] * MAX_RUNNING
    assert api.call("projects.stop", {"project_id": others[0]}) is None
    assert _state(api, others[0]) == "opened"
    (row,) = api.call(
        "db.userQuery", {"query": {"projects": [{"project_id": others[0], "state": None}]}}
    )["projects"]
    assert row["state"]["state"] == "opened" and row["state"]["ip"] == "127.0.0.1"


def test_copy_path_between_project_folders(api: HubApi) -> None:
    source, target = api.new_project(), api.new_project()
    home = api.root / "projects"
    (home / source / "data").mkdir()
    (home / source / "data" / "a.txt").write_text("from the source")
    copy = {"src_project_id": source, "src_path": "data", "target_project_id": target}
    assert api.call("projects.copyPathBetweenProjects", copy) is None
    assert (home / target / "data" / "a.txt").read_text() == "from the source"
    # rsync --update (src/packages/server/projects/control/util.ts): a newer target stays.
    newer = home / target / "data" / "a.txt"
    newer.write_text("edited at the target")
    os.utime(newer, (newer.stat().st_mtime + 100,) * 2)
    assert api.call("projects.copyPathBetweenProjects", copy) is None
    assert newer.read_text() == "edited at the target"
    # util.ts (copyPath) returns before looking when source and target are the same path.
    assert (
        api.call("projects.copyPathBetweenProjects", {"src_project_id": source, "src_path": "nope"})
        is None
    )
    missing = {**copy, "src_path": "nope"}
    assert api.call("projects.copyPathBetweenProjects", missing) == {
        "error": f"Error: ENOENT: no such file or directory, stat '{home / source / 'nope'}'"
    }
    escape = {"src_project_id": source, "src_path": "../x"}
    assert api.call("projects.copyPathBetweenProjects", escape) == {
        "error": "Error: source path must be contained in source project home dir"
    }


def test_collaborators(api: HubApi, member: Member) -> None:
    project_id = api.new_project()
    theirs = member.api.new_project()
    assert member.api.project("system.ping", project_id=project_id) == {
        "error": "user must be a collaborator on the project"
    }
    assert api.call(
        "projects.addCollaborator",
        {"opts": {"project_id": project_id, "account_id": member.account_id}},
    ) == {"project_id": [project_id]}
    assert "now" in member.api.project("system.ping", project_id=project_id)
    # collab.ts (verify_write_access_to_projects)
    assert api.call(
        "projects.addCollaborator",
        {"opts": {"project_id": theirs, "account_id": str(uuid.uuid4())}},
    ) == {
        "error": f"Error: user {api.hub.account_id} does not have write access to project {theirs}"
    }
    # ownership-checks.ts: OwnershipError carries its own name.
    assert member.api.call(
        "projects.removeCollaborator",
        {"opts": {"project_id": project_id, "account_id": api.hub.account_id}},
    ) == {"error": "OwnershipError: Cannot remove an owner. Demote to collaborator first."}
    assert (
        api.call(
            "projects.removeCollaborator",
            {"opts": {"project_id": project_id, "account_id": member.account_id}},
        )
        is None
    )
    assert member.api.project("system.ping", project_id=project_id) == {
        "error": "user must be a collaborator on the project"
    }
    assert api.call("projects.addCollaborator", {}) == {
        "error": "TypeError: Cannot read properties of undefined (reading 'project_id')"
    }


def test_delete_project(api: HubApi, member: Member) -> None:
    project_id = api.new_project()
    assert member.api.call("projects.deleteProject", {"project_id": project_id}) == {
        "error": "Error: must be an owner to delete a project"
    }
    assert api.call("projects.deleteProject", {"project_id": project_id}) is None
    query = {"projects_all": [{"project_id": project_id, "deleted": None}]}
    assert api.call("db.userQuery", {"query": query}) == {
        "projects_all": [{"project_id": project_id, "deleted": True}]
    }
    assert (Path(api.hub.root) / "projects" / project_id).is_dir()  # files stay, as on CoCalc
    assert api.call("projects.start", {"project_id": str(uuid.uuid4())}) == {
        "error": "Error: must be collaborator on project to start it"
    }
