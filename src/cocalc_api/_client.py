"""`Project` and `AsyncProject`: settings, the HTTP client's lifetime, `with_options`, pickling.

The methods themselves (`project.system.exec`, `project.ping`, ...) come from the generated
`ProjectMethods`; nothing here is specific to one method. Both clients share `_ProjectBase`;
they differ only in their HTTP client and transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

import httpx2

from cocalc_api._constants import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES
from cocalc_api._exceptions import InvalidArgumentError
from cocalc_api._http_clients import DefaultAsyncHttpxClient, DefaultHttpxClient
from cocalc_api._logging import configure_from_environment
from cocalc_api._settings import NOT_GIVEN, NotGiven, Settings, make_settings
from cocalc_api._transport import AsyncTransport, CallPolicy, SyncTransport
from cocalc_api_generated.project import AsyncProjectMethods, ProjectMethods

if TYPE_CHECKING:
    from cocalc_api._jobs import AsyncJobs, Jobs

_Http = TypeVar("_Http", httpx2.Client, httpx2.AsyncClient)


class _ProjectBase(Generic[_Http]):
    """Everything Project and AsyncProject share: settings, copies, pickling, repr."""

    _http_class: ClassVar[type[httpx2.Client | httpx2.AsyncClient]]
    _settings: Settings
    _http: _Http
    _owns_http: bool

    def _start(
        self,
        api_key: str | None,
        host: str | None,
        project_id: str | None,
        timeout: float | None,
        max_retries: int,
        http_client: _Http | None,
        extra_headers: Mapping[str, str] | None,
        max_response_bytes: int,
    ) -> None:
        configure_from_environment()
        settings = make_settings(
            api_key,
            host,
            project_id,
            timeout,
            max_retries,
            extra_headers,
            stacklevel=4,
            max_response_bytes=max_response_bytes,
        )
        if http_client is not None and not isinstance(http_client, self._http_class):
            wanted = f"{self._http_class.__module__}.{self._http_class.__qualname__}"
            raise InvalidArgumentError(
                f"http_client must be an {wanted}, got {type(http_client).__qualname__}"
            )
        if http_client is None:
            self._setup(settings, self._new_http(settings), owns_http=True)
        else:
            self._setup(settings, http_client, owns_http=False)

    def _setup(self, settings: Settings, http: _Http, *, owns_http: bool) -> None:
        """The one place that fills in a client, new, copied or unpickled."""
        self._settings = settings
        self._http = http
        self._owns_http = owns_http  # a client passed in is the caller's to close
        self._caller = self._make_transport(CallPolicy(settings), http)

    def _new_http(self, settings: Settings) -> _Http:
        raise NotImplementedError

    def _make_transport(self, policy: CallPolicy, http: _Http) -> Any:
        raise NotImplementedError

    @property
    def host(self) -> str:
        """The CoCalc server, e.g. "https://cocalc.com"."""
        return self._settings.host

    @property
    def project_id(self) -> str | None:
        """The project (None: the project of a project-scoped key)."""
        return self._settings.project_id

    @property
    def timeout(self) -> float | None:
        """Seconds a call without a timeout argument of its own may take (None: the server's
        15 s plus a margin); see the README's timeout table."""
        return self._settings.timeout

    @property
    def max_retries(self) -> int:
        """How often a retry-safe call is tried again after a transient failure."""
        return self._settings.max_retries

    def with_options(
        self,
        *,
        timeout: float | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven = NOT_GIVEN,
    ) -> Self:
        """A copy with other call settings, sharing this one's connections (which this one
        still owns and closes); this one is unchanged. `extra_headers` are added to its own."""
        settings = self._settings.with_changes(
            timeout, max_retries, extra_headers, max_response_bytes
        )
        clone = object.__new__(type(self))
        clone._setup(settings, self._http, owns_http=False)
        return clone

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by its settings (the key included: the copy must be able to call); the copy
        # opens connections of its own on first use, even if this one was given a client.
        return (_unpickle, (type(self), self._settings))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(host={self.host!r}, project_id={self.project_id!r})"


def _unpickle(cls: type[_ProjectBase[Any]], settings: Settings) -> _ProjectBase[Any]:
    project = object.__new__(cls)
    project._setup(settings, project._new_http(settings), owns_http=True)
    return project


class Project(_ProjectBase[httpx2.Client], ProjectMethods):
    """A CoCalc project, reached through the project API.

    >>> import cocalc_api
    >>> project = cocalc_api.Project(api_key="sk-...", project_id="...")
    >>> project.system.exec(command="echo 'hello from cocalc'")

    `api_key`, `host` and `project_id` fall back to COCALC_API_KEY, COCALC_HOST and
    COCALC_PROJECT_ID. `timeout` (seconds) bounds each call whose method has no timeout of its
    own, retries included, and becomes exec's command limit when exec is given none.
    `max_retries` applies to retry-safe methods only (ping, listing, ...). Pass `http_client`
    to use your own httpx2.Client (it is not closed for you). Every setting is checked here:
    a bad one raises InvalidArgumentError at once.
    """

    _http_class = httpx2.Client

    def __init__(
        self,
        api_key: str | None = None,
        host: str | None = None,
        project_id: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx2.Client | None = None,
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

    def _new_http(self, settings: Settings) -> httpx2.Client:
        return DefaultHttpxClient()

    def _make_transport(self, policy: CallPolicy, http: httpx2.Client) -> SyncTransport:
        return SyncTransport(policy, http)

    @property
    def jobs(self) -> Jobs:
        """Async exec jobs as handles: `job = project.jobs.start("make")`, then
        `job.wait()`, `job.follow()`, `job.kill()` (docs/jobs.md)."""
        from cocalc_api._jobs import Jobs

        return Jobs(self)

    def close(self) -> None:
        """Close the HTTP connections (unless the httpx2.Client was passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncProject(_ProjectBase[httpx2.AsyncClient], AsyncProjectMethods):
    """`Project` for asyncio (and trio): the same methods, awaited. See `Project`.

    Made without `http_client`, its connections are asyncio's own transports, which keeps the
    CPU cost of a call low with hundreds in flight (docs/async.md). A client passed in runs on
    httpx2's own connections, and is yours to close.
    """

    _http_class = httpx2.AsyncClient

    def __init__(
        self,
        api_key: str | None = None,
        host: str | None = None,
        project_id: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx2.AsyncClient | None = None,
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

    def _new_http(self, settings: Settings) -> httpx2.AsyncClient:
        return DefaultAsyncHttpxClient()

    def _make_transport(self, policy: CallPolicy, http: httpx2.AsyncClient) -> AsyncTransport:
        return AsyncTransport(policy, http)

    @property
    def jobs(self) -> AsyncJobs:
        """Async exec jobs as handles: `job = await project.jobs.start("make")`, then
        `await job.wait()`, `async for update in job.follow()` (docs/jobs.md)."""
        from cocalc_api._jobs import AsyncJobs

        return AsyncJobs(self)

    async def aclose(self) -> None:
        """Close the HTTP connections (unless the httpx2.AsyncClient was passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
