"""How long a call may take, for tools that make calls on someone's behalf and report on them
(the MCP server shows a running call's progress out of this). docs/timeouts.md has the rules.

>>> from cocalc_api.timeouts import call_deadline
>>> from cocalc_api_generated.specs import SYSTEM_EXEC
>>> call_deadline(SYSTEM_EXEC, {"command": "make", "timeout": 10}, client_timeout=None)
15.625
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cocalc_api._timeouts import call_limits
from cocalc_api_generated._runtime import MethodSpec

__all__ = ["call_deadline"]


def call_deadline(
    method: MethodSpec[Any], arguments: Mapping[str, Any], client_timeout: float | None
) -> float:
    """The most a call of `method` with these keyword arguments can take, in seconds, on a
    client (a project, a hub) whose `timeout` is `client_timeout`: the deadline that ends it,
    retries included (a method's own envelope too, such as the hub's createProject's 60 s)."""
    policy = method.timeout
    argument = arguments.get(policy.param) if policy is not None else None
    if isinstance(argument, bool) or not isinstance(argument, int | float):
        argument = None  # not a limit: the SDK refuses it before anything is sent
    return call_limits(policy, argument, client_timeout, method.envelope_s).deadline_s
