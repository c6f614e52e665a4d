"""Run code on a kernel and gather the messages it answers with, as the real service does
(src/packages/jupyter/execute/execute-code.ts, CodeExecutionEmitter, via
src/packages/jupyter/kernel/kernel.ts, execute_code_now).

Handed on as they arrive, nothing kept: every iopub message of the request except comm
traffic, and the shell reply when its status is "ok". The run ends when iopub has said "idle" and the shell reply has come. At
the time limit the kernel's process group gets SIGINT, again after 1 s and 1.3 s more, and
SIGKILL 1.69 s after that; once interrupting, any iopub message of the request counts as the
last. A kernel that dies on its own makes the run fail with its death message.

Deliberately, unlike the real service, a run whose shell reply has come also ends once iopub
has been silent for a while: a flood of output fills ZeroMQ's queues, which then drop
messages, the final "idle" among them, and the run would otherwise wait for its time limit
(or, without one, forever). Outputs dropped that way are lost, as in the real service.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ProjectError
from .kernel_process import KernelHandle

# Waits between the interrupts that follow a time limit (execute-code.ts, timeout).
_INTERRUPT_WAITS_S = (1.0, 1.3, 1.3 * 1.3)
# How often a wait for the kernel checks that its process is still alive.
_LIVENESS_POLL_S = 0.25
# Silence on iopub after the shell reply that means the "idle" message was dropped. The
# kernel publishes "idle" right after its reply; any message still on its way resets this.
_LOST_IDLE_S = 2.0


@dataclass(frozen=True)
class KernelMessage:
    msg_type: str
    content: dict[str, Any]


MessageSink = Callable[[KernelMessage], None]


def discard(message: KernelMessage) -> None:
    """The sink of a cell whose outputs nobody reads."""


class _Run:
    """The state of one execute request."""

    def __init__(self, handle: KernelHandle, msg_id: str, on_message: MessageSink) -> None:
        self.handle = handle
        self.msg_id = msg_id
        self.on_message = on_message
        self.iopub_done = False
        self.shell_done = False
        self.interrupting = False

    @property
    def finished(self) -> bool:
        return self.iopub_done and self.shell_done

    def take_iopub(self, msg: dict[str, Any]) -> None:
        if msg.get("parent_header", {}).get("msg_id") != self.msg_id:
            return
        content = msg.get("content") or {}
        if content.get("comm_id") is None:
            self.on_message(KernelMessage(msg.get("msg_type", ""), dict(content)))
        self.iopub_done = self.interrupting or content.get("execution_state") == "idle"

    def take_shell(self, msg: dict[str, Any]) -> None:
        if msg.get("parent_header", {}).get("msg_id") != self.msg_id:
            return
        content = msg.get("content") or {}
        if content.get("status") == "ok":
            self.on_message(KernelMessage(msg.get("msg_type", ""), dict(content)))
        self.shell_done = True


async def execute_code(
    handle: KernelHandle, code: str, timeout_ms: float, on_message: MessageSink
) -> None:
    """Run ``code``, handing each of its messages to ``on_message`` as it arrives.

    ``timeout_ms`` 0 means no time limit. Whatever ``on_message`` raises ends the run (the
    kernel is left as it is: the caller stops it).
    """
    if not await handle.is_alive():
        raise ProjectError(handle.death_message())
    # stop_on_error false, where the real service sends the default (true): requests go one
    # at a time, so all it could do is abort the NEXT cell when that one reaches the kernel
    # before the kernel has finished aborting after an error (a race, seen after interrupts).
    msg_id = handle.client.execute(
        code,
        silent=False,
        store_history=True,
        user_expressions={},
        allow_stdin=False,
        stop_on_error=False,
    )
    run = _Run(handle, msg_id, on_message)
    loop = asyncio.get_running_loop()
    # When the next step of the time limit is due: the first interrupt, then the next ones.
    next_step = loop.time() + timeout_ms / 1000 if timeout_ms else None
    waits = list(_INTERRUPT_WAITS_S)
    iopub = asyncio.ensure_future(handle.client.get_iopub_msg())
    shell = asyncio.ensure_future(handle.client.get_shell_msg())
    # Since when iopub has been silent, counted from the shell reply at the earliest.
    quiet_since = loop.time()
    try:
        while not run.finished:
            wait_s = _LIVENESS_POLL_S
            if next_step is not None:
                wait_s = max(0.0, min(wait_s, next_step - loop.time()))
            done, _ = await asyncio.wait(
                {iopub, shell}, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED
            )
            failed = [task for task in done if task.exception() is not None]
            if failed:
                # The channels broke, which happens when the kernel was stopped or died.
                if not await handle.is_alive():
                    raise ProjectError(handle.death_message())
                failed[0].result()  # re-raises
            if iopub in done:
                quiet_since = loop.time()
                run.take_iopub(iopub.result())
                iopub = asyncio.ensure_future(handle.client.get_iopub_msg())
            if shell in done:
                quiet_since = loop.time()
                run.take_shell(shell.result())
                shell = asyncio.ensure_future(handle.client.get_shell_msg())
            if run.shell_done and loop.time() - quiet_since >= _LOST_IDLE_S:
                break  # its "idle" was dropped (see the module's docstring)
            if run.finished:
                break
            if next_step is not None and loop.time() >= next_step:
                if not waits:
                    handle.signal(signal.SIGKILL)
                    break  # the outputs so far are the result
                run.interrupting = True
                handle.signal(signal.SIGINT)
                next_step = loop.time() + waits.pop(0)
            if not done and not await handle.is_alive():
                raise ProjectError(handle.death_message())
    finally:
        for pending in (iopub, shell):
            pending.cancel()
        await asyncio.wait((iopub, shell))
        for pending in (iopub, shell):
            if not pending.cancelled():
                pending.exception()  # retrieved, so never reported as unhandled
