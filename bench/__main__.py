"""`make bench`: prints medians and ratios, each against a baseline measured in the same run.

Not a test: nothing here asserts a time. See BENCHMARKS.md for numbers and the machine.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import httpx2

import cocalc_api
from bench import course

REPO = Path(__file__).resolve().parent.parent
REFERENCE_DIR = REPO / ".venv" / "reference-client"
KEY = "sk-bench"
PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
URL = "https://cocalc.com/api/conat/project"
ROUNDS = 21


def median_of(rounds: int, run: Callable[[], float]) -> float:
    return statistics.median(run() for _ in range(rounds))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def reference_client() -> ModuleType:
    name = "cocalc_api_reference"
    if name in sys.modules:
        return sys.modules[name]
    package = REFERENCE_DIR / "cocalc_api"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _answer_body(request_content: bytes) -> dict[str, Any]:
    if json.loads(request_content)["name"] == "system.ping":
        return {"now": 1756489740133}
    return {"stdout": "hello\n", "stderr": "", "exit_code": 0}


def answer(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, json=_answer_body(request.content))


def answer_httpx(request: httpx.Request) -> httpx.Response:
    # The reference client is on httpx, so it gets the same answers through httpx's own mock.
    return httpx.Response(200, json=_answer_body(request.content))


def _post_json(client: httpx2.Client, body: dict[str, Any]) -> Any:
    return client.post(URL, json=body).json()


def per_call_overhead() -> list[tuple[str, float, float]]:
    calls = 500  # per timed batch; short, so a batch rarely straddles a change of speed
    transport = httpx2.MockTransport(answer)
    raw = httpx2.Client(transport=transport, auth=(KEY, ""))
    ours = cocalc_api.Project(
        api_key=KEY, project_id=PROJECT, http_client=httpx2.Client(transport=transport)
    )
    ref = reference_client().Project(api_key=KEY, project_id=PROJECT)
    ref.client = httpx.Client(
        transport=httpx.MockTransport(answer_httpx),
        auth=(KEY, ""),
        headers={"Content-Type": "application/json"},
    )
    ping_body = {"name": "system.ping", "args": [{}], "project_id": PROJECT}
    exec_body = {"name": "system.exec", "args": [{"command": "echo hello"}], "project_id": PROJECT}

    def timed(call: Callable[[], Any]) -> float:
        for _ in range(200):
            call()
        started = time.perf_counter()
        for _ in range(calls):
            call()
        return (time.perf_counter() - started) / calls * 1e6

    rows = []
    for label, body, our_call, ref_call in (
        ("ping", ping_body, ours.system.ping, ref.system.ping),
        (
            "exec",
            exec_body,
            lambda: ours.system.exec(command="echo hello"),
            lambda: ref.system.exec(command="echo hello"),
        ),
    ):
        samples: dict[str, list[float]] = {"raw": [], "ours": [], "ref": []}
        raw_call = functools.partial(_post_json, raw, body)
        for _ in range(ROUNDS):  # interleaved, so drift hits all three alike
            samples["raw"].append(timed(raw_call))
            samples["ours"].append(timed(our_call))
            samples["ref"].append(timed(ref_call))
        # Each ratio is the median of the rounds' own ratios: the machine's speed drifts
        # between rounds more than within one.
        rows.append((f"{label}: raw httpx2 post().json()", statistics.median(samples["raw"]), 1.0))
        for key, name in (("ours", "cocalc_api"), ("ref", "cocalc-api 0.5.1")):
            ratios = [mine / raw for mine, raw in zip(samples[key], samples["raw"], strict=True)]
            rows.append(
                (f"{label}: {name}", statistics.median(samples[key]), statistics.median(ratios))
            )
    return rows


def construction_times() -> list[tuple[str, float, float]]:
    # Making a client and closing it, as a script or a test does per project: a new
    # httpx2.Client() loads the trusted certificates each time (about 20 ms here).
    ref_class = reference_client().Project
    host = "http://127.0.0.1:1"  # never connected to

    def ours() -> None:
        cocalc_api.Project(api_key=KEY, host=host, project_id=PROJECT).close()

    async def ours_async_once() -> None:
        await cocalc_api.AsyncProject(api_key=KEY, host=host, project_id=PROJECT).aclose()

    def ref() -> None:
        ref_class(api_key=KEY, host=host, project_id=PROJECT).client.close()

    def plain() -> None:
        httpx2.Client().close()

    def ms(make: Callable[[], None]) -> float:
        started = time.perf_counter()
        make()
        return (time.perf_counter() - started) * 1000

    loop = asyncio.new_event_loop()
    samples: dict[str, list[float]] = {"plain": [], "ours": [], "async": [], "ref": []}
    try:
        for _ in range(25):  # interleaved
            samples["plain"].append(ms(plain))
            samples["ours"].append(ms(ours))
            samples["async"].append(ms(lambda: loop.run_until_complete(ours_async_once())))
            samples["ref"].append(ms(ref))
    finally:
        loop.close()
    base = statistics.median(samples["plain"])
    rows = [("make and close: httpx2.Client() (ms)", base, 1.0)]
    for key, name in (
        ("ours", "cocalc_api.Project()"),
        ("async", "cocalc_api.AsyncProject()"),
        ("ref", "cocalc-api 0.5.1 Project()"),
    ):
        value = statistics.median(samples[key])
        rows.append((f"make and close: {name} (ms)", value, value / base))
    return rows


def import_times() -> list[tuple[str, float, float]]:
    def import_ms(statement: str, path: str | None = None) -> float:
        prelude = f"import sys; sys.path.insert(0, {path!r}); " if path else ""
        code = f"{prelude}import time; t = time.perf_counter(); {statement}; "
        code += "print((time.perf_counter() - t) * 1000)"
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return float(out.stdout)

    # Bytecode as an installed package has it: pip compiles site-packages, but this checkout's
    # modules are only compiled on import, and not at all under PYTHONDONTWRITEBYTECODE.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    import_ms("import cocalc_api")
    samples: dict[str, list[float]] = {"httpx": [], "ours": [], "ref": []}
    for _ in range(25):  # interleaved
        samples["httpx"].append(import_ms("import httpx2"))
        samples["ours"].append(import_ms("import cocalc_api"))
        samples["ref"].append(import_ms("import cocalc_api", str(REFERENCE_DIR)))
    # The fastest of each: a process's import time here falls in two bands (~75 and ~105 ms for
    # httpx2) whatever is imported, so medians and per-round ratios swing with the mix of bands
    # (0.94-1.19x over three runs of the same code); the minimum is the import's own cost.
    fastest = {key: min(values) for key, values in samples.items()}
    rows = [("import httpx2 (fastest of 25)", fastest["httpx"], 1.0)]
    for key, name in (("ours", "import cocalc_api"), ("ref", "import cocalc_api (0.5.1)")):
        rows.append((f"{name} (fastest of 25)", fastest[key], fastest[key] / fastest["httpx"]))
    return rows


class DelayedTransport(httpx2.AsyncBaseTransport):
    """Adds a fixed latency to every request, like a distant server."""

    def __init__(self, delay: float, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.delay = delay  # before sending: the connection is taken from the pool after it

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(self.delay)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()  # the pool's sockets


class DelayedSyncTransport(httpx.BaseTransport):
    """The same latency for the reference client, which is on httpx."""

    def __init__(self, delay: float) -> None:
        self.inner = httpx.HTTPTransport()
        self.delay = delay

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        time.sleep(self.delay)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


Rate = tuple[float, float]  # calls per second, client CPU per call (ms)
THROUGHPUT_ROUNDS = 10  # each of the 5 stacks follows the idle stretch in 2 of them


def throughput(server: Any) -> list[tuple[str, float, float]]:
    delay = 0.05

    async def ours(client: httpx2.AsyncClient, calls: int, concurrency: int) -> Rate:
        async with (
            client,
            cocalc_api.AsyncProject(
                api_key=server.api_key, host=server.url, http_client=client
            ) as project,
        ):
            gate = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with gate:
                    await project.system.ping()

            cpu, started = time.process_time(), time.perf_counter()
            await asyncio.gather(*(one() for _ in range(calls)))
            elapsed = time.perf_counter() - started
            return calls / elapsed, (time.process_time() - cpu) / calls * 1000

    async def default_pool(calls: int, concurrency: int) -> Rate:
        # The pool as a user gets it from AsyncProject(), with its default limits.
        from cocalc_api._network.asyncio_backend import pooled_transport

        inner = pooled_transport()
        client = httpx2.AsyncClient(transport=DelayedTransport(delay, inner))
        return await ours(client, calls, concurrency)

    async def aiohttp_client(calls: int, concurrency: int) -> Rate:
        # AsyncProject over DefaultAioHttpClient: aiohttp's pool and C parser under httpx2.
        http = cocalc_api.DefaultAioHttpClient()
        client = httpx2.AsyncClient(transport=DelayedTransport(delay, http._transport))
        return await ours(client, calls, concurrency)

    async def aiohttp_pool(calls: int, concurrency: int) -> Rate:
        # aiohttp's own pool, called directly: the same request, latency and fan-out, without
        # the SDK's work (validation, envelope, deadline), so the yardstick is the library.
        import aiohttp

        token = base64.b64encode(f"{server.api_key}:".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
        body = json.dumps({"name": "system.ping", "args": [{}]}).encode()
        async with aiohttp.ClientSession(headers=headers) as session:
            gate = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with gate:
                    await asyncio.sleep(delay)
                    async with session.post(server.endpoint, data=body) as response:
                        assert "now" in await response.json()

            cpu, started = time.process_time(), time.perf_counter()
            await asyncio.gather(*(one() for _ in range(calls)))
            elapsed = time.perf_counter() - started
            return calls / elapsed, (time.process_time() - cpu) / calls * 1000

    async def bare_sockets(calls: int, concurrency: int) -> Rate:
        # No HTTP library: the request's bytes written as they are, the answer read up to its
        # length, connections kept. What the server and the machine allow any client.
        url = httpx2.URL(server.endpoint)
        token = base64.b64encode(f"{server.api_key}:".encode()).decode()
        body = json.dumps({"name": "system.ping", "args": [{}]}).encode()
        request = (
            f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc.decode()}\r\n"
            f"Authorization: Basic {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                await asyncio.sleep(delay)
                reader, writer = (
                    idle.pop() if idle else await asyncio.open_connection(url.host, url.port)
                )
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                assert b"now" in await reader.readexactly(length)
                idle.append((reader, writer))

        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(calls)))
        elapsed = time.perf_counter() - started
        for _, writer in idle:
            writer.close()
        return calls / elapsed, (time.process_time() - cpu) / calls * 1000

    def sequential_reference(calls: int) -> float:
        ref = reference_client().Project(api_key=server.api_key, host=server.url)
        ref.client = httpx.Client(
            transport=DelayedSyncTransport(delay),
            auth=(server.api_key, ""),
            headers={"Content-Type": "application/json"},
        )
        with ref.client:
            started = time.perf_counter()
            for _ in range(calls):
                ref.system.ping()
            return calls / (time.perf_counter() - started)

    def on_uvloop(calls: int, concurrency: int) -> Rate:
        import uvloop

        return uvloop.run(default_pool(calls, concurrency))

    stacks: dict[str, Callable[[int, int], Rate]] = {
        "default": lambda calls, concurrency: asyncio.run(default_pool(calls, concurrency)),
        "uvloop": on_uvloop,
        "DefaultAioHttpClient": lambda calls, concurrency: asyncio.run(
            aiohttp_client(calls, concurrency)
        ),
        "aiohttp": lambda calls, concurrency: asyncio.run(aiohttp_pool(calls, concurrency)),
        "sockets": lambda calls, concurrency: asyncio.run(bare_sockets(calls, concurrency)),
    }
    names = {
        "default": "AsyncProject()",
        "uvloop": "AsyncProject() on uvloop",
        "DefaultAioHttpClient": "AsyncProject(http_client=DefaultAioHttpClient())",
        "aiohttp": "raw aiohttp, no SDK",
        "sockets": "bare sockets, no HTTP library",
    }
    rows: list[tuple[str, float, float]] = []
    for calls, concurrency in ((200, 50), (500, 200)):
        prefix = f"{calls} pings, {delay * 1000:.0f} ms latency, {concurrency} at once:"
        # The first round of each stack warms the process and the server (first-use imports,
        # code run once); it is shown apart and left out of the medians. Every round, warm-up
        # included, starts a fresh client whose pool grows during the burst.
        first = {key: run(calls, concurrency) for key, run in stacks.items()}
        # Each round: the reference's sequential calls (5 s, the machine mostly idle), then the
        # stacks one after another, their order rotated every round. The stack that follows
        # the idle stretch loses several x on this machine (BENCHMARKS.md), so each stack gets
        # that place in as many rounds as the others, and the two places are also shown apart.
        reference: list[float] = []
        # (calls/s, client CPU per call, the round's reference calls/s) per stack and place
        rounds: dict[str, dict[str, list[tuple[float, float, float]]]] = {
            key: {"idle": [], "busy": []} for key in stacks
        }
        keys = list(stacks)
        for round_index in range(THROUGHPUT_ROUNDS):
            reference.append(sequential_reference(100))
            shift = round_index % len(keys)
            for position, key in enumerate(keys[shift:] + keys[:shift]):
                rate, cpu = stacks[key](calls, concurrency)
                place = "idle" if position == 0 else "busy"
                rounds[key][place].append((rate, cpu, reference[-1]))

        def row(label: str, results: list[tuple[float, float, float]]) -> tuple[str, float, float]:
            # A ratio is the median of the rounds' own: each over the reference just before it.
            rate = statistics.median(r for r, _, _ in results)
            return (label, rate, statistics.median(r / ref for r, _, ref in results))

        ref_rate = statistics.median(reference)
        rows.append((f"{prefix} cocalc-api 0.5.1 sequential (calls/s)", ref_rate, 1.0))
        for key, name in names.items():
            every = rounds[key]["idle"] + rounds[key]["busy"]
            rows.append(row(f"{prefix} {name} (calls/s)", every))
            cpu = statistics.median(c for _, c, _ in every)
            rows.append((f"{prefix} {name} client CPU per call (ms)", cpu, 0.0))
            for place, when in (("idle", "after the idle stretch"), ("busy", "after a burst")):
                rows.append(row(f"{prefix} {name} {when} (calls/s)", rounds[key][place]))
            warm_up = f"{prefix} {name} first round, not in the median (calls/s)"
            rows.append((warm_up, first[key][0], first[key][0] / ref_rate))
    return rows


def server_latencies(server: Any) -> list[tuple[str, float, float]]:
    rows = []
    with cocalc_api.Project(api_key=server.api_key, host=server.url) as project:
        samples = []
        for _ in range(50):
            started = time.perf_counter()
            project.system.exec(command="echo", args=["hi"])
            samples.append((time.perf_counter() - started) * 1000)
        rows.append(("local server exec echo p50 (ms)", statistics.median(samples), 0.0))
        rows.append(("local server exec echo p95 (ms)", percentile(samples, 0.95), 0.0))
        # A kernel takes about a second to start and the pool keeps two: one call every 1.5 s
        # always finds a warm kernel; one every 0.3 s outruns the pool and shares the CPUs
        # with the kernels starting to refill it.
        for label, pause, count in (("warm", 1.5, 12), ("one call every 0.3 s", 0.3, 20)):
            samples = []
            time.sleep(pause)
            for _ in range(count):
                started = time.perf_counter()
                project.system.jupyter_execute(input="1 + 1", kernel="python3")
                samples.append((time.perf_counter() - started) * 1000)
                time.sleep(pause)
            rows.append((f"local server jupyter {label} p50 (ms)", statistics.median(samples), 0.0))
            rows.append((f"local server jupyter {label} p95 (ms)", percentile(samples, 0.95), 0.0))
    return rows


def cold_jupyter() -> list[tuple[str, float, float]]:
    from cocalc_project_server.testing import running_server

    samples = []
    for _ in range(3):
        with (
            running_server() as server,
            cocalc_api.Project(api_key=server.api_key, host=server.url) as project,
        ):
            started = time.perf_counter()
            project.system.jupyter_execute(input="1 + 1", kernel="python3")
            samples.append((time.perf_counter() - started) * 1000)
    return [
        ("local server jupyter first call after start p50 (ms)", statistics.median(samples), 0.0),
        ("local server jupyter first call after start max (ms)", max(samples), 0.0),
    ]


def generate_time() -> list[tuple[str, float, float]]:
    def once() -> float:
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "generator", "--out", out],
                cwd=REPO,
                check=True,
                capture_output=True,
            )
            return (time.perf_counter() - started) * 1000

    return [("make generate wall time (ms)", median_of(3, once), 0.0)]


def _print_row(label: str, value: float, ratio: float) -> None:
    shown = f"{value:>10.2f}" if value < 10 else f"{value:>10.1f}"
    print(f"{label:<90} {shown} {ratio:>6.2f}x" if ratio else f"{label:<90} {shown}")


def main() -> int:
    from cocalc_project_server.testing import running_server

    os.environ.pop("COCALC_LOG", None)
    print(f"{'measure':<90} {'median':>10} {'ratio':>7}")
    sections: list[Callable[[], list[tuple[str, float, float]]]] = [
        per_call_overhead,
        construction_times,
        import_times,
        generate_time,
    ]
    for section in sections:
        for row in section():
            _print_row(*row)
    with running_server() as server:
        for row in throughput(server) + server_latencies(server):
            _print_row(*row)
    for label, value, _ in cold_jupyter():
        _print_row(label, value, 0.0)
    # A course's 200 projects on a local hub (bench/course.py; 1,000: python -m bench.course).
    for row in course.rows():
        _print_row(*row)
    print("(per-call rows in microseconds; import rows in ms; ratio vs the first row of its group)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
