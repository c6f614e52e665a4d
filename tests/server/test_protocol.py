"""Transport, auth, envelope and error texts of POST /api/conat/project."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

import cocalc_api
from cocalc_project_server.config import DEFAULT_MAX_REQUEST_BYTES, ENDPOINT
from cocalc_project_server.testing import ServerProcess

from .conftest import Api

NO_KEY = "You must provide authentication via an API key."
BAD_KEY = "must sign in as project or account"
WRONG_PROJECT = "project specific api key must match requested project"
PING = {"name": "system.ping", "args": [{}]}
# Only to stop a hang: every answer below comes long before this.
CEILING_S = 30.0


def assert_alive(api: Api) -> None:
    assert "now" in api.call("system.ping", {})


def test_missing_authorization_header(api: Api) -> None:
    response = api.post(PING, auth=None)
    assert response.status_code == 200
    assert response.json() == {"error": NO_KEY}


def test_unknown_authorization_scheme(api: Api) -> None:
    response = api.post(PING, auth=None, headers={"Authorization": "Digest abc"})
    assert response.status_code == 200
    assert response.json() == {"error": "Unknown authorization type 'Digest'"}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sk-wrong",
        "Basic " + base64.b64encode(b"sk-wrong:").decode(),
        "Basic !!!not-base64",
        "Bearer",
    ],
)
def test_wrong_key(api: Api, header: str) -> None:
    response = api.post(PING, auth=None, headers={"Authorization": header})
    assert response.status_code == 200
    assert response.json() == {"error": BAD_KEY}


def test_basic_auth_key_is_the_user_name_and_password_is_ignored(api: Api) -> None:
    before = time.time() * 1000
    response = api.post(PING, auth=(api.server.api_key, "any password"))
    now = response.json()["now"]
    assert isinstance(now, int)
    assert before - 1000 <= now <= time.time() * 1000 + 1000


def test_bearer_auth(api: Api) -> None:
    response = api.post(PING, auth=None, headers={"Authorization": f"Bearer {api.server.api_key}"})
    assert set(response.json()) == {"now"}


def test_system_test_reports_the_project(api: Api) -> None:
    result = api.call("system.test", {})
    assert result["project_id"] == api.server.project_id
    assert abs(result["server_time"] - time.time() * 1000) < 5000


def test_project_id_may_be_omitted_or_must_match(api: Api) -> None:
    assert "now" in api.call("system.ping", {}, project_id=api.server.project_id)
    other = "00000000-0000-4000-8000-000000000000"
    assert api.call("system.ping", {}, project_id=other) == {"error": WRONG_PROJECT}


def test_unknown_method(api: Api) -> None:
    assert api.call("system.foo", {}) == {"error": "Error: unknown function 'system.foo'"}
    assert api.call("nosuchgroup.bar") == {"error": "Error: unknown function 'nosuchgroup.bar'"}


def test_args_are_optional_for_methods_without_arguments(api: Api) -> None:
    response = api.post({"name": "system.ping"})
    assert "now" in response.json()


def test_method_exception_has_error_prefix(api: Api) -> None:
    # docs/wire-protocol.md section 3 (exec, async jobs): the unknown-id text, thrown as an Error.
    unknown = "00000000-0000-4000-8000-000000000000"
    assert api.exec(async_get=unknown) == {
        "error": f"Error: Async operation '{unknown}' does not exist."
    }


def test_schema_check_names_a_rule_both_forms_break_once(api: Api) -> None:
    # Both forms of system.exec (a command, a job to poll) want an object (dispatch.py).
    assert api.call("system.exec", "not an object") == {
        "error": "Error: system.exec: args[0] must be object"
    }


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        # An empty body is {} to Next.js's body parser (parse-body.ts: a common client mistake).
        (b"", "'name'"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'"system.ping"', "must be a JSON object"),
        (b'{"args": [{}]}', "'name'"),
        (b'{"name": 42}', "'name'"),
        (b'{"name": "system.ping", "args": {"a": 1}}', "'args'"),
        (b'{"name": "system.ping", "timeout": "soon"}', "'timeout'"),
        (b'{"name": "system.ping", "timeout": 1e999}', "'timeout'"),
        (b'{"name": "system.ping", "compute_server_id": "x"}', "'compute_server_id'"),
    ],
)
def test_malformed_envelope_is_an_error_and_server_survives(
    api: Api, body: bytes, fragment: str
) -> None:
    response = api.post(body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    payload = response.json()
    assert set(payload) == {"error"}
    assert fragment in payload["error"]
    assert_alive(api)


# CoCalc's route is a Next.js pages API route with the default body parser: what JSON.parse
# refuses is HTTP 400 "Invalid JSON", sent by sendError as plain text without a Content-Type
# (next/src/server/api-utils/node/parse-body.ts, next/src/server/api-utils/index.ts).
@pytest.mark.parametrize(
    "body",
    [
        b"this is not json",
        b"\xff\xfe",  # not UTF-8: raw-body's decoder makes it two U+FFFD, which JSON.parse refuses
        b'{"name": "system.ping", "timeout": NaN}',
        b'{"name": "system.ping",}',
    ],
)
def test_a_body_that_is_not_json_is_http_400(api: Api, body: bytes) -> None:
    # Parsed before the handler looks at the key (next/src/server/api-utils/node/api-resolver.ts).
    response = api.post(body, headers={"Content-Type": "application/json"}, auth=("sk-wrong", ""))
    assert (response.status_code, response.text) == (400, "Invalid JSON")
    assert "content-type" not in response.headers
    assert_alive(api)


def test_a_body_over_1_mib_is_http_413(api: Api) -> None:
    # '1mb' is 1 << 20 bytes (bytes.parse), counted as raw-body receives them: one more is over.
    head = b'{"name": "system.ping", "pad": "'
    fits = head + b"x" * ((1 << 20) - len(head) - 2) + b'"}'
    assert len(fits) == DEFAULT_MAX_REQUEST_BYTES == 1 << 20
    assert "now" in api.post(fits).json()
    over = head + b"x" * ((1 << 20) - len(head) - 1) + b'"}'
    response = api.post(over, auth=("sk-wrong", ""))  # over the limit before any key check
    assert (response.status_code, response.text) == (413, "Body exceeded 1mb limit")
    assert "content-type" not in response.headers
    assert_alive(api)


def test_the_sdk_and_the_server_count_the_same_bytes(server: ServerProcess) -> None:
    # What the SDK sends at its limit the server takes; one byte more never leaves the SDK.
    with cocalc_api.Project(
        api_key=server.api_key, host=server.url, project_id=server.project_id
    ) as project:
        write = project.system.write_text_file_to_project
        with pytest.raises(cocalc_api.RequestTooLargeError) as raised:
            write(path="big.txt", content="x" * (1 << 20))
        fits = (1 << 20) - (raised.value.size - (1 << 20))  # the content that makes 1 MiB
        write(path="big.txt", content="x" * fits)
        assert (Path(server.root) / "big.txt").stat().st_size == fits
        with pytest.raises(cocalc_api.RequestTooLargeError):
            write(path="big.txt", content="x" * (fits + 1))


def test_a_bom_is_dropped_and_bytes_that_are_not_utf_8_are_replaced(api: Api) -> None:
    # raw-body decodes with iconv-lite, whose UTF-8 decoder strips a BOM and replaces bad bytes.
    body = b'\xef\xbb\xbf{"name": "system.exec", "args": [{"command": "printf %s \xff"}]}'
    assert api.post(body).json()["stdout"] == "\ufffd"


def answer_to_head(server: ServerProcess, head: bytes) -> tuple[bytes, bytes]:
    """Send only a request head (no body ever follows); the status line and body answered."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=CEILING_S) as sock:
        sock.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"closed without an answer: {data!r}"
            data += chunk
        header, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in header.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            chunk = sock.recv(65536)
            assert chunk, f"closed mid-answer: {body!r}"
            body += chunk
    return header.split(b"\r\n", 1)[0], body


def post_head(authorization: str, length: int) -> bytes:
    return (
        f"POST {ENDPOINT} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {authorization}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
        "Expect: 100-continue\r\n\r\n"
    ).encode()


def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(
    server: ServerProcess,
) -> None:
    # As the real route, 413 whatever the key (the body parser runs before the handler); here
    # as soon as the Content-Length says so, not "100 Continue": the body is never asked for.
    for authorization in (f"Bearer {server.api_key}", "Bearer sk-wrong"):
        status, body = answer_to_head(server, post_head(authorization, 1 << 30))
        assert status.startswith(b"HTTP/1.1 413 ")  # uvicorn's reason phrase, not Next's text
        assert body == b"Body exceeded 1mb limit"


def test_other_paths_are_404_and_get_is_not_allowed(api: Api) -> None:
    url = api.server.url
    assert api.client.post(url + "/api/v2/exec", json=PING).status_code == 404
    assert api.client.get(url + "/").status_code == 404
    assert api.client.get(api.server.endpoint).status_code == 405


def test_envelope_timeout_gives_the_408_text(api: Api) -> None:
    started = time.monotonic()
    # The command would run for a minute: only the envelope timeout can end the call.
    result = api.call("system.exec", {"command": "sleep 60"}, timeout=500)
    elapsed = time.monotonic() - started
    assert result == {
        "error": (
            f"timeout - callHub: subject='project.{api.server.project_id}.0.api.-', "
            "name='system.exec', code='408' "
        )
    }
    assert elapsed >= 0.45  # not before the limit (asyncio's clock may round a little)


@pytest.mark.parametrize("timeout", [0, -5, None, False])
@pytest.mark.parametrize("compute_server_id", [0, 2])
def test_non_positive_timeout_gives_the_hub_text(
    api: Api, timeout: object, compute_server_id: int
) -> None:
    # docs/wire-protocol.md section 4a; the text is built in src/packages/conat/core/client.ts (request:
    # "timeout must be positive") and src/packages/server/api/project-bridge.ts (the suffix),
    # where JavaScript lets null and false through to `timeout <= 0`.
    subject = f"project.{api.server.project_id}.{compute_server_id}.api.-"
    body = {"name": "system.ping", "timeout": timeout, "compute_server_id": compute_server_id}
    assert api.post(body).json() == {
        "error": (
            f"timeout must be positive - callHub: subject='{subject}', name='system.ping', "
            "code='undefined' "
        )
    }


def test_project_check_comes_before_the_timeout_check(api: Api) -> None:
    # src/packages/next/pages/api/conat/project.ts checks the project before projectBridge.
    other = "00000000-0000-4000-8000-000000000000"
    assert api.call("system.ping", {}, project_id=other, timeout=0) == {"error": WRONG_PROJECT}


def test_bare_ping_is_pong(api: Api) -> None:
    # docs/wire-protocol.md section 4a; src/packages/project/conat/api/index.ts (handleApiRequest).
    assert api.call("ping") == "pong"
    assert api.call("ping", {"ignored": True}) == "pong"
    assert api.post({"name": "ping"}, auth=None).json() == {"error": NO_KEY}


DEEP = 1000


@pytest.mark.parametrize(
    "body",
    [
        b"[" * DEEP + b"]" * DEEP,
        b'{"name": "system.ping", "args": ' + b"[" * DEEP + b"]" * DEEP + b"}",
        b'{"name": "system.ping", "args": [' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"]}",
    ],
    ids=["bare", "in-args", "objects-100k"],
)
def test_deep_nesting_is_an_error_and_the_connection_stays_usable(body: bytes, api: Api) -> None:
    host, port = api.server.url.removeprefix("http://").rsplit(":", 1)
    headers = {
        "Authorization": f"Bearer {api.server.api_key}",
        "Content-Type": "application/json",
    }
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", ENDPOINT, body=body, headers=headers)
        first = connection.getresponse()
        payload = json.loads(first.read())
        assert first.status == 200
        assert set(payload) == {"error"} and isinstance(payload["error"], str)
        assert not first.will_close
        socket_used = connection.sock
        # The SAME connection answers the next call (http.client would reconnect silently).
        connection.request("POST", ENDPOINT, body=json.dumps(PING).encode(), headers=headers)
        second = connection.getresponse()
        assert connection.sock is socket_used
        assert second.status == 200
        assert "now" in json.loads(second.read())
    finally:
        connection.close()


def test_only_compute_server_zero_is_served(api: Api) -> None:
    assert "now" in api.call("system.ping", {}, compute_server_id=0)
    subject = f"project.{api.server.project_id}.3.api.-"
    assert api.call("system.ping", {}, compute_server_id=3) == {
        "error": (
            f"request -- no subscribers matching '{subject}' - callHub: subject='{subject}', "
            "name='system.ping', code='503' "
        )
    }


def slow_call(kind: str, root: Path) -> tuple[dict[str, Any], Any]:
    """A call that says it started (file ``started-<kind>``), then runs until ``go-<kind>``
    exists; and its result."""
    started, go = root / f"started-{kind}", root / f"go-{kind}"
    if kind == "exec":
        command = f"touch '{started}'; while [ ! -e '{go}' ]; do sleep 0.02; done"
        body = {"name": "system.exec", "args": [{"command": command}], "timeout": 60_000}
        return body, {"type": "blocking", "stdout": "", "stderr": "", "exit_code": 0}
    code = (
        f"import os, time\nopen({str(started)!r}, 'w').close()\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.02)\nprint('done')"
    )
    args = [{"input": code, "kernel": "python3"}]
    body = {"name": "system.jupyterExecute", "args": args, "timeout": 60_000}
    return body, [{"name": "stdout", "text": "done\n"}]


@pytest.mark.parametrize("kind", ["exec", "jupyter"])
async def test_ping_is_answered_while_a_long_call_runs(server: ServerProcess, kind: str) -> None:
    root = Path(server.root)
    body, expected = slow_call(kind, root)
    auth = (server.api_key, "")
    async with httpx2.AsyncClient(timeout=60) as client:
        slow = asyncio.create_task(client.post(server.endpoint, auth=auth, json=body))
        deadline = time.monotonic() + 60  # only against a hang (a kernel may need to start)
        while not (root / f"started-{kind}").exists():
            assert time.monotonic() < deadline and not slow.done(), "the slow call never started"
            await asyncio.sleep(0.02)
        for _ in range(3):
            ping = await client.post(server.endpoint, auth=auth, json=PING)
            assert "now" in ping.json()
        # The pings came back while the slow call was still running: nothing waits on it.
        assert not slow.done()
        (root / f"go-{kind}").touch()
        assert (await slow).json() == expected


def test_the_real_services_internal_methods_are_unknown_functions(api: Api) -> None:
    # The real service's internal methods, left out of the spec's table on purpose, are not
    # served; that every method of the table is, the server checks as it starts (test_registry).
    for name in ("system.terminate", "editor.printSageWS", "editor.createTerminalService"):
        assert api.call(name, {}) == {"error": f"Error: unknown function '{name}'"}, name
