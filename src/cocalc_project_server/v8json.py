"""Why ``JSON.parse`` refuses a text, in V8's words (Node 20, whose V8 the real project runs).

Python's parser finds the same errors but words and places them differently (``tru`` is
"Expecting value" at 0 for Python, "Unexpected end of JSON input" for V8). This scanner walks
the text as V8's JsonParser does (v8/src/json/json-parser.cc and json-parser.h: the first
error wins, positions count UTF-16 code units) and returns the message V8 throws
(v8/src/common/message-template.h, the ``JsonParse*`` templates). It only runs on a text
Python's parser refused.
"""

from __future__ import annotations

import struct

_EOS = "EOS"
_NUMBER = "NUMBER"
_STRING = "STRING"
_ILLEGAL = "ILLEGAL"
_WHITESPACE = "WHITESPACE"
_TOKENS = {
    '"': _STRING,
    "-": _NUMBER,
    "[": "LBRACK",
    "{": "LBRACE",
    "]": "RBRACK",
    "}": "RBRACE",
    "t": "TRUE",
    "f": "FALSE",
    "n": "NULL",
    " ": _WHITESPACE,
    "\t": _WHITESPACE,
    "\r": _WHITESPACE,
    "\n": _WHITESPACE,
    ":": "COLON",
    ",": "COMMA",
    **dict.fromkeys("0123456789", _NUMBER),
}
_LITERALS = {"TRUE": "true", "FALSE": "false", "NULL": "null"}
_NUMBER_PART = frozenset("0123456789.eE-+")
_SIMPLE_ESCAPES = frozenset('"\\/bfnrt')
_HEX = frozenset("0123456789abcdefABCDEF")
# JsonParser::IsSpecialString: sources quoted whole, without the unexpected character.
_SPECIAL = frozenset({"[object Object]", "undefined", "Infinity", "NaN"})
_CONTEXT = 10  # kMaxContextCharacters

_PROP_NAME_OR_RBRACE = "Expected property name or '}' in JSON at position %"
_COMMA_OR_RBRACK = "Expected ',' or ']' after array element in JSON at position %"
_COMMA_OR_RBRACE = "Expected ',' or '}' after property value in JSON at position %"
_COLON = "Expected ':' after property name in JSON at position %"
_DOUBLE_QUOTED_NAME = "Expected double-quoted property name in JSON at position %"
_UNTERMINATED_STRING = "Unterminated string in JSON at position %"
_CONTROL_CHARACTER = "Bad control character in string literal in JSON at position %"
_UNICODE_ESCAPE = "Bad Unicode escape in JSON at position %"
_ESCAPED_CHARACTER = "Bad escaped character in JSON at position %"
_NO_NUMBER_AFTER_MINUS = "No number after minus sign in JSON at position %"
_EXPONENT_MISSING = "Exponent part is missing a number in JSON at position %"
_UNTERMINATED_FRACTION = "Unterminated fractional number in JSON at position %"
_AFTER_JSON = "Unexpected non-whitespace character after JSON at position %"


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _code_units(text: str) -> str:
    """``text`` with each astral character as its two UTF-16 surrogates, as V8 indexes it."""
    if all(ord(ch) <= 0xFFFF for ch in text):
        return text
    data = text.encode("utf-16-le", "surrogatepass")
    return "".join(map(chr, struct.unpack(f"<{len(data) // 2}H", data)))


def _joined(text: str) -> str:
    """Surrogate pairs back into characters (lone surrogates stay)."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def refusal(text: str) -> str | None:
    """The message of V8's ``SyntaxError`` for ``JSON.parse(text)``; None if V8 takes it."""
    try:
        _Parser(_code_units(text)).parse()
    except _Refused as refused:
        return _joined(refused.message)
    return None


class _Parser:
    def __init__(self, source: str) -> None:
        self.s = source
        self.i = 0
        self.next = _EOS

    # -- characters and tokens ---------------------------------------------------------------

    def char(self) -> str | None:
        return self.s[self.i] if self.i < len(self.s) else None

    def advance_char(self) -> str | None:
        self.i += 1
        return self.char()

    @staticmethod
    def token(ch: str | None) -> str:
        if ch is None:
            return _EOS
        return _TOKENS.get(ch, _ILLEGAL)  # also every character past Latin-1

    def skip_whitespace(self) -> str:
        while (ch := self.char()) is not None and _TOKENS.get(ch) == _WHITESPACE:
            self.i += 1
        self.next = self.token(self.char())
        return self.next

    def check(self, token: str) -> bool:
        if self.skip_whitespace() != token:
            return False
        self.i += 1
        return True

    def expect(self, token: str, template: str | None = None) -> None:
        if self.next == token:
            self.i += 1
        else:
            self.report(self.next, template)

    def expect_next(self, token: str, template: str | None = None) -> None:
        self.skip_whitespace()
        self.expect(token, template)

    # -- errors ------------------------------------------------------------------------------

    def report(self, token: str, template: str | None = None) -> None:
        """ReportUnexpectedToken: the message for ``token`` at the current position."""
        pos = self.i
        if template is not None:
            raise _Refused(template.replace("%", str(pos)))
        if token == _EOS:
            raise _Refused("Unexpected end of JSON input")
        if token == _NUMBER:
            raise _Refused(f"Unexpected number in JSON at position {pos}")
        if token == _STRING:
            raise _Refused(f"Unexpected string in JSON at position {pos}")
        source = self.s
        if source in _SPECIAL:
            raise _Refused(f'"{source}" is not valid JSON')
        ch = source[pos]
        if len(source) < 2 * _CONTEXT + 1:
            quoted = f'"{source}"'
        elif pos < _CONTEXT:
            quoted = f'"{source[: pos + _CONTEXT]}"...'
        elif pos < len(source) - _CONTEXT:
            quoted = f'..."{source[pos - _CONTEXT : pos + _CONTEXT]}"...'
        else:
            quoted = f'..."{source[pos - _CONTEXT :]}"'
        raise _Refused(f"Unexpected token '{ch}', {quoted} is not valid JSON")

    def report_character(self, ch: str | None) -> None:
        """ReportUnexpectedCharacter: the token the character would start."""
        self.report(self.token(ch))

    # -- the grammar -------------------------------------------------------------------------

    def parse(self) -> None:
        """JsonParser::ParseJson, then ParseJsonValue's loops with an explicit stack."""
        stack: list[str] = []
        while True:
            while True:  # produce a value
                token = self.skip_whitespace()
                if token == _STRING:
                    self.i += 1
                    self.scan_string()
                elif token == _NUMBER:
                    self.parse_number()
                elif token == "LBRACE":
                    self.i += 1
                    if self.check("RBRACE"):
                        break
                    stack.append("object")
                    self.expect_next(_STRING, _PROP_NAME_OR_RBRACE)
                    self.scan_string()
                    self.expect_next("COLON", _COLON)
                    continue
                elif token == "LBRACK":
                    self.i += 1
                    if self.check("RBRACK"):
                        break
                    stack.append("array")
                    continue
                elif token in _LITERALS:
                    self.scan_literal(_LITERALS[token])
                else:
                    self.report_character(self.char())
                break
            while True:  # consume it
                if not stack:
                    if not self.check(_EOS):
                        self.report(self.next, _AFTER_JSON)
                    return
                if stack[-1] == "object":
                    if self.check("COMMA"):
                        self.expect_next(_STRING, _DOUBLE_QUOTED_NAME)
                        self.scan_string()
                        self.expect_next("COLON")
                        break
                    self.expect("RBRACE", _COMMA_OR_RBRACE)
                else:
                    if self.check("COMMA"):
                        break
                    self.expect("RBRACK", _COMMA_OR_RBRACK)
                stack.pop()

    def scan_literal(self, word: str) -> None:
        remaining = len(self.s) - self.i
        if self.s.startswith(word, self.i):
            self.i += len(word)
            return
        self.i += 1
        for expected in word[1 : 1 + min(len(word) - 1, remaining - 1)]:
            if self.s[self.i] != expected:
                self.report_character(self.s[self.i])
            self.i += 1
        self.report(_EOS)

    def scan_string(self) -> None:
        """ScanJsonString, from just after the opening quote (property names alike)."""
        while True:
            while (ch := self.char()) is not None and not (ch in '"\\' or ch < " "):
                self.i += 1
            if ch is None:
                self.report(_ILLEGAL, _UNTERMINATED_STRING)
                return
            if ch == '"':
                self.i += 1
                return
            if ch == "\\":
                escaped = self.advance_char()
                if escaped is None or ord(escaped) > 0xFF:
                    self.report_character(escaped)
                elif escaped in _SIMPLE_ESCAPES:
                    self.i += 1
                elif escaped == "u":
                    for _ in range(4):
                        digit = self.advance_char()
                        if digit is None or digit not in _HEX:
                            self.report(_ILLEGAL, _UNICODE_ESCAPE)
                    self.i += 1
                else:
                    self.report(_ILLEGAL, _ESCAPED_CHARACTER)
                continue
            self.report(_ILLEGAL, _CONTROL_CHARACTER)

    def parse_number(self) -> None:
        ch = self.char()
        negative = ch == "-"
        if negative:
            ch = self.advance_char()
        if ch == "0":
            ch = self.advance_char()
            if ch is not None and ch in _NUMBER_PART:
                if ch.isascii() and ch.isdigit():
                    self.report(_NUMBER)
            elif not negative:
                return
        else:
            start = self.i
            self.skip_digits()
            if self.i == start:
                self.report(_ILLEGAL, _NO_NUMBER_AFTER_MINUS)
            ch = self.char()
            if self.i - start <= 9 and (ch is None or ch not in _NUMBER_PART):
                return  # a small integer, done
        if self.char() == ".":
            if not _is_digit(self.advance_char()):
                self.report(_ILLEGAL, _UNTERMINATED_FRACTION)
            self.skip_digits()
        if self.char() in ("e", "E"):
            ch = self.advance_char()
            if ch in ("-", "+"):
                ch = self.advance_char()
            if not _is_digit(ch):
                self.report(_ILLEGAL, _EXPONENT_MISSING)
            self.skip_digits()

    def skip_digits(self) -> None:
        while _is_digit(self.char()):
            self.i += 1


def _is_digit(ch: str | None) -> bool:
    return ch is not None and "0" <= ch <= "9"
