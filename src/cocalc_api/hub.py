"""`Hub` and `AsyncHub`: the account-level hub API (`POST /api/conat/hub`) on the base client.

What code written for the reference client's `cocalc_api.Hub` uses is here under the same
names: `Hub(api_key, host)`, its namespaces `system`, `projects`, `jupyter`, `sync`, `db`,
`messages`, `org`, and the namespace classes of `cocalc_api.hub` (`System`, `Projects`, ...).
The methods are generated from spec/hub-api.yaml; `projects.get` is client code over
`db.userQuery`, as in the reference (its hub.py), so it is written here, once for sync and
async (`_ProjectsQuery`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from cocalc_api._base_client import AsyncClient, Endpoint, SyncClient
from cocalc_api_generated.hub.hub import AsyncHubMethods, HubMethods
from cocalc_api_generated.hub.resources.db import AsyncDbMethods, DbMethods
from cocalc_api_generated.hub.resources.jupyter import AsyncJupyterMethods, JupyterMethods
from cocalc_api_generated.hub.resources.messages import AsyncMessagesMethods, MessagesMethods
from cocalc_api_generated.hub.resources.org import AsyncOrgMethods, OrgMethods
from cocalc_api_generated.hub.resources.projects import AsyncProjectsMethods, ProjectsMethods
from cocalc_api_generated.hub.resources.sync import AsyncSyncMethods, SyncMethods
from cocalc_api_generated.hub.resources.system import AsyncSystemMethods, SystemMethods
from cocalc_api_generated.hub.specs import API_PATH, BY_WIRE, DB_QUERY

__all__ = [
    "AsyncHub",
    "AsyncProjects",
    "Database",
    "Hub",
    "Jupyter",
    "Messages",
    "Organizations",
    "Projects",
    "Sync",
    "System",
]

HUB_API = Endpoint(path=API_PATH, by_wire=BY_WIRE, project_scoped=False)

# The fields `projects.get` asks for by default (the reference's hub.py).
DEFAULT_PROJECT_FIELDS = (
    "project_id",
    "title",
    "last_edited",
    "created",
    "state",
    "deleted",
    "users",
)


class _ProjectsQuery:
    """What `projects.get` asks and how it filters and sorts the answer (the reference's
    client-side rules, src/python/cocalc-api/src/cocalc_api/hub.py `Projects.get`)."""

    def __init__(
        self,
        fields: list[str] | None,
        all: bool | None,
        project_id: str | None,
        limit: int | None,
        deleted: bool | None,
        hidden: bool | None,
        state: str | None,
        account_id_for_hidden: str | None,
    ) -> None:
        record: dict[str, Any] = dict.fromkeys(DEFAULT_PROJECT_FIELDS if fields is None else fields)
        if project_id:
            record["project_id"] = project_id
        # `projects` holds the recent ones (edited in the last 6 weeks, at most 300);
        # `projects_all` every one (src/packages/util/db-schema/projects.ts).
        self.table = "projects_all" if all else "projects"
        self.args: list[Any] = [{"query": {self.table: [record]}}]
        # db.query is never sent twice (its one wire name also writes); this query is sent
        # again after a transient failure where the hub takes it as a read.
        self.spec = _DB_READ if _has_null_leaf(record) else DB_QUERY
        self._filters = (limit, deleted, hidden, state, account_id_for_hidden)

    def select(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        limit, deleted, hidden, state, account_id_for_hidden = self._filters
        kept: list[dict[str, Any]] = []
        for project in answer[self.table]:
            if deleted is not None and bool(project.get("deleted")) != deleted:
                continue
            if state and _state_text(project.get("state")).lower() != state.lower():
                continue
            if hidden is not None and account_id_for_hidden:
                users = project.get("users") or {}
                if isinstance(users, dict):
                    user = users.get(account_id_for_hidden, {})
                    is_hidden = bool(user.get("hide")) if isinstance(user, dict) else False
                    if is_hidden != hidden:
                        continue
            kept.append(project)
        kept.sort(
            key=lambda p: (
                _seconds(p.get("last_edited")),
                _seconds(p.get("created")),
                (p.get("title") or "").lower(),
                p.get("project_id") or "",
            ),
            reverse=True,
        )
        return kept[:limit] if limit is not None and limit >= 0 else kept


# A user query with a null leaf is a "get": it reads; any other sets values
# (src/packages/database/postgres-user-queries.coffee `is_set_query`, with `has_null_leaf` of
# src/packages/util/misc.ts).
_DB_READ = DB_QUERY._replace(retry="safe", effect="read")


def _has_null_leaf(value: Any) -> bool:
    children = value.values() if isinstance(value, dict) else value
    return any(
        child is None or (isinstance(child, dict | list) and _has_null_leaf(child))
        for child in children
    )


def _seconds(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()  # "Z" too, since 3.11
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 0.0


def _state_text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("state") or value.get("status") or "")
    return "" if value is None else str(value)


class Projects(ProjectsMethods):
    """`hub.projects`: the `projects.*` methods, and `get` (a query of your projects)."""

    __slots__ = ()

    def get(
        self,
        fields: list[str] | None = None,
        all: bool | None = False,
        project_id: str | None = None,
        limit: int | None = None,
        deleted: bool | None = None,
        hidden: bool | None = None,
        state: str | None = None,
        account_id_for_hidden: str | None = None,
    ) -> list[dict[str, Any]]:
        """Get data about projects that you are a collaborator on. Only gets recent
        projects by default; set all=True to get all projects.

        Calls `db.userQuery` on `projects` (edited in the last 6 weeks, at most 300) or
        `projects_all`; the filters, the order (most recently edited first) and `limit` are
        applied here, as the reference client does.

        Args:
            fields: The fields about the project to get (default: project_id, title,
                last_edited, created, state, deleted, users; see
                src/packages/util/db-schema/projects.ts).
            all: If True, return ALL your projects, not just the recent ones.
            project_id: If given, gets just this one project (as a list of length 1).
            limit: Maximum number of projects to return after filtering (None: no limit).
            deleted: If set, only deleted (True) or only not deleted (False) projects.
            hidden: If set, filter by the hidden flag of `account_id_for_hidden`.
            state: If set, only projects in this state (e.g. "opened", "running").
            account_id_for_hidden: The account whose hidden flag `hidden` reads.

        Returns:
            list[dict[str, Any]]: The projects.
        """
        query = _ProjectsQuery(
            fields, all, project_id, limit, deleted, hidden, state, account_id_for_hidden
        )
        return query.select(self._caller.call(query.spec, query.args, None))


class AsyncProjects(AsyncProjectsMethods):
    """`hub.projects` of an AsyncHub: `Projects` with its calls awaited."""

    __slots__ = ()

    async def get(
        self,
        fields: list[str] | None = None,
        all: bool | None = False,
        project_id: str | None = None,
        limit: int | None = None,
        deleted: bool | None = None,
        hidden: bool | None = None,
        state: str | None = None,
        account_id_for_hidden: str | None = None,
    ) -> list[dict[str, Any]]:
        """Get data about the projects you collaborate on; see `Projects.get`."""
        query = _ProjectsQuery(
            fields, all, project_id, limit, deleted, hidden, state, account_id_for_hidden
        )
        return query.select(await self._caller.call(query.spec, query.args, None))


# The reference's namespace classes, by their names in `cocalc_api.hub`.
System = SystemMethods
Jupyter = JupyterMethods
Sync = SyncMethods
Database = DbMethods
Messages = MessagesMethods
Organizations = OrgMethods
AsyncSystem = AsyncSystemMethods
AsyncJupyter = AsyncJupyterMethods
AsyncSync = AsyncSyncMethods
AsyncDatabase = AsyncDbMethods
AsyncMessages = AsyncMessagesMethods
AsyncOrganizations = AsyncOrgMethods


class Hub(SyncClient, HubMethods):
    """A CoCalc site's hub API, for an account: projects, names, messages, organizations.

    >>> import cocalc_api
    >>> hub = cocalc_api.Hub(api_key="sk-...")  # an account key
    >>> project_id = hub.projects.create_project(title="scratch")
    >>> hub.projects.start(project_id)

    `api_key` and `host` fall back to COCALC_API_KEY and COCALC_HOST. Only account keys work
    here: a project-scoped key reaches one project, through `Project`. `timeout`,
    `max_retries`, `http_client` and `extra_headers` are as for `Project`. Every setting is
    checked here: a bad one raises InvalidArgumentError at once.
    """

    _endpoint: ClassVar[Endpoint] = HUB_API

    @property
    def projects(self) -> Projects:
        """The `projects.*` methods, and `get`: create_project, start, stop, state, ..."""
        found: Projects | None = self.__dict__.get("_projects")
        if found is None:
            found = self.__dict__["_projects"] = Projects(self._caller)
        return found


class AsyncHub(AsyncClient, AsyncHubMethods):
    """`Hub` for asyncio (and trio): the same methods, awaited. See `Hub`."""

    _endpoint: ClassVar[Endpoint] = HUB_API

    @property
    def projects(self) -> AsyncProjects:
        """The `projects.*` methods, and `get`, awaited."""
        found: AsyncProjects | None = self.__dict__.get("_projects")
        if found is None:
            found = self.__dict__["_projects"] = AsyncProjects(self._caller)
        return found
