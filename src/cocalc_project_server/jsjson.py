"""JavaScript's ``JSON.parse`` and ``JSON.stringify`` (no indentation), for methods whose result is
JSON text the real project made with them in Node (``editor.jupyterStripNotebook``,
``editor.jupyterRunNotebook``), plus the JavaScript string facts those methods need (``length`` in
UTF-16 code units, ``String(value)``).

Python's ``json`` writes differently: ``1.0`` (JS: ``1``), ``1e-05`` (JS: ``0.00001``), lone
surrogates unescaped, ``", "`` separators, and it keeps keys in file order where JavaScript puts
integer-like keys first. It also reads ``NaN``, which ``JSON.parse`` refuses.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from . import v8json
from .errors import WireError

_MAX_SAFE_INTEGER = 2**53
_MAX_ARRAY_INDEX = 2**32 - 2
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
# What JSON.stringify escapes: control characters, quote, backslash and lone surrogates (every
# surrogate Python's json leaves in a str is lone: it joins escaped pairs when it reads).
_ESCAPED = re.compile(r'[\x00-\x1f"\\\ud800-\udfff]')
_SURROGATE = re.compile("[\ud800-\udfff]")
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def parse(text: str) -> Any:
    """``JSON.parse(text)``; a syntax error is raised as V8's ``SyntaxError``, in its words."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, _NotJson):
        # Python refuses what V8 refuses; only the words and positions differ.
        message = v8json.refusal(text) or "Unexpected end of JSON input"
        raise WireError(f"SyntaxError: {message}") from None
    except RecursionError:
        raise WireError("RangeError: Maximum call stack size exceeded") from None


def number(value: float) -> str:
    """A number as JavaScript writes it (ECMAScript ``Number::toString``); JSON's ``null`` for
    a value that is not finite as a double."""
    if isinstance(value, int) and abs(value) < _MAX_SAFE_INTEGER:
        return str(value)
    try:
        as_double = float(value)
    except OverflowError:
        return "null"
    if not math.isfinite(as_double):
        return "null"
    if as_double == 0:
        return "0"  # also -0
    sign = "-" if as_double < 0 else ""
    # repr() gives the shortest digits that read back as this double, as JavaScript uses.
    _, digit_tuple, exponent = Decimal(repr(abs(as_double))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exponent, int)
    exponent += len(digit_tuple) - len(digits)
    k = len(digits)
    n = exponent + k  # the value is 0.<digits> * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + (f".{digits[1:]}" if k > 1 else "")
        text = f"{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return sign + text


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def string(value: str) -> str:
    return '"' + _ESCAPED.sub(_escape, value) + '"'


def _key_order(keys: list[str]) -> list[str]:
    """JavaScript's property order: array-index keys ascending, then the rest as inserted."""
    indices = [k for k in keys if _ARRAY_INDEX.fullmatch(k) and int(k) <= _MAX_ARRAY_INDEX]
    if not indices:
        return keys
    chosen = set(indices)
    return sorted(indices, key=int) + [k for k in keys if k not in chosen]


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` of a value ``parse`` returned."""
    out: list[str] = []
    try:
        _write(value, out)
    except RecursionError:
        raise WireError("RangeError: Maximum call stack size exceeded") from None
    return "".join(out)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int | float):
        out.append(number(value))
    elif isinstance(value, str):
        out.append(string(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(_key_order(list(value))):
            if i:
                out.append(",")
            out.append(string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


def utf16_length(text: str) -> int:
    """JavaScript's ``text.length``: astral characters count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def to_js_string(value: Any) -> str:
    """JavaScript's ``String(value)`` (what ``${value}`` makes of it too) for a JSON value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, list):
        return join(value, ",")
    return "[object Object]"


def join(values: Iterable[Any], separator: str) -> str:
    """``Array.prototype.join``: each element as ``String`` makes it, but null as empty."""
    return separator.join("" if v is None else to_js_string(v) for v in values)


def well_formed(text: str) -> str:
    """JavaScript's ``text.toWellFormed()``: each lone surrogate becomes U+FFFD, as node does
    whenever it encodes a string as UTF-8 (file contents, paths, command arguments)."""
    return _SURROGATE.sub("\ufffd", text)
