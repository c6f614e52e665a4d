"""The caller: all call policy, in one place (auth header, envelope, timeouts, retries, error
mapping, redaction), the layer above the HTTP client.

The generated methods hand a MethodSpec and the wire `args` to `HttpCaller.call` or
`AsyncHttpCaller.call`. Everything both share (what to send, how to read the answer) is in
`CallPolicy`; the two callers only differ in how they wait for I/O. The layer below, what
httpx2 sends through (connections, sockets, TLS), is `_network`.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import sys
import time
from typing import Any, NamedTuple, NoReturn, TypeVar

import httpx2

from cocalc_api._constants import (
    BODY_EXCERPT_CHARS,
    CONNECT_TIMEOUT_S,
    MAX_REQUEST_BYTES,
    MAX_RETRY_AFTER_S,
    RETRY_STATUSES,
)
from cocalc_api._exceptions import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    CocalcError,
    HTTPStatusError,
    InvalidArgumentError,
    ProjectUnavailableError,
    RequestTooLargeError,
    ResponseTooLargeError,
    ResponseValidationError,
    shortened,
)
from cocalc_api._settings import Settings
from cocalc_api._timeouts import CallLimits, call_limits
from cocalc_api._version import __version__
from cocalc_api.safety import redact
from cocalc_api_generated._runtime import MethodSpec, SchemaError

R = TypeVar("R")

logger = logging.getLogger("cocalc_api")


class Prepared(NamedTuple):  # not a dataclass: a NamedTuple is made faster on import
    """One call, ready to send: the request and what its answer is read against."""

    method: MethodSpec[Any]
    args: list[Any]
    limits: CallLimits
    request: httpx2.Request


# sys.version starts with what platform.python_version() gives, without importing platform.
USER_AGENT = f"cocalc-sdk/{__version__} python/{sys.version.split()[0]}"


class CallPolicy:
    """What to send for a call and how to read its answer; shared by both transports."""

    __slots__ = ("_headers", "_secrets", "_timeouts", "_url", "settings", "url")

    def __init__(self, settings: Settings, path: str) -> None:
        token = base64.b64encode(f"{settings.api_key}:".encode()).decode("ascii")
        # Basic with the key as username, as the reference client sends it.
        self._headers = httpx2.Headers(
            {"Authorization": f"Basic {token}", "User-Agent": USER_AGENT}
        )
        self._headers.update(dict(settings.extra_headers))
        self._secrets = (settings.api_key, token)
        self.settings = settings
        self.url = settings.host.rstrip("/") + path
        self._url = httpx2.URL(self.url)  # parsed once: parsing costs more than the rest of a call
        self._timeouts: dict[float, dict[str, float | None]] = {}

    def __repr__(self) -> str:
        return f"CallPolicy(url={self.url!r}, settings={self.settings!r})"

    # -- request ---------------------------------------------------------------------------

    def build_request(
        self,
        headers: list[tuple[bytes, bytes]],
        method: MethodSpec[Any],
        args: list[Any],
        timeout: float | None,
    ) -> Prepared:
        """The request to send, and what its answer is read against."""
        if method.prepare:
            from cocalc_api._prepare import prepared  # for a few methods only

            args = prepared(method.prepare, args)
        try:
            method.validate_args(args)
        except SchemaError as error:
            raise InvalidArgumentError(
                f"{method.python_name}(): {method.describe(str(error))}"
            ) from None
        limits = call_limits(method.timeout, timeout, self.settings.timeout, method.envelope_s)
        if limits.command is not None and method.timeout is not None:
            # The client's timeout becomes the command's own limit (see _timeouts).
            slot = method.timeout.slot
            command = {**args[slot], method.timeout.wire_name: limits.command}
            args = [*args[:slot], command, *args[slot + 1 :]]
        body: dict[str, Any] = {"name": method.wire_name, "args": args}
        if self.settings.project_id:
            body["project_id"] = self.settings.project_id
        if limits.envelope_s is not None:
            if not limits.envelope_s > 0 or not math.isfinite(limits.envelope_s):
                raise InvalidArgumentError(f"{method.python_name}(): timeout must be positive")
            body["timeout"] = math.ceil(limits.envelope_s * 1000)
        try:
            # Sent as given: JSON has no NaN or infinity, so refuse them here, not on the wire.
            content = json.dumps(
                body, ensure_ascii=False, allow_nan=False, separators=(",", ":")
            ).encode()
        except (TypeError, ValueError) as error:  # e.g. a value JSON cannot encode
            raise InvalidArgumentError(f"{method.python_name}(): {error}") from None
        if len(content) > MAX_REQUEST_BYTES:
            raise _request_too_large(method, len(content))
        # Built here rather than by the client: its headers were merged once (headers_for),
        # which saves most of what an httpx2 call costs us on top of the request itself.
        request = httpx2.Request(
            "POST",
            self._url,
            headers=[*headers, (b"Content-Length", str(len(content)).encode())],
            stream=httpx2.ByteStream(content),
            extensions={"timeout": self._http_timeout(limits.deadline_s)},
        )
        request.read()  # so `request.content` is there for event hooks and recorders
        return Prepared(method, args, limits, request)

    def headers_for(self, http: httpx2.Client | httpx2.AsyncClient) -> list[tuple[bytes, bytes]]:
        """Every header of a request through `http`: the client's own (defaults, or what the
        caller gave it), then ours over them, then Host."""
        merged = http.headers.copy()
        merged.update(self._headers)
        merged["Content-Type"] = "application/json"
        return [(b"Host", self._url.netloc), *merged.raw]

    def _http_timeout(self, read_s: float) -> dict[str, float | None]:
        timeout = self._timeouts.get(read_s)
        if timeout is None:
            # Connecting may take CONNECT_TIMEOUT_S, but never longer than the call may.
            timeout = httpx2.Timeout(read_s, connect=min(CONNECT_TIMEOUT_S, read_s)).as_dict()
            self._timeouts[read_s] = timeout
        return timeout

    # -- response --------------------------------------------------------------------------

    def read_response(self, call: Prepared, response: httpx2.Response, content: bytes) -> Any:
        method = call.method
        if response.status_code == 413:
            # CoCalc's route says "Body exceeded 1mb limit"; a proxy may have a lower limit.
            size = len(call.request.content)
            raise RequestTooLargeError(
                f"{method.python_name}(): the server refused the {size}-byte request as too "
                f"large (HTTP 413 from {self.url}): {self._excerpt(response, content)!r}. "
                f"{_SEND_LESS}",
                limit=None,
                size=size,
            )
        if response.status_code != 200:
            raise self._status_error(response, content)
        try:
            data = json.loads(content)
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            excerpt = self._excerpt(response, content)
            raise ResponseValidationError(
                f"{method.wire_name}: the response is not JSON ({error}): {excerpt!r}"
            ) from None
        except RecursionError:  # deeper than Python's parser goes (about 1000 levels)
            raise self._too_deep(method) from None
        if type(data) is dict and "error" in data:
            raise self._api_error(call, data["error"])
        try:
            method.validate_result(data)
        except SchemaError as error:
            raise ResponseValidationError(
                f"{method.wire_name}: the result does not match {method.result_schema}: "
                f"{self.redact(_describe_result(error))}"
            ) from None
        except RecursionError:
            raise self._too_deep(method) from None
        return data

    def _too_deep(self, method: MethodSpec[Any]) -> ResponseValidationError:
        return ResponseValidationError(
            f"{method.wire_name}: the response is nested deeper than Python's JSON parser goes "
            f"(about {sys.getrecursionlimit()} levels)"
        )

    def too_large(self, method: MethodSpec[Any], overflow: Overflow) -> CocalcError:
        """The error for an answer past `max_response_bytes`: a proxy's error page is still
        its HTTPStatusError (from the start of the page), which may be retried."""
        response = overflow.response
        if response.status_code != 200:
            return self._status_error(response, overflow.start)
        limit = self.settings.max_response_bytes
        if overflow.declared:
            seen = f"its Content-Length is {overflow.size}"
        else:
            seen = f"more than {limit} bytes arrived (counted after decompression)"
        return ResponseTooLargeError(
            f"{method.wire_name}: the answer is larger than max_response_bytes={limit} "
            f"({limit / (1 << 20):g} MiB): "
            f"{seen}; reading stopped. Pass a larger max_response_bytes to the project "
            "(or to with_options) if an answer this large is expected",
            limit=limit,
            size=overflow.size,
        )

    def _status_error(self, response: httpx2.Response, content: bytes) -> HTTPStatusError:
        return HTTPStatusError(
            f"HTTP {response.status_code} {response.reason_phrase} from {self.url}",
            status_code=response.status_code,
            body=self._excerpt(response, content),
            retry_after=_retry_after(response.headers.get("retry-after")),
        )

    def _excerpt(self, response: httpx2.Response, content: bytes) -> str:
        # Redact before cutting: a key that straddles the cut would not be recognised after it.
        longest = max(len(secret) for secret in self._secrets)
        head = content[: (BODY_EXCERPT_CHARS + longest) * 4]  # enough bytes for any encoding
        text = head.decode(response.encoding or "utf-8", errors="replace")
        return self.redact(text[: BODY_EXCERPT_CHARS + longest])[:BODY_EXCERPT_CHARS]

    def retryable(self, method: MethodSpec[Any], error: BaseException) -> bool:
        """Only a retry-safe method, and only a failure that trying again may fix."""
        if not method.retry_safe:
            return False
        if isinstance(error, HTTPStatusError):
            too_long = error.retry_after is not None and error.retry_after > MAX_RETRY_AFTER_S
            return error.status_code in RETRY_STATUSES and not too_long
        return isinstance(error, APIConnectionError | ProjectUnavailableError)

    def _api_error(self, call: Prepared, raw: object) -> CocalcError:
        if not isinstance(raw, str):
            return ResponseValidationError(
                f"{call.method.wire_name}: 'error' must be a string, got {type(raw).__name__}"
            )
        # Imported on the first error, not with the package: its rules are for failures only.
        from cocalc_api._errors import api_error
        from cocalc_api._failure import Failure

        return api_error(
            Failure(call.method, call.args, call.limits, self.redact(raw), self.settings)
        )

    def connection_error(self, method: MethodSpec[Any], error: httpx2.HTTPError) -> CocalcError:
        detail = self.redact(str(error) or type(error).__name__)
        if isinstance(error, httpx2.TimeoutException):
            return APITimeoutError(f"{method.wire_name}: timed out talking to {self.url}: {detail}")
        return APIConnectionError(f"{method.wire_name}: connection to {self.url} failed: {detail}")

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def log(self, method: MethodSpec[Any], started: float, outcome: str) -> None:
        """One line per attempt at INFO: method, outcome (ok, or the exception's name), time."""
        if logger.isEnabledFor(logging.INFO):
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info("%s %s -> %s in %.1f ms", self.url, method.wire_name, outcome, elapsed_ms)

    def read_logged(
        self, call: Prepared, started: float, response: httpx2.Response, content: bytes
    ) -> Any:
        try:
            result = self.read_response(call, response, content)
        except CocalcError as error:
            self.log(call.method, started, type(error).__name__)
            raise
        self.log(call.method, started, "ok")
        return result


_SEND_LESS = (
    "Send less in one call: split the data over several calls (a large file can be written in "
    "parts and joined with exec, e.g. `cat part-* > file`)."
)


def _request_too_large(method: MethodSpec[Any], size: int) -> RequestTooLargeError:
    return RequestTooLargeError(
        f"{method.python_name}(): the request would be {size} bytes, over the "
        f"{MAX_REQUEST_BYTES} bytes (1 MiB) CoCalc's API takes (its server answers HTTP 413 "
        f"'Body exceeded 1mb limit'); nothing was sent. {_SEND_LESS}",
        limit=MAX_REQUEST_BYTES,
        size=size,
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # rare, and slow to import

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe_result(error: SchemaError) -> str:
    # fastjsonschema names the value "data..."; say which field it was instead. Its text may
    # quote the answer's own keys, which may be long.
    message = shortened(str(error))
    return message.removeprefix("data.").removeprefix("data ")


class HttpCaller:
    """Sends calls over an httpx2.Client."""

    __slots__ = ("_deadline", "_headers", "_max_bytes", "http", "policy")

    def __init__(self, policy: CallPolicy, http: httpx2.Client) -> None:
        from cocalc_api._network.sync_backend import (
            DEADLINE,  # with httpcore2: not on `import cocalc_api`
        )

        self.policy = policy
        self.http = http
        self._headers = policy.headers_for(http)
        self._deadline = DEADLINE
        self._max_bytes = policy.settings.max_response_bytes

    def call(self, method: MethodSpec[R], args: list[Any], timeout: float | None) -> R:
        policy = self.policy
        call = policy.build_request(self._headers, method, args, timeout)
        deadline = time.monotonic() + call.limits.deadline_s
        try:
            result: R = self._send(call, deadline)
        except CocalcError as error:
            retries = policy.settings.max_retries
            if retries <= 0 or not policy.retryable(method, error):
                raise
            from cocalc_api._retry import retry_sync

            result = retry_sync(
                lambda: self._send(call, deadline),
                error,
                retries,
                lambda failure: policy.retryable(method, failure),
                deadline,
            )
        return result

    def _send(self, call: Prepared, deadline: float) -> Any:
        policy, method, request = self.policy, call.method, call.request
        started = time.perf_counter()
        if self.http.is_closed:
            raise ClientClosedError(f"{method.python_name}(): the project's client was closed")
        # The default client's sockets end every wait by this deadline (_network/sync_backend.py); httpx2
        # alone bounds each read, and the body is read here, checked between chunks.
        declared = self._deadline.set(deadline)
        try:
            _limit_to(request, deadline)
            response = self.http.send(request, stream=True)
            try:
                content = _read_by(response, deadline, self._max_bytes)
            finally:
                response.close()
        except httpx2.HTTPError as error:
            failure = policy.connection_error(method, error)
            policy.log(method, started, type(failure).__name__)
            _raise(failure)
        except Overflow as overflow:
            failure = policy.too_large(method, overflow)
            policy.log(method, started, type(failure).__name__)
            _raise(failure)
        finally:
            self._deadline.reset(declared)
        return policy.read_logged(call, started, response, content)


class AsyncHttpCaller:
    """Sends calls over an httpx2.AsyncClient."""

    __slots__ = (
        "_declared_loop",
        "_event_loop",
        "_fail_after",
        "_headers",
        "_max_bytes",
        "_timeout",
        "http",
        "policy",
    )

    def __init__(self, policy: CallPolicy, http: httpx2.AsyncClient) -> None:
        import asyncio  # here, not at the top: only async clients need them (import time)

        import anyio
        import sniffio

        self.policy = policy
        self.http = http
        self._headers = policy.headers_for(http)
        self._event_loop = sniffio.current_async_library
        self._declared_loop = sniffio.current_async_library_cvar
        self._timeout = asyncio.timeout
        self._fail_after = anyio.fail_after
        self._max_bytes = policy.settings.max_response_bytes

    async def call(self, method: MethodSpec[R], args: list[Any], timeout: float | None) -> R:
        policy = self.policy
        call = policy.build_request(self._headers, method, args, timeout)
        deadline = time.monotonic() + call.limits.deadline_s
        try:
            result: R = await self._send(call, deadline)
        except CocalcError as error:
            retries = policy.settings.max_retries
            if retries <= 0 or not policy.retryable(method, error):
                raise
            from cocalc_api._retry import retry_async

            result = await retry_async(
                lambda: self._send(call, deadline),
                error,
                retries,
                lambda failure: policy.retryable(method, failure),
                deadline,
            )
        return result

    async def _send(self, call: Prepared, deadline: float) -> Any:
        policy, method, request = self.policy, call.method, call.request
        started = time.perf_counter()
        if self.http.is_closed:
            raise ClientClosedError(f"{method.python_name}(): the project's client was closed")
        try:
            try:
                # One limit bounds the whole exchange, headers included: asyncio's own timeout
                # (cheaper), or under trio an anyio cancel scope (httpx2's own dependency).
                limit = _limit_to(request, deadline)
                if self._event_loop() == "asyncio":
                    # httpcore2 and anyio ask sniffio which loop runs a dozen times a request,
                    # each time through asyncio.current_task(); told once for the exchange,
                    # every answer is a context variable's (16% less CPU per call at 50 in
                    # flight, BENCHMARKS.md). Only this task's context, and undone after.
                    declared = self._declared_loop.set("asyncio")
                    try:
                        async with self._timeout(limit):
                            response, content = await self._exchange(request, deadline)
                    finally:
                        self._declared_loop.reset(declared)
                else:
                    with self._fail_after(limit):
                        response, content = await self._exchange(request, deadline)
            except TimeoutError:
                _past(request)
        except httpx2.HTTPError as error:
            failure = policy.connection_error(method, error)
            policy.log(method, started, type(failure).__name__)
            _raise(failure)
        except Overflow as overflow:
            failure = policy.too_large(method, overflow)
            policy.log(method, started, type(failure).__name__)
            _raise(failure)
        return policy.read_logged(call, started, response, content)

    async def _exchange(
        self, request: httpx2.Request, deadline: float
    ) -> tuple[httpx2.Response, bytes]:
        response = await self.http.send(request, stream=True)
        # Read here, not by httpx2: counted and checked chunk by chunk. The timeout around the
        # exchange fires only where a read waits, and data already received is read without
        # waiting, so the deadline is checked here too.
        chunks = response.aiter_bytes()  # closes the response when it ends or is closed
        parts = []
        size = 0
        try:
            async for chunk in chunks:
                parts.append(chunk)
                size += len(chunk)
                if len(parts) == 2:
                    _check_declared(response, self._max_bytes, parts[0])
                if size > self._max_bytes:
                    raise Overflow(response, size, declared=False, start=parts[0])
                if time.monotonic() > deadline:
                    _past(request)
        except BaseException:
            await chunks.aclose()
            raise
        return response, b"".join(parts)


def _limit_to(request: httpx2.Request, deadline: float) -> float:
    """Cut the attempt's HTTP timeouts to what is left of the call; returns that many seconds."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        _past(request)
    limits = request.extensions["timeout"]
    if remaining < limits["read"] - 0.01:  # a retry: the attempt gets what the call has left
        request.extensions["timeout"] = {
            "connect": min(limits["connect"], remaining),
            "read": remaining,
            "write": remaining,
            "pool": remaining,
        }
    return remaining


def _past(request: httpx2.Request) -> NoReturn:
    raise httpx2.ReadTimeout("the answer did not arrive within the call's limit", request=request)


class Overflow(Exception):  # a signal between the reader and the policy, never raised out
    """The answer passed `max_response_bytes`: announced (`declared`), or `size` bytes read."""

    def __init__(self, response: httpx2.Response, size: int, *, declared: bool, start: bytes):
        super().__init__(size)
        self.response = response
        self.size = size
        self.declared = declared
        self.start = start  # the first chunk read, for a status error's excerpt


def _check_declared(response: httpx2.Response, max_bytes: int, start: bytes) -> None:
    """Refuse an answer whose Content-Length is past the bound before reading more of it.

    Asked once the answer is longer than one read: a small answer, nearly every one, does not
    pay for looking up the header."""
    value = response.headers.get("content-length")
    if value is not None and value.isdigit() and int(value) > max_bytes:
        raise Overflow(response, int(value), declared=True, start=start)


def _read_by(response: httpx2.Response, deadline: float, max_bytes: int) -> bytes:
    """The decoded body, counted chunk by chunk (httpx2 inflates at most 1 MiB at a time)."""
    parts = []
    size = 0
    for chunk in response.iter_bytes():
        parts.append(chunk)
        size += len(chunk)
        if len(parts) == 2:
            _check_declared(response, max_bytes, parts[0])
        if size > max_bytes:
            raise Overflow(response, size, declared=False, start=parts[0])
        if time.monotonic() > deadline:
            _past(response.request)
    return b"".join(parts)


def _raise(error: CocalcError) -> NoReturn:
    # `from None`: httpx2's exception holds the request, whose headers carry the key.
    raise error from None
