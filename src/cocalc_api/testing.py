"""Helpers for testing your own code that uses cocalc_api (docs/testing.md).

- `FakeProject` / `FakeAsyncProject`, `FakeHub` / `FakeAsyncHub`: a real Project (or Hub)
  whose answers you give, with no server.
  Every canned answer is checked against the spec's result schema of its method, so a stub
  cannot return a shape the real service cannot. `Stubs.handle` is the same answering as an
  `httpx2.MockTransport` handler, for a client of your own (`mock_transport`).
- `vcr_config` / `make_vcr` / `scrubber`: record calls to cassettes (vcrpy, pytest-recording)
  matched on the JSON body, with the API key and the project id scrubbed, so they replay
  offline anywhere.
- The pytest plugin (`cocalc_api.pytest_plugin`, installed with the package) has fixtures that
  start the local project server once per session and yield a configured Project.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2

from cocalc_api._base_client import Endpoint
from cocalc_api._client import PROJECT_API, AsyncProject, Project
from cocalc_api._constants import DEFAULT_MAX_RESPONSE_BYTES
from cocalc_api._exceptions import InvalidArgumentError
from cocalc_api._settings import Settings
from cocalc_api.hub import AsyncHub, Hub
from cocalc_api.safety import redact
from cocalc_api_generated._runtime import MethodSpec, SchemaError

if TYPE_CHECKING:
    import vcr  # type: ignore[import-untyped]
    from vcr.request import Request  # type: ignore[import-untyped]

__all__ = [
    "MATCH_ON",
    "PROJECT_ID",
    "Call",
    "FakeAsyncHub",
    "FakeAsyncProject",
    "FakeHub",
    "FakeProject",
    "StubError",
    "Stubs",
    "json_body_matcher",
    "make_vcr",
    "mock_transport",
    "scrubber",
    "vcr_config",
]

# The project id that recordings hold instead of the real one, and that the local server of
# the pytest plugin and the fakes use, so recorded bodies match at replay.
PROJECT_ID = "00000000-0000-4000-8000-000000000000"
FAKE_API_KEY = "sk-fake-key-for-tests"
FAKE_HOST = "https://cocalc.test"

# -- cassettes -----------------------------------------------------------------------------

# Every call is a POST to the same URL, so calls are told apart by their JSON body; the host is
# not matched, so a recording replays against any host.
JSON_BODY_MATCHER = "cocalc_json_body"
MATCH_ON = ("method", "path", JSON_BODY_MATCHER)
# The key travels in Authorization; none of these headers reaches a cassette.
FILTER_HEADERS = ("authorization", "cookie", "set-cookie")


def json_body_matcher(left: Request, right: Request) -> None:
    """vcrpy matcher: the two requests' bodies are the same JSON (key order and spacing aside)."""
    assert json.loads(left.body or b"null") == json.loads(right.body or b"null"), (
        f"JSON bodies differ: {left.body!r} != {right.body!r}"
    )


def scrubber(
    secrets: Iterable[str], project_id: str | None, placeholder: str = PROJECT_ID
) -> Callable[[Any], Any]:
    """A function that copies a JSON value with every secret replaced by "<redacted>" and the
    project id by `placeholder`, in every string at any depth."""
    hidden = [secret for secret in secrets if secret]

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, str):
            value = redact(value, hidden)
            return value.replace(project_id, placeholder) if project_id else value
        return value

    return scrub


def scrub_hooks(
    secrets: Iterable[str], project_id: str | None, placeholder: str = PROJECT_ID
) -> tuple[Callable[[Any], Any], Callable[[dict[str, Any]], dict[str, Any]]]:
    """vcrpy's `before_record_request` and `before_record_response` for `scrubber`. vcrpy also
    passes live requests through the first before matching, so a live run matches recordings
    made with the placeholder."""
    hidden = [secret for secret in secrets if secret]
    scrub = scrubber(hidden, project_id, placeholder)

    def before_request(request: Any) -> Any:
        try:
            sent = json.loads(request.body or b"null")
        except ValueError:
            return request
        if scrub(sent) != sent:  # rewrite only what needs scrubbing, keep the rest verbatim
            request.body = json.dumps(scrub(sent)).encode()
        return request

    def before_response(response: dict[str, Any]) -> dict[str, Any]:
        body = response["content"] if "content" in response else response["body"]["string"]
        text = body.decode() if isinstance(body, bytes) else body
        try:
            received = json.loads(text)
        except ValueError:
            pass
        else:
            if scrub(received) != received:  # rewrite only what needs scrubbing
                text = json.dumps(scrub(received))
        text = redact(text, hidden)
        if "content" in response:
            response["content"] = text
        else:
            response["body"]["string"] = text.encode()
        return response

    return before_request, before_response


def vcr_config(
    *,
    api_key: str | None = None,
    project_id: str | None = None,
    placeholder: str = PROJECT_ID,
    secrets: Iterable[str] = (),
) -> dict[str, Any]:
    """The settings of a vcrpy VCR (and of pytest-recording's `vcr_config` fixture) for calls
    of cocalc_api: matched on method, path and JSON body; the key (and any other `secrets`)
    scrubbed, and `project_id` written as `placeholder`. The matcher is registered by the
    pytest plugin (or by `make_vcr`) under the name in `MATCH_ON`."""
    before_request, before_response = scrub_hooks(
        [api_key or "", *secrets], project_id, placeholder
    )
    return {
        "match_on": MATCH_ON,
        "filter_headers": list(FILTER_HEADERS),
        "decode_compressed_response": True,
        "before_record_request": before_request,
        "before_record_response": before_response,
    }


def register_matcher(recorder: vcr.VCR) -> None:
    recorder.register_matcher(JSON_BODY_MATCHER, json_body_matcher)


def make_vcr(record_mode: str = "none", **settings: Any) -> vcr.VCR:
    """A vcrpy VCR matching on the JSON body (no scrubbing unless `settings` bring it, e.g.
    `make_vcr("once", **vcr_config(api_key=key, project_id=pid))`)."""
    import vcr

    options: dict[str, Any] = {
        "match_on": MATCH_ON,
        "filter_headers": list(FILTER_HEADERS),
        "decode_compressed_response": True,
    }
    options.update(settings)
    recorder = vcr.VCR(record_mode=record_mode, **options)
    register_matcher(recorder)
    return recorder


# -- canned answers ------------------------------------------------------------------------


class StubError(AssertionError):
    """A stub cannot answer: no stub for the method, or an answer the spec does not allow."""


@dataclass(frozen=True)
class Call:
    """One call a fake answered: the method's Python path, its wire name and wire `args`."""

    method: str  # e.g. "system.exec_status"
    wire: str  # e.g. "system.exec"
    args: list[Any]
    body: dict[str, Any] = field(repr=False)  # the whole request body (envelope)

    @property
    def options(self) -> dict[str, Any]:
        """`args[0]` when it is an options object (most methods), else {}."""
        first = self.args[0] if self.args else None
        return first if isinstance(first, dict) else {}


@dataclass(frozen=True)
class _Error:
    text: str


Answer = Any  # a result (dict, list, str, number, None, or a cocalc_api.models instance)


def _path(spec: MethodSpec[Any]) -> str:
    return f"{spec.namespace}.{spec.python_name}"


def _endpoint(api: str) -> Endpoint:
    if api == "project":
        return PROJECT_API
    if api == "hub":
        from cocalc_api.hub import HUB_API

        return HUB_API
    raise InvalidArgumentError(f"api must be 'project' or 'hub', got {api!r}")


def _as_json(value: Any) -> Any:
    """A model of cocalc_api.models (or a list of them) as the plain value it stands for."""
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return value.to_dict()
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value


class Stubs:
    """Canned answers by method, each checked against the spec when it is given.

    >>> stubs = Stubs()
    >>> stubs.add("system.exec", {"type": "blocking", "stdout": "hi\\n", "stderr": "", "exit_code": 0})

    Methods are named by their Python path (`"system.exec"`, `"system.exec_status"`,
    `"editor.new_file"`). Several answers are given in turn, the last one repeating. An answer
    may be a function of the `Call`, checked when it answers. `calls` lists what was asked.
    `api="hub"` checks them against the hub API's spec instead (`FakeHub`).
    """

    def __init__(self, api: str = "project") -> None:
        self.api = api
        self._endpoint = _endpoint(api)
        self._by_path = {
            _path(spec): spec for group in self._endpoint.by_wire.values() for spec in group
        }
        self._answers: dict[str, list[Answer]] = {}
        self.calls: list[Call] = []

    def add(self, method: str | MethodSpec[Any], *answers: Answer) -> Stubs:
        """Answer `method` with `answers` in turn (the last one repeats); returns self."""
        spec = self._spec(method)
        if not answers:
            raise InvalidArgumentError(f"{_path(spec)}: give at least one answer")
        checked = [self._checked(spec, _as_json(a)) if not callable(a) else a for a in answers]
        self._answers[_path(spec)] = checked
        return self

    def add_error(self, method: str | MethodSpec[Any], text: str) -> Stubs:
        """Answer `method` with the service's `{"error": text}` (e.g. "command 'make' exited
        with nonzero code 2 -- stderr='...'"): the SDK raises what the real answer raises."""
        spec = self._spec(method)
        if not isinstance(text, str):
            raise InvalidArgumentError(f"{_path(spec)}: the error text must be a string")
        self._answers[_path(spec)] = [_Error(text)]
        return self

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        """Answer one request (an `httpx2.MockTransport` handler)."""
        body = json.loads(request.content or b"null")
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise StubError(f"not a call of the {self.api} API: {request.content!r}")
        name, args = body["name"], body.get("args", [])
        spec = self._identify(name, args)
        call = Call(_path(spec), name, args, body)
        self.calls.append(call)
        queue = self._answers.get(call.method)
        if not queue:
            raise StubError(
                f"no answer for {call.method}; add one: fake.stub({call.method!r}, result)"
            )
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, _Error):
            value: Any = {"error": answer.text}
        elif callable(answer):
            value = self._checked(spec, _as_json(answer(call)))
        else:
            value = answer
        return httpx2.Response(
            200, content=json.dumps(value).encode(), headers={"content-type": "application/json"}
        )

    def _spec(self, method: str | MethodSpec[Any]) -> MethodSpec[Any]:
        if isinstance(method, MethodSpec):
            return method
        found = self._by_path.get(str(method))
        if found is None:
            close = difflib.get_close_matches(str(method), list(self._by_path), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InvalidArgumentError(f"the spec has no method {method!r}{hint}")
        return found

    @staticmethod
    def _checked(spec: MethodSpec[Any], value: Any) -> Any:
        try:
            spec.validate_result(value)
        except SchemaError as error:
            raise StubError(
                f"{_path(spec)} cannot answer {value!r}: the spec's {spec.result_schema} says "
                f"{str(error).removeprefix('data.').removeprefix('data ')}"
            ) from None
        if isinstance(value, dict) and "error" in value:
            raise StubError(
                f"{_path(spec)}: a result with an 'error' key reads as an error; use add_error"
            )
        return value

    def _identify(self, name: str, args: Any) -> MethodSpec[Any]:
        found = self._endpoint.identify(name, args)
        if found is None:
            raise StubError(f"the {self.api} spec has no method with the wire name {name!r}")
        return found


def mock_transport(stubs: Stubs) -> httpx2.MockTransport:
    """An httpx transport answering from `stubs`, for an httpx2.Client or AsyncClient of yours:
    `Project(..., http_client=httpx2.Client(transport=mock_transport(stubs)))`."""
    return httpx2.MockTransport(stubs.handle)


class _FakeMixin:
    stubs: Stubs

    def stub(self, method: str | MethodSpec[Any], *answers: Answer) -> Stubs:
        """Answer `method` with `answers` in turn; see `Stubs.add`."""
        return self.stubs.add(method, *answers)

    def stub_error(self, method: str | MethodSpec[Any], text: str) -> Stubs:
        """Answer `method` with the service's error text; see `Stubs.add_error`."""
        return self.stubs.add_error(method, text)

    @property
    def calls(self) -> list[Call]:
        """Every call answered so far, in order."""
        return self.stubs.calls

    def _start_fake(self, stubs: Stubs, http_class: type[Any], **settings: Any) -> None:
        """What every fake's constructor does: the real client's, on a mock transport that
        answers from `stubs` (made here, so closed with the client)."""
        self.stubs = stubs
        http = http_class(transport=mock_transport(stubs))
        super().__init__(api_key=FAKE_API_KEY, host=FAKE_HOST, http_client=http, **settings)  # type: ignore[call-arg]
        self._owns_http = True

    def _arguments(self, settings: Settings, http_client: Any) -> dict[str, Any]:
        # Copies and pickles are made through the constructor, with these stubs: a copy
        # answers from (and records into) the same stubs as this one.
        return {
            "stubs": self.stubs,
            "project_id": settings.project_id or PROJECT_ID,
            "timeout": settings.timeout,
            "max_retries": settings.max_retries,
            "extra_headers": dict(settings.extra_headers),
            "max_response_bytes": settings.max_response_bytes,
        }


class FakeProject(_FakeMixin, Project):
    """A `Project` answered by stubs instead of a server: the whole SDK runs (argument checks,
    result validation, error types), only the network is replaced. Retries are off unless
    you pass `max_retries`, so each call takes one answer. Copies (`with_options`) and
    unpickled copies answer from the same stubs.

    >>> fake = FakeProject()
    >>> fake.stub("system.exec", {"type": "blocking", "stdout": "hi\\n", "stderr": "", "exit_code": 0})
    >>> fake.system.exec("echo hi")["stdout"]
    'hi\\n'
    """

    def __init__(
        self,
        stubs: Stubs | None = None,
        *,
        project_id: str = PROJECT_ID,
        timeout: float | None = None,
        max_retries: int = 0,
        extra_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._start_fake(
            Stubs() if stubs is None else stubs,
            httpx2.Client,
            project_id=project_id,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            max_response_bytes=max_response_bytes,
        )


class FakeAsyncProject(_FakeMixin, AsyncProject):
    """`FakeProject` for asyncio: an `AsyncProject` answered by stubs."""

    def __init__(
        self,
        stubs: Stubs | None = None,
        *,
        project_id: str = PROJECT_ID,
        timeout: float | None = None,
        max_retries: int = 0,
        extra_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._start_fake(
            Stubs() if stubs is None else stubs,
            httpx2.AsyncClient,
            project_id=project_id,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            max_response_bytes=max_response_bytes,
        )


class _FakeHubMixin(_FakeMixin):
    def _arguments(self, settings: Settings, http_client: Any) -> dict[str, Any]:
        return {
            "stubs": self.stubs,
            "timeout": settings.timeout,
            "max_retries": settings.max_retries,
            "extra_headers": dict(settings.extra_headers),
            "max_response_bytes": settings.max_response_bytes,
        }


def _hub_stubs(stubs: Stubs | None) -> Stubs:
    if stubs is None:
        return Stubs("hub")
    if stubs.api != "hub":
        raise InvalidArgumentError("a FakeHub answers from Stubs('hub'), not the project's")
    return stubs


class FakeHub(_FakeHubMixin, Hub):
    """A `Hub` answered by stubs checked against the hub API's spec (`Stubs("hub")`): the
    whole SDK runs, only the network is replaced. `projects.get` is answered by a stub of
    `db.query` (it is client code over `db.userQuery`, as in the reference client).

    >>> fake = FakeHub()
    >>> fake.stub("projects.create_project", "6e75dbf1-0342-4249-9dce-6b21648656e9")
    >>> fake.projects.create_project(title="scratch")
    '6e75dbf1-0342-4249-9dce-6b21648656e9'
    """

    def __init__(
        self,
        stubs: Stubs | None = None,
        *,
        timeout: float | None = None,
        max_retries: int = 0,
        extra_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._start_fake(
            _hub_stubs(stubs),
            httpx2.Client,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            max_response_bytes=max_response_bytes,
        )


class FakeAsyncHub(_FakeHubMixin, AsyncHub):
    """`FakeHub` for asyncio: an `AsyncHub` answered by stubs."""

    def __init__(
        self,
        stubs: Stubs | None = None,
        *,
        timeout: float | None = None,
        max_retries: int = 0,
        extra_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._start_fake(
            _hub_stubs(stubs),
            httpx2.AsyncClient,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            max_response_bytes=max_response_bytes,
        )
