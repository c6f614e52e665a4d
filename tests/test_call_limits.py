"""The limits of one call (cocalc_api._timeouts), as the README's timeout table states them.

Every number here is written out, not computed from the module's constants: 15 s is the
server's default envelope (docs/wire-protocol.md §1), 60 s exec's default command limit (docs/wire-protocol.md §3),
90 s the reference client's jupyter_execute default; the grace (a quarter of the command's
limit, 1 to 5 s) and the margin (a quarter of the envelope, 2 to 10 s) are the README's.
"""

from __future__ import annotations

from typing import Any

import pytest

from cocalc_api._timeouts import CallLimits, call_limits
from cocalc_api.timeouts import call_deadline
from cocalc_api_generated._runtime import MethodSpec, TimeoutPolicy
from cocalc_api_generated.specs import (
    EDITOR_JUPYTER_NBCONVERT,
    SYSTEM_EXEC,
    SYSTEM_JUPYTER_EXECUTE,
    SYSTEM_PING,
)

EXEC = SYSTEM_EXEC.timeout
JUPYTER = SYSTEM_JUPYTER_EXECUTE.timeout
MILLISECONDS = TimeoutPolicy(
    param="timeout_ms",
    wire_name="timeoutMs",
    slot=0,
    unit_seconds=0.001,
    server_default=2000,
    enforced_by_server=True,
)


@pytest.mark.parametrize(
    ("policy", "argument", "client", "expected"),
    [
        # No timeout parameter (ping, ...): the client's timeout is the envelope.
        (None, None, None, CallLimits(None, None, 15 + 3.75)),
        (None, None, 4, CallLimits(None, 4, 4 + 2)),
        (None, None, 1, CallLimits(None, 1, 1 + 2)),
        (None, None, 60, CallLimits(None, 60, 60 + 10)),
        # exec: the server kills the command at its limit; the envelope outlasts it.
        (EXEC, None, None, CallLimits(None, 60 + 5, 65 + 10)),
        (EXEC, 10, None, CallLimits(None, 10 + 2.5, 12.5 + 3.125)),
        (EXEC, 1, None, CallLimits(None, 1 + 1, 2 + 2)),
        (EXEC, 10, 4, CallLimits(None, 12.5, 15.625)),  # its own argument wins
        # ... and a client timeout given without one becomes the command's limit, sent.
        (EXEC, None, 4, CallLimits(4, 4 + 1, 5 + 2)),
        # timeout=0: no limit on the command; the call still ends (1 h, or the client's).
        (EXEC, 0, None, CallLimits(None, 3600, 3600 + 10)),
        (EXEC, 0, 30, CallLimits(None, 30, 30 + 7.5)),
        # jupyter_execute: the server only reads the envelope, which its timeout sets.
        (JUPYTER, 90, None, CallLimits(None, 90, 90 + 10)),
        (JUPYTER, 8, 300, CallLimits(None, 8, 8 + 2)),
        (JUPYTER, None, 20, CallLimits(None, 20, 20 + 5)),
        (JUPYTER, None, None, CallLimits(None, 90, 90 + 10)),
        # nbconvert: like exec, 60 s by default (docs/wire-protocol.md §4).
        (EDITOR_JUPYTER_NBCONVERT.timeout, None, None, CallLimits(None, 65, 75)),
        # A timeout in milliseconds: 2000 ms by default.
        (MILLISECONDS, None, None, CallLimits(None, 2 + 1, 3 + 2)),
        (MILLISECONDS, 3000, None, CallLimits(None, 3 + 1, 4 + 2)),
        (MILLISECONDS, None, 8, CallLimits(8000, 8 + 2, 10 + 2.5)),
    ],
)
def test_limits(
    policy: TimeoutPolicy | None, argument: float | None, client: float | None, expected: CallLimits
) -> None:
    assert call_limits(policy, argument, client) == expected


def test_the_methods_policies_are_the_contracts() -> None:
    assert SYSTEM_PING.timeout is None
    assert EXEC is not None and JUPYTER is not None
    assert (EXEC.param, EXEC.wire_name, EXEC.slot) == ("timeout", "timeout", 0)
    assert (EXEC.unit_seconds, EXEC.server_default, EXEC.enforced_by_server) == (1.0, 60, True)
    assert (JUPYTER.unit_seconds, JUPYTER.server_default, JUPYTER.enforced_by_server) == (
        1.0,
        90,
        False,
    )


def test_every_limit_is_ordered_command_envelope_deadline() -> None:
    # The most telling outcome arrives first, whatever the numbers.
    for argument in (None, 0.5, 1, 3, 7, 20, 59, 60, 61, 600):
        for client in (None, 0.5, 2, 4, 15, 100):
            limits = call_limits(EXEC, argument, client)
            command = argument if argument is not None else client if client is not None else 60
            assert limits.envelope_s is not None
            assert command < limits.envelope_s < limits.deadline_s


@pytest.mark.parametrize(
    ("method", "arguments", "client", "expected"),
    [
        (SYSTEM_PING, {}, None, 15 + 3.75),
        (SYSTEM_EXEC, {"command": "make", "timeout": 10}, None, 12.5 + 3.125),
        (SYSTEM_EXEC, {"command": "make"}, 4, 5 + 2),
        (SYSTEM_JUPYTER_EXECUTE, {"input": "1", "timeout": 8}, None, 8 + 2),
        # Not a number of seconds: the SDK refuses it, so it bounds nothing.
        (SYSTEM_EXEC, {"command": "make", "timeout": True}, None, 65 + 10),
        (SYSTEM_EXEC, {"command": "make", "timeout": "10"}, None, 65 + 10),
    ],
)
def test_the_public_deadline_reads_the_methods_timeout_argument(
    method: MethodSpec[Any], arguments: dict[str, Any], client: float | None, expected: float
) -> None:
    assert call_deadline(method, arguments, client) == expected
