"""A local CoCalc site: the account-level hub API and the project API on one port.

``cocalc-hub-server --root DIR [--port P] [--api-key sk-...]`` serves
``POST /api/conat/hub`` (the reference client's ``Hub``: projects, collaborators, orgs,
messages, Jupyter, user queries) and ``POST /api/conat/project`` (``Project``, routed to the
project's own local project server) on one port. Its state lives in SQLite under ``--root``
and survives ``kill -9``; each project is a folder ``DIR/projects/<project_id>``.

On start it prints one line for scripts to parse::

    cocalc-hub-server listening url=http://127.0.0.1:PORT api_key=sk-... account_id=UUID root=DIR

``api_key`` is the site admin's account key (``--api-key``, ``$COCALC_HUB_SERVER_API_KEY``,
the first admin's on record, or a new one) and ``account_id`` that admin's account.

From Python, :func:`cocalc_hub_server.testing.running_hub` starts one as a subprocess.
"""

from __future__ import annotations

from .config import HubConfig

__all__ = ["HubConfig"]
