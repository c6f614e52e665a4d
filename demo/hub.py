"""The hub part of `make demo`: an account's view of a site. Create a project, run a command
in it with the same account key, and list your projects.

Against the bundled local hub (`cocalc-hub-server`, a CoCalc site on this machine) unless
COCALC_API_KEY is set, then against that host, if the key is an account key.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import cocalc_api


@contextlib.contextmanager
def hub_target() -> Iterator[tuple[str, str, str]]:
    key = os.environ.get("COCALC_API_KEY")
    if key:
        host = os.environ.get("COCALC_HOST", "https://cocalc.com")
        yield host, key, f"the host {host}"
        return
    from cocalc_hub_server.testing import running_hub

    with running_hub() as hub:
        yield hub.url, hub.api_key, f"a local hub (a CoCalc site on this machine) at {hub.url}"


def run_hub(hub: cocalc_api.Hub, show: Callable[[str, Callable[[], Any]], Any]) -> list[str]:
    failures: list[str] = []

    def expect(ok: bool, what: str) -> None:
        if not ok:
            failures.append(what)

    me = show("hub.system.test()", hub.system.test)
    if isinstance(me, cocalc_api.CocalcError):
        # A project key, or a host without the hub API (a lone project server).
        print("(no hub API for this key and host: the hub part needs an account key on a site;")
        print(" see docs/keys.md)\n")
        return []
    project_id = show(
        'hub.projects.create_project(title="demo")',
        lambda: hub.projects.create_project(title="demo"),
    )
    expect(isinstance(project_id, str), "create a project")
    if not isinstance(project_id, str):
        return failures
    show("hub.projects.start(project_id)", lambda: hub.projects.start(project_id))
    state = show("hub.projects.state(project_id)", lambda: hub.projects.state(project_id))
    expect(isinstance(state, dict) and state.get("state") == "running", "start it")
    with cocalc_api.Project(hub.api_key, hub.host, project_id) as project:
        out = show(
            'cocalc_api.Project(hub.api_key, hub.host, project_id).system.exec("echo $HOME")',
            lambda: project.system.exec("echo $HOME"),
        )
    expect(isinstance(out, dict) and out["stdout"].strip().endswith(project_id), "run in it")
    listed = show(
        '[p["title"] for p in hub.projects.get(all=True, fields=["project_id", "title"])]',
        lambda: [p["title"] for p in hub.projects.get(all=True, fields=["project_id", "title"])],
    )
    expect(isinstance(listed, list) and "demo" in listed, "list your projects")
    show("hub.projects.delete(project_id)", lambda: hub.projects.delete(project_id))
    return failures
