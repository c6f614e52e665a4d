"""Values as the real hub's JavaScript sees them: ids, e-mail addresses, times, ``trim``."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

# src/packages/util/misc.ts (is_valid_uuid_string: 36 characters matching this)
_UUID = re.compile(r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}")


def _email_pattern() -> re.Pattern[str]:
    # src/packages/util/misc.ts (reValidEmail: "exactly RFC822")
    qtext = "[^\\x0d\\x22\\x5c\\x80-\\xff]"
    dtext = "[^\\x0d\\x5b-\\x5d\\x80-\\xff]"
    atom = "[^\\x00-\\x20\\x22\\x28\\x29\\x2c\\x2e\\x3a-\\x3c\\x3e\\x40\\x5b-\\x5d\\x7f-\\xff]+"
    quoted_pair = "\\x5c[\\x00-\\x7f]"
    domain_literal = f"\\x5b({dtext}|{quoted_pair})*\\x5d"
    quoted_string = f"\\x22({qtext}|{quoted_pair})*\\x22"
    sub_domain = f"({atom}|{domain_literal})"
    word = f"({atom}|{quoted_string})"
    domain = sub_domain + "(\\x2e" + sub_domain + ")*"
    local_part = word + "(\\x2e" + word + ")*"
    return re.compile(f"^{local_part}\\x40{domain}$")


_EMAIL = _email_pattern()
# What JavaScript's String.prototype.trim removes (WhiteSpace and LineTerminator).
_JS_SPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def is_valid_uuid(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 36 and _UUID.search(value) is not None


def is_valid_email(value: Any) -> bool:
    return isinstance(value, str) and _EMAIL.search(value) is not None


def js_trim(text: str) -> str:
    return text.strip(_JS_SPACE)


def now_ms() -> int:
    return int(time.time() * 1000)


def iso(ms: float) -> str:
    """A time as JSON.stringify writes a Date: ``2026-01-02T03:04:05.678Z``."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(now_ms())


def epoch_ms(value: str | None) -> int | None:
    """An ISO time as milliseconds since the epoch (database/postgres/util.ts, toEpoch)."""
    if value is None:
        return None
    return int(datetime.fromisoformat(value).timestamp() * 1000)


def js_string(value: Any) -> str:
    """``String(value)`` for the JSON values a caller can send (for error texts)."""
    if value is None:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def timestamp(value: Any) -> str | None:
    """A time a caller sent (ms since the epoch, or ISO text) as stored; None for none.

    Raises ValueError for anything else (a boolean included).
    """
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return iso(value)
    if isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return iso(moment.timestamp() * 1000)
    raise ValueError(value)
