"""A call whose request body is larger than CoCalc's API takes: refused before it is sent, and
a server's HTTP 413 read as the same error.

The limit is Next.js's default body limit for pages API routes, '1mb' (bytes.parse: 1 << 20
bytes, counted as raw-body receives them; one more is "Body exceeded 1mb limit", HTTP 413 in
plain text): next/src/server/api-utils/node/api-resolver.ts and parse-body.ts, for
src/packages/next/pages/api/conat/project.ts and hub.ts, which keep the default.
"""

from __future__ import annotations

import asyncio
import pickle

import httpx2
import pytest

import cocalc_api

PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
LIMIT = 1 << 20


class Server:
    """Answers `null` to every call it gets, and keeps the bodies it got."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(request.content)
        return httpx2.Response(200, content=b"null")


def body_size(content: str) -> int:
    """Bytes of the request that writes `content` (as the SDK encodes it)."""
    server = Server()
    with cocalc_api.Project(
        "sk-test",
        project_id=PROJECT,
        http_client=httpx2.Client(transport=httpx2.MockTransport(server)),
    ) as project:
        project.system.write_text_file_to_project(path="a.txt", content=content)
    return len(server.bodies[0])


def content_of_body_size(size: int) -> str:
    # Two bytes a character (é in UTF-8): the limit counts bytes, not characters.
    pairs, odd = divmod(size - body_size(""), 2)
    return "é" * pairs + "x" * odd


@pytest.mark.parametrize("size", [LIMIT, LIMIT + 1])
def test_a_body_over_1_mib_is_refused_before_it_is_sent(size: int) -> None:
    content = content_of_body_size(size)
    server = Server()
    with cocalc_api.Project(
        "sk-test",
        project_id=PROJECT,
        http_client=httpx2.Client(transport=httpx2.MockTransport(server)),
    ) as project:
        if size <= LIMIT:
            project.system.write_text_file_to_project(path="a.txt", content=content)
            assert [len(body) for body in server.bodies] == [size]
            return
        with pytest.raises(cocalc_api.RequestTooLargeError) as raised:
            project.system.write_text_file_to_project(path="a.txt", content=content)
    assert server.bodies == []  # nothing was sent
    error = raised.value
    assert isinstance(error, cocalc_api.InvalidArgumentError)
    assert (error.limit, error.size) == (LIMIT, size)
    text = str(error)
    assert text.startswith("write_text_file_to_project(): the request would be 1048577 bytes")
    assert "1 MiB" in text and "nothing was sent" in text and "in parts" in text
    assert pickle.loads(pickle.dumps(error)).fields() == {"limit": LIMIT, "size": size}


def test_the_async_client_refuses_it_too() -> None:
    content = content_of_body_size(LIMIT + 1)
    server = Server()

    async def main() -> None:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
        async with cocalc_api.AsyncProject("sk-test", project_id=PROJECT, http_client=http) as p:
            with pytest.raises(cocalc_api.RequestTooLargeError):
                await p.system.write_text_file_to_project(path="a.txt", content=content)

    asyncio.run(main())
    assert server.bodies == []


def test_a_413_from_the_server_is_the_same_error() -> None:
    # next/src/server/api-utils/index.ts sendError: the text alone, no Content-Type.
    sent: list[bytes] = []

    def refuse(request: httpx2.Request) -> httpx2.Response:
        sent.append(request.content)
        return httpx2.Response(413, content=b"Body exceeded 1mb limit")

    http = httpx2.Client(transport=httpx2.MockTransport(refuse))
    with (
        cocalc_api.Project("sk-test", project_id=PROJECT, http_client=http, max_retries=2) as p,
        pytest.raises(cocalc_api.RequestTooLargeError) as raised,
    ):
        p.system.write_text_file_to_project(path="a.txt", content="x" * 1000)
    assert len(sent) == 1  # never retried: the same body would be refused again
    error = raised.value
    assert (error.limit, error.size) == (None, len(sent[0]))
    assert "HTTP 413" in str(error) and "'Body exceeded 1mb limit'" in str(error)
