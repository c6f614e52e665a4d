"""What a project client is made of, checked when given: key, host, project, call settings.

`Settings` is everything needed to rebuild a client (with_options, pickling), so a new setting
is added here once.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, final
from urllib.parse import urlsplit

from cocalc_api._constants import DEFAULT_HOST, DEFAULT_MAX_RESPONSE_BYTES
from cocalc_api._exceptions import InsecureHostWarning, InvalidArgumentError
from cocalc_api.safety import REDACTED, is_loopback

# Headers the client sets itself: the key is the only credential, and the body is JSON.
RESERVED_HEADERS = frozenset({"authorization", "content-type", "content-length", "host"})


@final
class NotGiven:
    """The default of `with_options` arguments: keep this client's setting (None is a value)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


@dataclass(frozen=True, slots=True)
class Settings:
    api_key: str
    host: str
    project_id: str | None
    timeout: float | None  # seconds; the limit of calls whose method has no timeout of its own
    max_retries: int  # for retry-safe methods only
    extra_headers: tuple[tuple[str, str], ...] = ()
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES  # of an answer, after decompression

    def __repr__(self) -> str:
        return (
            f"Settings(host={self.host!r}, project_id={self.project_id!r}, "
            f"timeout={self.timeout!r}, max_retries={self.max_retries!r}, "
            f"max_response_bytes={self.max_response_bytes!r}, api_key={REDACTED!r})"
        )

    def with_changes(
        self,
        timeout: float | None | NotGiven,
        max_retries: int | NotGiven,
        extra_headers: Mapping[str, str] | None | NotGiven,
        max_response_bytes: int | NotGiven = NOT_GIVEN,
    ) -> Settings:
        changes: dict[str, Any] = {}
        if not isinstance(max_response_bytes, NotGiven):
            changes["max_response_bytes"] = check_max_response_bytes(max_response_bytes)
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = check_timeout(timeout)
        if not isinstance(max_retries, NotGiven):
            changes["max_retries"] = check_max_retries(max_retries)
        if not isinstance(extra_headers, NotGiven):
            merged = dict(self.extra_headers)
            merged.update(check_headers(extra_headers))
            changes["extra_headers"] = tuple(merged.items())
        return replace(self, **changes)


def make_settings(
    api_key: str | None,
    host: str | None,
    project_id: str | None,
    timeout: float | None,
    max_retries: int,
    extra_headers: Mapping[str, str] | None,
    *,
    stacklevel: int,
    project_scoped: bool = True,
    warn: bool = True,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> Settings:
    """Settings from the arguments, else the environment; InvalidArgumentError if unusable."""
    key = api_key if api_key is not None else os.environ.get("COCALC_API_KEY")
    if not key or not isinstance(key, str):
        raise InvalidArgumentError("no API key: pass api_key=... or set COCALC_API_KEY")
    if key != key.strip() or any(c in key for c in "\r\n\0"):
        raise InvalidArgumentError("api_key must not contain spaces or line breaks")
    url = check_host(host if host is not None else os.environ.get("COCALC_HOST") or DEFAULT_HOST)
    hostname = urlsplit(url).hostname or ""
    if warn and url.startswith("http://") and not is_loopback(hostname):
        warnings.warn(
            f"{url} is plain http: the API key would cross the network in clear text",
            InsecureHostWarning,
            stacklevel=stacklevel + 1,
        )
    project = project_id
    if project is None and project_scoped:
        project = os.environ.get("COCALC_PROJECT_ID")
    if project is not None and not isinstance(project, str):
        raise InvalidArgumentError(f"project_id must be a string, got {type(project).__name__}")
    if project:
        check_project_id(project, "project_id" if project_id is not None else "COCALC_PROJECT_ID")
    return Settings(
        api_key=key,
        host=url,
        project_id=project or None,
        timeout=check_timeout(timeout),
        max_retries=check_max_retries(max_retries),
        extra_headers=tuple(check_headers(extra_headers).items()),
        max_response_bytes=check_max_response_bytes(max_response_bytes),
    )


# src/packages/util/misc.ts is_valid_uuid_string: 36 characters holding 8-4-4-4-12 hex digits;
# the service refuses any other project id ("invalid account_id or project_id -- all must be
# valid uuid's", src/packages/server/projects/is-collaborator.ts).
_UUID = re.compile(r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}")


def check_project_id(project_id: str, name: str) -> None:
    """Refuse what cannot be a project's id before anything is sent."""
    if len(project_id) != 36 or not _UUID.search(project_id):
        raise InvalidArgumentError(
            f"{name} must be a project's id, a UUID such as "
            f"6e75dbf1-0342-4249-9dce-6b21648656e9 (it is in the project's URL, and in its "
            f"settings), got {project_id!r}"
        )


def check_host(url: object) -> str:
    """An http(s) URL with a host name: no spaces, credentials, query or fragment."""
    example = f"an http(s) URL such as {DEFAULT_HOST!r}"
    if not isinstance(url, str):
        raise InvalidArgumentError(f"host must be {example}, got {type(url).__name__}")
    if url != url.strip() or any(c.isspace() for c in url):
        raise InvalidArgumentError(f"host must be {example} without spaces, got {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgumentError(f"host must be {example}, got {url!r}")
    if "@" in parts.netloc:
        # httpx2 would send user:pass as Basic auth in place of the key, and it would show in
        # reprs and logs.
        raise InvalidArgumentError(
            "host must not contain a user name or password; pass the key as api_key"
        )
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise InvalidArgumentError(f"host must not have a query or fragment, got {url!r}")
    try:
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError:
        raise InvalidArgumentError(f"host has an invalid port: {url!r}") from None
    return url


def check_timeout(timeout: object) -> float | None:
    if timeout is None:
        return None
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise InvalidArgumentError(
            f"timeout must be a positive number of seconds or None, got {timeout!r}"
        )
    return float(timeout)


def check_max_retries(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"max_retries must be an int >= 0, got {value!r}")
    return value


def check_max_response_bytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgumentError(
            f"max_response_bytes must be a positive int (bytes), got {value!r}"
        )
    return value


def check_headers(headers: object) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise InvalidArgumentError(
            f"extra_headers must be a mapping of str to str, got {type(headers).__name__}"
        )
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidArgumentError("extra_headers must map str to str")
        if name.lower() in RESERVED_HEADERS:
            raise InvalidArgumentError(f"extra_headers cannot set {name!r}: the client sets it")
        checked[name] = value
    return checked
