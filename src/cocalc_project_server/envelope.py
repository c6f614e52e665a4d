"""Parsing and checking the JSON request envelope ``{name, args, project_id, timeout, ...}``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from cocalc_api_generated.specs import DEFAULT_ENVELOPE_TIMEOUT_MS

from .errors import BodyRefused, WireError


@dataclass(frozen=True)
class Envelope:
    """One decoded API call."""

    name: str
    args: list[Any]
    project_id: object
    timeout_ms: float
    compute_server_id: int


def _reject_constant(token: str) -> None:
    # Python's json accepts NaN/Infinity, JSON itself does not.
    raise ValueError(f"invalid JSON constant {token}")


def decode_body(body: bytes) -> Any:
    """The body as CoCalc's API route reads it, a Next.js pages route with the default body
    parser (next/src/server/api-utils/node/parse-body.ts): UTF-8 through raw-body's decoder
    (bytes that are not UTF-8 replaced, a leading BOM dropped), an empty body as ``{}``, and
    anything ``JSON.parse`` refuses answered with HTTP 400 ``Invalid JSON``."""
    text = body.decode("utf-8-sig", errors="replace")
    if not text:
        return {}
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        raise BodyRefused(400, "Invalid JSON") from None
    except RecursionError:
        # Python's parser gives up near 1000 levels of nesting (Node's JSON.parse goes far deeper).
        raise WireError("request body is nested too deeply to parse") from None


def parse_envelope(body: bytes) -> Envelope:
    """Decode ``body`` and read the envelope from it (:func:`decode_body`, :func:`envelope_from`)."""
    return envelope_from(decode_body(body))


def envelope_from(data: Any) -> Envelope:
    """The envelope of a decoded body; any problem becomes a :class:`WireError` with a clear
    message."""
    if not isinstance(data, dict):
        raise WireError("request body must be a JSON object")

    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise WireError("'name' must be a non-empty string such as 'system.ping'")

    args = data.get("args")
    if args is None:
        args = []
    elif not isinstance(args, list):
        raise WireError("'args' must be a JSON array of positional arguments")

    timeout = _timeout_ms(data)

    csid = data.get("compute_server_id")
    if csid is None:
        csid = 0
    elif (
        isinstance(csid, bool)
        or not isinstance(csid, int | float)
        or not math.isfinite(csid)
        or csid != int(csid)
    ):
        raise WireError("'compute_server_id' must be an integer")

    return Envelope(
        name=name,
        args=args,
        project_id=data.get("project_id"),
        timeout_ms=timeout,
        compute_server_id=int(csid),
    )


def _timeout_ms(data: dict[str, Any]) -> float:
    """The envelope timeout; 0 for any value the hub's ``timeout <= 0`` test refuses."""
    if "timeout" not in data:
        return DEFAULT_ENVELOPE_TIMEOUT_MS
    timeout = data["timeout"]
    # JavaScript's destructuring default replaces only undefined: null and false reach the
    # `timeout <= 0` test and are refused (src/packages/conat/core/client.ts, request).
    if timeout is None or timeout is False:
        return 0.0
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
    ):
        raise WireError("'timeout' must be a positive number of milliseconds")
    return max(float(timeout), 0.0)


def _subject(project_id: str, compute_server_id: int) -> str:
    # src/packages/conat/names.ts (projectSubject with service "api")
    return f"project.{project_id}.{compute_server_id}.api.-"


def nonpositive_timeout_message(project_id: str, name: str, compute_server_id: int = 0) -> str:
    """The hub's text for an envelope ``timeout <= 0`` (trailing space included): the
    request() error, wrapped by src/packages/server/api/project-bridge.ts, has no code."""
    subject = _subject(project_id, compute_server_id)
    return (
        f"timeout must be positive - callHub: subject='{subject}', name='{name}', code='undefined' "
    )


def timeout_message(project_id: str, name: str, compute_server_id: int = 0) -> str:
    """The real hub's text when a call outlives the envelope timeout (trailing space included)."""
    subject = _subject(project_id, compute_server_id)
    return f"timeout - callHub: subject='{subject}', name='{name}', code='408' "


def unreachable_message(project_id: str, name: str, compute_server_id: int) -> str:
    """The real hub's text when nothing serves the subject (e.g. a missing compute server)."""
    subject = _subject(project_id, compute_server_id)
    return (
        f"request -- no subscribers matching '{subject}' - callHub: subject='{subject}', "
        f"name='{name}', code='503' "
    )
