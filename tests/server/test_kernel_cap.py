"""The cap on kernels (``--max-kernels``), in process: the pool's kernel starts are stand-ins
that record how many kernels run at once, so the tests need no real kernel.

The cap is the local server's own (the real service has none).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from cocalc_project_server import kernels
from cocalc_project_server.api import Handler
from cocalc_project_server.dispatch import Dispatcher
from cocalc_project_server.envelope import Envelope
from cocalc_project_server.errors import WireError
from cocalc_project_server.kernel_slots import ANSWER_BY, KernelCapReached, KernelSlots
from cocalc_project_server.kernel_specs import ABSENT
from cocalc_project_server.kernels import KernelPool
from cocalc_project_server.runtime import Runtime

# Only to stop a hang.
CEILING_S = 10


@dataclass
class _Kernels:
    """Stand-in kernel processes: how many run now, and the most that ever ran at once."""

    running: int = 0
    most: int = 0
    pids: Iterator[int] = field(default_factory=lambda: itertools.count(10_000))

    async def start(self, name: str, language: str, **kwargs: Any) -> Any:
        handle = _Handle(name=name, pid=next(self.pids), own_folder=kwargs["own_folder"])
        kwargs["on_spawn"](handle)
        self.running += 1
        self.most = max(self.most, self.running)
        await asyncio.sleep(0)  # starting takes a moment
        return handle

    async def stop(self, handle: Any) -> None:
        if not handle.closed:
            handle.closed = True
            self.running -= 1

    def kill_now(self, handle: Any) -> None:
        pass  # stop() follows


@dataclass(eq=False)
class _Handle:
    name: str
    pid: int
    own_folder: str | None
    connection_file: str = "kernel.json"
    closed: bool = False

    async def is_alive(self) -> bool:
        return not self.closed


class _Runtime:
    def __init__(self, folder: Path) -> None:
        self.kernels_dir = str(folder)
        self._folder = folder

    def make_kernel_folder(self) -> str:
        return str(self._folder)

    def remove_folder(self, path: str) -> None:
        pass

    def track_group(self, pgid: int) -> None:
        pass

    def release_group(self, pgid: int) -> None:
        pass


class _Specs:
    def get_kernel_spec(self, name: str) -> Any:
        return type("Spec", (), {"language": "python"})()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> _Kernels:
    fake = _Kernels()
    monkeypatch.setattr(kernels, "start_kernel", fake.start)
    monkeypatch.setattr(kernels, "stop_kernel", fake.stop)
    monkeypatch.setattr(kernels, "kill_now", fake.kill_now)
    monkeypatch.setattr(kernels, "check_kernel_name", lambda name, env: None)
    monkeypatch.setattr(kernels, "kernel_json_name", lambda name, env: ABSENT)
    return fake


def pool(tmp_path: Path, *, max_kernels: int, size: int = 0) -> KernelPool:
    return KernelPool(
        env={},
        runtime=cast(Runtime, _Runtime(tmp_path)),
        size=size,
        max_size=8,
        max_kernels=max_kernels,
        specs=cast(Any, _Specs()),
    )


async def test_calls_past_the_cap_wait_their_turn(tmp_path: Path, started: _Kernels) -> None:
    kernel_pool = pool(tmp_path, max_kernels=2)
    calls = {asyncio.ensure_future(kernel_pool.acquire("python3", size=0)) for _ in range(5)}
    served = 0
    while calls:
        done, calls = await asyncio.wait(calls, timeout=CEILING_S, return_when="FIRST_COMPLETED")
        assert done, "no call was served"
        for call in done:
            kernel_pool.discard(call.result())  # the call is over: its kernel goes
            served += 1
    assert served == 5
    assert started.most == 2
    await kernel_pool.close()


async def test_a_call_whose_turn_does_not_come_fails_saying_so(
    tmp_path: Path, started: _Kernels
) -> None:
    kernel_pool = pool(tmp_path, max_kernels=1)
    first = await kernel_pool.acquire("python3", size=0)
    ANSWER_BY.set(asyncio.get_running_loop().time() + 0.05)
    with pytest.raises(KernelCapReached) as failed:
        await kernel_pool.acquire("python3", size=0)
    assert str(failed.value) == (
        "all 1 Jupyter kernels the local server may run at once are busy (--max-kernels 1); "
        "none became free before this call had to answer: try again later, or start the "
        "server with a higher --max-kernels"
    )
    assert started.most == 1
    ANSWER_BY.set(None)
    kernel_pool.discard(first)
    second = await asyncio.wait_for(kernel_pool.acquire("python3", size=0), CEILING_S)
    assert second.pid != first.pid  # the slot it left was given back
    await kernel_pool.close()


async def test_a_warm_kernel_of_another_name_makes_room(tmp_path: Path, started: _Kernels) -> None:
    kernel_pool = pool(tmp_path, max_kernels=1, size=1)
    kernel_pool.prewarm("other")
    await asyncio.sleep(0.01)
    assert started.running == 1
    handle = await asyncio.wait_for(kernel_pool.acquire("python3", size=0), CEILING_S)
    assert handle.name == "python3"
    assert started.most == 1
    await kernel_pool.close()


async def test_a_call_waiting_its_turn_answers_before_its_envelope_timeout() -> None:
    # The dispatcher gives the call until shortly before its envelope timeout, so that the
    # cap's own error is the answer rather than the hub's generic 408 text.
    never = KernelSlots(0)
    dispatcher = Dispatcher({"wait": Handler(never.take, lenient=True)}, "project")
    envelope = Envelope(name="wait", args=[], project_id=None, timeout_ms=300, compute_server_id=0)
    with pytest.raises(WireError) as failed:
        await dispatcher.call(envelope)
    assert failed.value.message.startswith("Error: all 0 Jupyter kernels ")
    await dispatcher.close()
