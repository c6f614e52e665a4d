"""JSON.parse's SyntaxError texts as V8 words them (Node 20, which the real project runs), for
editor.jupyterStripNotebook and editor.jupyterRunNotebook.

Expected texts: the JsonParse* templates of v8/src/common/message-template.h, placed as
v8/src/json/json-parser.cc reports them (the first error, positions in UTF-16 code units,
the character and up to 10 either side quoted for an unexpected token).
"""

from __future__ import annotations

import pytest

from cocalc_project_server.errors import WireError
from cocalc_project_server.jsjson import parse
from cocalc_project_server.v8json import refusal


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # ScanLiteral: a wrong letter is an unexpected token, running out is the end of input.
        ("nope", "Unexpected token 'o', \"nope\" is not valid JSON"),
        ("tru", "Unexpected end of JSON input"),
        ("nul1", "Unexpected number in JSON at position 3"),
        ("{a:1}", "Expected property name or '}' in JSON at position 1"),
        ("{", "Expected property name or '}' in JSON at position 1"),
        ('{"a":1,}', "Expected double-quoted property name in JSON at position 7"),
        ('{"a" 1}', "Expected ':' after property name in JSON at position 5"),
        ('{"a":1 "b":2}', "Expected ',' or '}' after property value in JSON at position 7"),
        ("[1 2]", "Expected ',' or ']' after array element in JSON at position 3"),
        ("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON"),
        ("01", "Unexpected number in JSON at position 1"),
        ('"abc', "Unterminated string in JSON at position 4"),
        ('"a\tb"', "Bad control character in string literal in JSON at position 2"),
        ('"\\x"', "Bad escaped character in JSON at position 2"),
        ('"\\u12g4"', "Bad Unicode escape in JSON at position 5"),
        ("-", "No number after minus sign in JSON at position 1"),
        ("1.", "Unterminated fractional number in JSON at position 2"),
        ("1e+", "Exponent part is missing a number in JSON at position 3"),
        ('{"a":1}}', "Unexpected non-whitespace character after JSON at position 7"),
        ("", "Unexpected end of JSON input"),
        ('["x", "y" "z"]', "Expected ',' or ']' after array element in JSON at position 10"),
        ('[1, "a":', "Expected ',' or ']' after array element in JSON at position 7"),
        # IsSpecialString: the whole text is quoted, without the character.
        ("NaN", '"NaN" is not valid JSON'),
        ("undefined", '"undefined" is not valid JSON'),
        # 21 characters or more: 10 of context either side, with ellipses where cut.
        (
            '{"aaaaaaaaaaaaaaaaaaaaa": xyz}',
            'Unexpected token \'x\', ..."aaaaaaa": xyz}" is not valid JSON',
        ),
        ("[00000000000000000000000", "Unexpected number in JSON at position 2"),
        ("x" + " " * 30, "Unexpected token 'x', \"x         \"... is not valid JSON"),
        (" " * 30 + "x", "Unexpected token 'x', ...\"          x\" is not valid JSON"),
        # Positions count UTF-16 code units: the emoji is two.
        ('["😀", x]', 'Unexpected token \'x\', "["😀", x]" is not valid JSON'),
        ('"😀" x', "Unexpected non-whitespace character after JSON at position 5"),
    ],
)
def test_v8s_words_and_positions(text: str, message: str) -> None:
    assert refusal(text) == message
    with pytest.raises(WireError) as raised:
        parse(text)
    assert raised.value.message == f"SyntaxError: {message}"


@pytest.mark.parametrize("text", ['{"a": [1, -0, 2.5e-3, true, null, "\\u00e9"]}', "0", ' "x" '])
def test_what_v8_takes_is_parsed(text: str) -> None:
    assert refusal(text) is None
    parse(text)
