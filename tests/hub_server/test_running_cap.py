"""The cap on running projects: room is made by stopping an idle project, never one with a
call in flight; with none idle, a start waits until a call ends."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from cocalc_hub_server.runners import ProjectRunners


async def test_a_start_past_the_cap_waits_for_a_project_without_calls(tmp_path: Path) -> None:
    states: list[tuple[str, str]] = []
    runners = ProjectRunners(
        lambda project_id: tmp_path / project_id,
        max_running=1,
        kernel_pool_size=0,
        on_state=lambda project_id, state: states.append((project_id, state)),
    )
    busy, other = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        async with runners.using(busy) as running:
            starting = asyncio.ensure_future(runners.start(other))
            for _ in range(50):  # let it run as far as it can
                await asyncio.sleep(0)
            assert not starting.done()
            assert runners.get(busy) is running and runners.running_ids() == [busy]
        await asyncio.wait_for(starting, 60)  # only against a hang
        assert runners.running_ids() == [other]
        assert (busy, "opened") in states
    finally:
        await runners.close()
