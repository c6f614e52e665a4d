"""A cap on how much of one answer the MCP server takes from the project.

The real project answers a file read with the whole file (it reads any size), and every tool
result is held here several times over: the answer, its decoded value, then the text and the
structured copy sent to the client. So the HTTP client of `cocalc-mcp`'s project stops reading
an answer once it passes `max_answer_bytes` (its declared length is checked first), and the
call fails with :class:`AnswerTooLargeError`, which names the limit and what to do instead.
Answers are asked for uncompressed, so the bytes counted are the bytes kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2

from cocalc_api import CocalcError, DefaultAsyncHttpxClient

# Twice the local server's read limit (its --max-read-bytes, 8 MiB), so that any text file it
# serves passes with room for escapes, while a tool result held here stays tens of MiB.
DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024


class AnswerTooLargeError(CocalcError):
    """The project's answer to a call was larger than `cocalc-mcp --max-answer-bytes`."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the project's answer is larger than {limit} bytes, cocalc-mcp's limit "
            "(--max-answer-bytes): ask for less, e.g. read a file in parts with system_exec "
            "(head -c, tail -c), or download it"
        )
        self.limit = limit


class _Capped(httpx2.AsyncByteStream):
    """`inner`, failing once more than `limit` bytes have come through."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self._inner:
            received += len(chunk)
            if received > self._limit:
                raise AnswerTooLargeError(self._limit)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def answer_limited_client(max_answer_bytes: int) -> httpx2.AsyncClient:
    """The SDK's default async HTTP client, reading no answer past `max_answer_bytes`.

    >>> http = answer_limited_client(DEFAULT_MAX_ANSWER_BYTES)
    >>> project = AsyncProject(http_client=http)  # `http` is yours to close
    """

    async def cap(response: httpx2.Response) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_answer_bytes:
            raise AnswerTooLargeError(max_answer_bytes)
        stream = response.stream
        if isinstance(stream, httpx2.AsyncByteStream):
            response.stream = _Capped(stream, max_answer_bytes)

    return DefaultAsyncHttpxClient(
        event_hooks={"response": [cap]}, headers={"Accept-Encoding": "identity"}
    )
