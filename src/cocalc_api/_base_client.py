"""The client every CoCalc API shares: settings, the HTTP client and who closes it, the caller,
copies and pickles made through the constructor, `call()` by wire name, close and `with`.

An API (the project API today, the account-level hub API next) is a subclass that names its
`Endpoint` (path, method table) and its constructor's arguments; nothing else is per API.
As in openai-python (`_base_client.py`), a copy is made by calling `type(self)(...)`, so a
subclass with a constructor of its own (a fake, a hub) keeps what its constructor sets up.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from types import TracebackType
from typing import Any, ClassVar, Generic, NamedTuple, Self, TypeVar

import httpx2

from cocalc_api._caller import AsyncHttpCaller, CallPolicy, HttpCaller
from cocalc_api._constants import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES
from cocalc_api._exceptions import InvalidArgumentError
from cocalc_api._logging import configure_from_environment
from cocalc_api._settings import NOT_GIVEN, NotGiven, Settings, make_settings
from cocalc_api.safety import REDACTED
from cocalc_api_generated._runtime import MethodSpec, SchemaError

_Http = TypeVar("_Http", httpx2.Client, httpx2.AsyncClient)

# Set while a copy is made: its settings were checked (and warned about) in the original.
_COPYING: ContextVar[bool] = ContextVar("cocalc_api_copying", default=False)


class Endpoint(NamedTuple):
    """What one CoCalc API is on the wire: its path and its method table by wire name."""

    path: str  # e.g. "/api/conat/project"
    by_wire: Mapping[str, tuple[MethodSpec[Any], ...]]
    # The envelope names a project (`project_id`, or COCALC_PROJECT_ID): the project API does,
    # the hub API does not.
    project_scoped: bool

    def identify(self, name: str, arguments: Any) -> MethodSpec[Any] | None:
        """The table's method for a wire name: of those sharing it (exec and exec_status), the
        one whose arguments fit, else the first; None for a name outside the table."""
        candidates = self.by_wire.get(name, ())
        for method in candidates:
            try:
                method.validate_args(arguments)
            except SchemaError:
                continue
            return method
        return candidates[0] if candidates else None

    def method_for(self, name: str, arguments: list[Any]) -> MethodSpec[Any]:
        """What `call()` sends `name` as: the table's method, with the arguments sent as given
        (no timeout put into them); a method outside the table is sent as given, never
        retried."""
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError("call(): name must be a wire name such as 'system.ping'")
        if not isinstance(arguments, list):
            raise InvalidArgumentError(
                f"call({name!r}): arguments must be a list, got {type(arguments).__name__}"
            )
        found = self.identify(name, arguments)
        if found is not None:
            return found._replace(timeout=None)
        namespace = name.rpartition(".")[0]
        return MethodSpec(
            wire_name=name,
            namespace=namespace,
            python_name=f"call({name!r})",
            args_schema="",
            result_schema="",
            retry="unsafe",
            effect="destructive",
            timeout=None,
        )


class _Arguments(dict[str, Any]):
    """A constructor's keyword arguments, as pickled: the key stays out of the repr."""

    def __repr__(self) -> str:
        return repr({k: REDACTED if k == "api_key" else v for k, v in self.items()})


def _construct(cls: type[BaseClient[Any]], arguments: Mapping[str, Any]) -> BaseClient[Any]:
    return cls(**arguments)


class BaseClient(Generic[_Http]):
    """Settings, copies, pickling, `call()`, repr: what every client of every API shares."""

    _endpoint: ClassVar[Endpoint]
    _http_class: ClassVar[type[httpx2.Client | httpx2.AsyncClient]]
    _settings: Settings
    _http: _Http
    _owns_http: bool

    def __init__(
        self,
        api_key: str | None = None,
        host: str | None = None,
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
            None,
            timeout,
            max_retries,
            http_client,
            extra_headers,
            max_response_bytes,
        )

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
        """The constructor's work, for every API (called from each subclass's `__init__`)."""
        configure_from_environment()
        settings = make_settings(
            api_key,
            host,
            project_id,
            timeout,
            max_retries,
            extra_headers,
            stacklevel=4,
            project_scoped=self._endpoint.project_scoped,
            warn=not _COPYING.get(),
            max_response_bytes=max_response_bytes,
        )
        if http_client is not None and not isinstance(http_client, self._http_class):
            wanted = f"{self._http_class.__module__}.{self._http_class.__qualname__}"
            raise InvalidArgumentError(
                f"http_client must be an {wanted}, got {type(http_client).__qualname__}"
            )
        self._settings = settings
        self._owns_http = http_client is None  # a client passed in is the caller's to close
        self._http = self._new_http() if http_client is None else http_client
        policy = CallPolicy(settings, self._endpoint.path)
        self._caller = self._make_caller(policy, self._http)

    def _new_http(self) -> _Http:
        raise NotImplementedError

    def _make_caller(self, policy: CallPolicy, http: _Http) -> Any:
        raise NotImplementedError

    def _arguments(self, settings: Settings, http_client: _Http | None) -> dict[str, Any]:
        """The constructor's arguments for a client with `settings` (and `http_client`, or
        connections of its own). A subclass whose constructor differs says so here."""
        arguments: dict[str, Any] = {"api_key": settings.api_key, "host": settings.host}
        if self._endpoint.project_scoped:
            arguments["project_id"] = settings.project_id
        arguments.update(
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            extra_headers=dict(settings.extra_headers),
            http_client=http_client,
            max_response_bytes=settings.max_response_bytes,
        )
        return arguments

    # -- what the reference client has too ------------------------------------------------

    @property
    def api_key(self) -> str:
        """The API key the calls are made with (kept out of reprs, errors and logs)."""
        return self._settings.api_key

    @property
    def host(self) -> str:
        """The CoCalc server, e.g. "https://cocalc.com"."""
        return self._settings.host

    @property
    def client(self) -> _Http:
        """The HTTP client the calls go through (an httpx2 client)."""
        return self._http

    # -- settings ---------------------------------------------------------------------------

    @property
    def timeout(self) -> float | None:
        """Seconds a call without a timeout argument of its own may take (None: the server's
        15 s plus a margin); see [the timeout table](../timeouts.md#the-table)."""
        return self._settings.timeout

    @property
    def max_retries(self) -> int:
        """How often a retry-safe call is tried again after a transient failure."""
        return self._settings.max_retries

    @property
    def max_response_bytes(self) -> int:
        """The largest answer read, in bytes after decompression (ResponseTooLargeError)."""
        return self._settings.max_response_bytes

    def copy(
        self,
        *,
        timeout: float | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven = NOT_GIVEN,
    ) -> Self:
        """A copy with other call settings, sharing this one's connections (which this one
        still owns and closes); this one is unchanged. `extra_headers` are added to its own.
        Made through the constructor, so a subclass keeps what its constructor sets up."""
        settings = self._settings.with_changes(
            timeout, max_retries, extra_headers, max_response_bytes
        )
        copying = _COPYING.set(True)
        try:
            return type(self)(**self._arguments(settings, self._http))
        finally:
            _COPYING.reset(copying)

    with_options = copy

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by the constructor's arguments (the key included: the copy must be able to
        # call); the copy opens connections of its own, even if this one was given a client.
        return (_construct, (type(self), _Arguments(self._arguments(self._settings, None))))

    def __repr__(self) -> str:
        scope = (
            f", project_id={self._settings.project_id!r}" if self._endpoint.project_scoped else ""
        )
        return f"{type(self).__name__}(host={self.host!r}{scope})"

    def _call_method(self, name: str, arguments: list[Any], timeout: int | None) -> Any:
        """What `call()` sends: the reference client's escape hatch, under our policy."""
        method = self._endpoint.method_for(name, arguments)
        target = self
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
                raise InvalidArgumentError(
                    f"call({name!r}): timeout must be a positive number of milliseconds, "
                    f"got {timeout!r}"
                )
            target = self.copy(timeout=timeout / 1000)  # the envelope's limit, as sent
        return target._caller.call(method, list(arguments), None)


class SyncClient(BaseClient[httpx2.Client]):
    """A client over an httpx2.Client: `close()` and `with`."""

    _http_class = httpx2.Client

    def _new_http(self) -> httpx2.Client:
        from cocalc_api._network.http_clients import DefaultHttpxClient

        return DefaultHttpxClient()

    def _make_caller(self, policy: CallPolicy, http: httpx2.Client) -> HttpCaller:
        return HttpCaller(policy, http)

    def call(self, name: str, arguments: list[Any], timeout: int | None = None) -> Any:
        """Call a method by its wire name with its wire arguments, as the reference client's
        `call` does: `project.call("system.listing", [{"path": "."}])`. `timeout` is the
        envelope's limit in MILLISECONDS (the reference's unit; default: the server's 15 s).
        A method of the table is validated and retried as its typed method is."""
        result: Any = self._call_method(name, arguments, timeout)
        return result

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


class AsyncClient(BaseClient[httpx2.AsyncClient]):
    """A client over an httpx2.AsyncClient: `aclose()` and `async with`.

    Made without `http_client`, its connections are asyncio's own transports, which keeps the
    CPU cost of a call low with hundreds in flight ([async](../async.md))."""

    _http_class = httpx2.AsyncClient

    def _new_http(self) -> httpx2.AsyncClient:
        from cocalc_api._network.http_clients import DefaultAsyncHttpxClient

        return DefaultAsyncHttpxClient()

    def _make_caller(self, policy: CallPolicy, http: httpx2.AsyncClient) -> AsyncHttpCaller:
        return AsyncHttpCaller(policy, http)

    async def call(self, name: str, arguments: list[Any], timeout: int | None = None) -> Any:
        """Call a method by its wire name; see `SyncClient.call`."""
        result: Any = await self._call_method(name, arguments, timeout)
        return result

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
