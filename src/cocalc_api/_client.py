"""`Project` and `AsyncProject`: settings, the HTTP client's lifetime, and `with_options`.

The methods themselves (`project.system.exec`, `project.ping`, ...) come from the generated
`ProjectMethods`; nothing here is specific to one method.
"""

from __future__ import annotations

import ipaddress
import os
import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import httpx

from cocalc_api._exceptions import InsecureHostWarning, InvalidArgumentError
from cocalc_api._logging import configure_from_environment
from cocalc_api._transport import AsyncTransport, CallOptions, CallPolicy, SyncTransport

if TYPE_CHECKING:
    from cocalc_api_generated.openapi_client.client import Client as GeneratedClient
from cocalc_api_generated.project import AsyncProjectMethods, ProjectMethods

DEFAULT_HOST = "https://cocalc.com"
_UNSET: Any = object()


def _settings(
    api_key: str | None, host: str | None, project_id: str | None
) -> tuple[str, str, str | None]:
    key = api_key if api_key is not None else os.environ.get("COCALC_API_KEY")
    if not key or not isinstance(key, str):
        raise InvalidArgumentError("no API key: pass api_key=... or set COCALC_API_KEY")
    url = host if host is not None else os.environ.get("COCALC_HOST") or DEFAULT_HOST
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgumentError(f"host must be an http(s) URL such as {DEFAULT_HOST!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        warnings.warn(
            f"{url} is plain http: the API key would cross the network in clear text",
            InsecureHostWarning,
            stacklevel=4,  # _settings <- _policy <- __init__ <- the caller's line
        )
    project = project_id if project_id is not None else os.environ.get("COCALC_PROJECT_ID")
    if project is not None and not isinstance(project, str):
        raise InvalidArgumentError("project_id must be a string")
    return key, url, project


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _policy(
    api_key: str | None,
    host: str | None,
    project_id: str | None,
    timeout: float | None,
    max_retries: int,
) -> CallPolicy:
    key, url, project = _settings(api_key, host, project_id)
    return CallPolicy(
        api_key=key,
        host=url,
        project_id=project,
        options=CallOptions(timeout=timeout, max_retries=_retries(max_retries)),
    )


def _retries(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidArgumentError("max_retries must be an int >= 0")
    return value


def _derived(
    policy: CallPolicy,
    timeout: float | None,
    max_retries: int | None,
    extra_headers: dict[str, str] | None,
) -> CallPolicy:
    current = policy.options
    return policy.with_options(
        CallOptions(
            timeout=current.timeout if timeout is _UNSET else timeout,
            max_retries=current.max_retries if max_retries is None else _retries(max_retries),
            extra_headers=current.extra_headers + tuple((extra_headers or {}).items()),
        )
    )


def _generated_client(url: str) -> GeneratedClient:
    # Imported here: attrs and the generated client cost more to import than the rest of us.
    from cocalc_api_generated.openapi_client.client import Client as GeneratedClient

    # Timeouts are set per request by the transport; this one is only a backstop.
    return GeneratedClient(base_url=url, timeout=httpx.Timeout(30.0), follow_redirects=False)


class Project(ProjectMethods):
    """A CoCalc project, reached through the project API.

    >>> import cocalc_api
    >>> project = cocalc_api.Project(api_key="sk-...", project_id="...")
    >>> project.system.exec(command="echo 'hello from cocalc'")

    `api_key`, `host` and `project_id` fall back to COCALC_API_KEY, COCALC_HOST and
    COCALC_PROJECT_ID. `timeout` (seconds) limits calls whose method has no timeout parameter
    of its own. `max_retries` applies to retry-safe methods only (ping, test, ...). Pass `http_client` to use your own httpx.Client (it is not closed for you).
    """

    def __init__(
        self,
        api_key: str | None = None,
        host: str | None = None,
        project_id: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
    ) -> None:
        configure_from_environment()
        policy = _policy(api_key, host, project_id, timeout, max_retries)
        self.host = policy.host
        self.project_id = policy.project_id
        self._owns_http = http_client is None
        http = http_client or _generated_client(policy.host).get_httpx_client()
        self._transport = SyncTransport(policy, http)
        super().__init__(self._transport)

    def with_options(
        self,
        *,
        timeout: float | None = _UNSET,
        max_retries: int | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Self:
        """A copy with other call settings, sharing this one's connections; this is unchanged."""
        policy = _derived(self._transport.policy, timeout, max_retries, extra_headers)
        clone = object.__new__(type(self))
        clone.host, clone.project_id = self.host, self.project_id
        clone._owns_http = False  # the original owns and closes the shared client
        clone._transport = SyncTransport(policy, self._transport.http)
        ProjectMethods.__init__(clone, clone._transport)
        return clone

    def close(self) -> None:
        """Close the HTTP connections (unless the httpx.Client was passed in)."""
        if self._owns_http:
            self._transport.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(host={self.host!r}, project_id={self.project_id!r})"


class AsyncProject(AsyncProjectMethods):
    """`Project` for asyncio: the same methods, awaited. See `Project`.

    For many calls at once, pass `http_client=cocalc_api.DefaultAioHttpClient()` (the
    `aiohttp` extra), and close it yourself, as any client passed in.
    """

    def __init__(
        self,
        api_key: str | None = None,
        host: str | None = None,
        project_id: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        configure_from_environment()
        policy = _policy(api_key, host, project_id, timeout, max_retries)
        self.host = policy.host
        self.project_id = policy.project_id
        self._owns_http = http_client is None
        http = http_client or _generated_client(policy.host).get_async_httpx_client()
        self._transport = AsyncTransport(policy, http)
        super().__init__(self._transport)

    def with_options(
        self,
        *,
        timeout: float | None = _UNSET,
        max_retries: int | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Self:
        """A copy with other call settings, sharing this one's connections; this is unchanged."""
        policy = _derived(self._transport.policy, timeout, max_retries, extra_headers)
        clone = object.__new__(type(self))
        clone.host, clone.project_id = self.host, self.project_id
        clone._owns_http = False  # the original owns and closes the shared client
        clone._transport = AsyncTransport(policy, self._transport.http)
        AsyncProjectMethods.__init__(clone, clone._transport)
        return clone

    async def aclose(self) -> None:
        """Close the HTTP connections (unless the httpx.AsyncClient was passed in)."""
        if self._owns_http:
            await self._transport.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(host={self.host!r}, project_id={self.project_id!r})"
