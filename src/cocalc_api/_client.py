"""`Project` and `AsyncProject`: the project API on the base client.

The methods themselves (`project.system.exec`, `project.ping`, ...) come from the generated
`ProjectMethods`; settings, copies, pickling, `call()` and closing come from `_base_client`.
What is the project API's own: its endpoint, `project_id` and `jobs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import httpx2

from cocalc_api._base_client import AsyncClient, BaseClient, Endpoint, SyncClient, _Http
from cocalc_api._constants import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES
from cocalc_api_generated.project import AsyncProjectMethods, ProjectMethods
from cocalc_api_generated.specs import API_PATH, BY_WIRE

if TYPE_CHECKING:
    from cocalc_api._jobs import AsyncJobs, Jobs

PROJECT_API = Endpoint(path=API_PATH, by_wire=BY_WIRE, project_scoped=True)


class _ProjectAPI(BaseClient[_Http]):
    """What both project clients have beyond the base client: the endpoint and `project_id`
    (the third positional argument, as in the reference client)."""

    _endpoint: ClassVar[Endpoint] = PROJECT_API

    def __init__(
        self,
        api_key: str | None = None,
        host: str | None = None,
        project_id: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: _Http | None = None,
        extra_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._start(
            api_key,
            host,
            project_id,
            timeout,
            max_retries,
            http_client,
            extra_headers,
            max_response_bytes,
        )

    @property
    def project_id(self) -> str | None:
        """The project (None: the project of a project-scoped key)."""
        return self._settings.project_id


class Project(_ProjectAPI[httpx2.Client], SyncClient, ProjectMethods):
    """A CoCalc project, reached through the project API.

    >>> import cocalc_api
    >>> project = cocalc_api.Project(api_key="sk-...", project_id="...")
    >>> project.system.exec(command="echo 'hello from cocalc'")

    `api_key`, `host` and `project_id` fall back to COCALC_API_KEY, COCALC_HOST and
    COCALC_PROJECT_ID. `timeout` (seconds) bounds each call whose method has no timeout of its
    own, retries included, and becomes exec's command limit when exec is given none.
    `max_retries` applies to retry-safe methods only (ping, listing, ...). Pass `http_client`
    to use your own httpx2.Client (it is not closed for you). Every setting is checked here:
    a bad one raises InvalidArgumentError at once. `max_response_bytes` bounds an answer's
    size after decompression (ResponseTooLargeError past it).
    """

    @property
    def jobs(self) -> Jobs:
        """Async exec jobs as handles: `job = project.jobs.start("make")`, then
        `job.wait()`, `job.follow()`, `job.kill()` ([async jobs](../jobs.md), [API](jobs.md))."""
        from cocalc_api._jobs import Jobs

        return Jobs(self)


class AsyncProject(_ProjectAPI[httpx2.AsyncClient], AsyncClient, AsyncProjectMethods):
    """`Project` for asyncio (and trio): the same methods, awaited. See `Project`.

    Made without `http_client`, its connections are asyncio's own transports, which keeps the
    CPU cost of a call low with hundreds in flight ([async](../async.md)). A client passed in runs on
    httpx2's own connections, and is yours to close.
    """

    @property
    def jobs(self) -> AsyncJobs:
        """Async exec jobs as handles: `job = await project.jobs.start("make")`, then
        `await job.wait()`, `async for update in job.follow()` ([async jobs](../jobs.md))."""
        from cocalc_api._jobs import AsyncJobs

        return AsyncJobs(self)
