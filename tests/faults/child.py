"""Runs one SDK call in a child process and prints its outcome as JSON.

`python -m tests.faults.child <sync|async|aiohttp> <host> <max_retries> <strict-warnings 0|1>`:
pings `host`. The parent can kill it on a deadline, and warning filters set here affect only it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import warnings
from typing import Any

import cocalc_api

KEY = "sk-SECRET-abc123"
PROJECT_ID = "9a3c1c1e-5b7a-4c55-9b1d-0c1c2f3e4d5a"


def _report(started: float, result: Any = None, error: BaseException | None = None) -> None:
    outcome: dict[str, Any] = {"elapsed": time.monotonic() - started, "result": result}
    if error is not None:
        outcome["error"] = type(error).__name__
        outcome["status_code"] = getattr(error, "status_code", None)
        outcome["message"] = str(error)
    print(json.dumps(outcome), flush=True)


def _sync(host: str, retries: int) -> None:
    with cocalc_api.Project(KEY, host=host, project_id=PROJECT_ID, max_retries=retries) as p:
        started = time.monotonic()
        try:
            result = p.ping()
        except Exception as error:  # noqa: BLE001 -- reported to the parent, which judges it
            _report(started, error=error)
        else:
            _report(started, result=result)


async def _async(host: str, retries: int, aiohttp: bool) -> None:
    async with (
        cocalc_api.DefaultAioHttpClient() if aiohttp else contextlib.nullcontext() as http,
        cocalc_api.AsyncProject(
            KEY, host=host, project_id=PROJECT_ID, max_retries=retries, http_client=http
        ) as p,
    ):
        started = time.monotonic()
        try:
            result = await p.ping()
        except Exception as error:  # noqa: BLE001 -- reported to the parent, which judges it
            _report(started, error=error)
        else:
            _report(started, result=result)


def main() -> None:
    kind, host, retries, strict = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
    if strict:
        # As under `pytest -W error` or `filterwarnings = error`: cocalc_api is imported already.
        warnings.simplefilter("error")
    if kind == "sync":
        _sync(host, retries)
    else:
        asyncio.run(_async(host, retries, aiohttp=kind == "aiohttp"))


if __name__ == "__main__":
    main()
