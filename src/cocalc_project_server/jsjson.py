"""JSON read and written the way JavaScript's ``JSON.parse`` / ``JSON.stringify`` do it.

The real project parses and re-serialises notebooks in Node, so numbers are doubles (``1.0``
comes back as ``1``), integer-like object keys come first, output is compact, and lengths are
counted in UTF-16 code units. Python's ``json`` differs on each of these.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_ARRAY_INDEX = 2**32 - 2


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"Unexpected token '{name[0]}' in JSON")


def parse(text: str) -> Any:
    """``JSON.parse``: every number is a double; ``NaN``/``Infinity`` are syntax errors."""
    return json.loads(text, parse_int=float, parse_float=float, parse_constant=_refuse_constant)


def number(value: float) -> str:
    """ECMAScript ``Number::toString`` (shortest round-trip digits, JS exponent rules)."""
    if not math.isfinite(value):
        return "null"  # what JSON.stringify writes for NaN and the infinities
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()[1:]
    digits = "".join(map(str, digits_tuple))
    k = len(digits)
    n = int(exponent) + k  # value = 0.digits * 10**n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _string(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    # JSON.stringify escapes lone surrogates instead of writing invalid text.
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _is_array_index(key: str) -> bool:
    return bool(_ARRAY_INDEX.fullmatch(key)) and int(key) <= _MAX_ARRAY_INDEX


def _ordered_keys(obj: dict[str, Any]) -> list[str]:
    # JavaScript objects list integer-like keys first, in ascending order.
    indexes = sorted((k for k in obj if _is_array_index(k)), key=int)
    return indexes + [k for k in obj if not _is_array_index(k)]


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` (compact)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int | float):
        out.append(number(float(value)))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key in _ordered_keys(value):
            item = value[key]
            if not first:
                out.append(",")
            first = False
            out.append(_string(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} as JSON")


def utf16_length(text: str) -> int:
    """JavaScript's ``text.length``: astral characters count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def to_js_string(value: Any) -> str:
    """``String(value)`` as ``Array.prototype.join`` applies it to one element."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return number(float(value))
    if isinstance(value, list):
        return ",".join(to_js_string(v) for v in value)
    return "[object Object]"
