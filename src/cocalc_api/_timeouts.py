"""The limits of one call, from the method's timeout policy, the argument and the client's
`timeout`: what the command may take, what the envelope asks of the server, and the deadline
that ends the whole call, every attempt and backoff included.

Ordered so that the most telling outcome arrives first: the command's own (exec kills it at
its limit), then the server's 408 (at the envelope limit), then our APITimeoutError (at the
deadline). The README's timeout table is this module in prose.
"""

from __future__ import annotations

from typing import NamedTuple

from cocalc_api._constants import (
    MAX_GRACE_S,
    MAX_MARGIN_S,
    MIN_GRACE_S,
    MIN_MARGIN_S,
    SERVER_DEFAULT_ENVELOPE_S,
    UNLIMITED_COMMAND_ENVELOPE_S,
)
from cocalc_api_generated._runtime import TimeoutPolicy


class CallLimits(NamedTuple):  # a NamedTuple, not a dataclass: it is made faster on import
    """Seconds, except `command`, which is in the unit of the method's timeout parameter."""

    command: float | None  # a limit to send as the method's own argument (None: leave it)
    envelope_s: float | None  # the envelope `timeout` to send (None: the server's 15 s)
    deadline_s: float  # the whole call, from its start


def grace(command_s: float) -> float:
    """How much longer than a command's own limit the envelope lasts."""
    return min(MAX_GRACE_S, max(MIN_GRACE_S, command_s / 4))


def margin(envelope_s: float) -> float:
    """How much longer than the envelope limit our deadline lasts."""
    return min(MAX_MARGIN_S, max(MIN_MARGIN_S, envelope_s / 4))


def _limits(envelope_s: float | None, command: float | None = None) -> CallLimits:
    server_side = SERVER_DEFAULT_ENVELOPE_S if envelope_s is None else envelope_s
    return CallLimits(command, envelope_s, server_side + margin(server_side))


def call_limits(
    policy: TimeoutPolicy | None,
    argument: float | None,
    client_timeout: float | None,
    method_envelope_s: float | None = None,
) -> CallLimits:
    """The limits of a call whose timeout argument is `argument` (in its unit, None if the
    method has none or it was not given), under a client `timeout` (seconds, or None).
    `method_envelope_s` is the envelope a method without a timeout parameter asks for when
    the client has no timeout (a call that waits on slow work, e.g. starting a project)."""
    if policy is None:
        return _limits(client_timeout if client_timeout is not None else method_envelope_s)
    if not policy.enforced_by_server:
        # Only the envelope bounds the work (jupyter_execute): the argument is that limit.
        if argument is not None:
            return _limits(argument * policy.unit_seconds)
        if client_timeout is not None:
            return _limits(client_timeout)
        return _limits(policy.server_default * policy.unit_seconds)
    # The server enforces the argument on the work itself (exec kills the command). A client
    # timeout given without one becomes the command's limit, so the command is stopped and
    # its outcome comes back, instead of running on after the call gave up.
    command = argument
    if command is None and client_timeout is not None:
        command = client_timeout / policy.unit_seconds
    sent = command if argument is None else None
    command_s = (policy.server_default if command is None else command) * policy.unit_seconds
    if command_s == 0:  # no limit on the command; the call still ends
        return _limits(client_timeout or UNLIMITED_COMMAND_ENVELOPE_S, sent)
    return _limits(command_s + grace(command_s), sent)
