"""``shell_escape`` against the test vectors of npm shell-escape 0.2.0 (the version CoCalc locks,
src/packages/pnpm-lock.yaml), which builds the command line of ``exec`` with ``bash`` and ``args``."""

from __future__ import annotations

import subprocess

import pytest

from cocalc_project_server.exec_command import shell_escape

# shell-escape v0.2.0: test/simple.js, test/advanced.js and test/more.js.
PACKAGE_VECTORS = [
    (
        ["curl", "-v", "-H", "Location;", "-H", "User-Agent: dave#10",
         "http://www.daveeddy.com/?name=dave&age=24"],
        (
            "curl -v -H 'Location;' -H 'User-Agent: dave#10' "
            "'http://www.daveeddy.com/?name=dave&age=24'"
        ),
    ),
    (
        ["echo", "hello!", "how are you doing $USER", '"double"', "'single'"],
        "echo 'hello!' 'how are you doing $USER' '\"double\"' \\''single'\\'",
    ),
    (["echo", "hello\\nworld"], "echo 'hello\\nworld'"),
    (["echo", "hello\\tworld"], "echo 'hello\\tworld'"),
    (["echo", "\thello\nworld'"], "echo '\thello\nworld'\\'"),
    (["echo", "hello  world"], "echo 'hello  world'"),
    (["echo", "hello", "world"], "echo hello world"),
    (["echo", "hello\\\\'", "'\\\\'world"], "echo 'hello\\\\'\\' \\''\\\\'\\''world'"),
    (["echo", "hello", "world\\"], "echo hello 'world\\'"),
]  # fmt: skip


@pytest.mark.parametrize(("words", "expected"), PACKAGE_VECTORS)
def test_package_vectors(words: list[str], expected: str) -> None:
    assert shell_escape(words) == expected


def test_words_outside_the_safe_set_are_quoted_and_empty_words_vanish() -> None:
    # The safe set is [A-Za-z0-9_/-]: a dot is quoted (Python's shlex.join would not).
    assert shell_escape(["ls", "nonexist.y"]) == "ls 'nonexist.y'"
    assert shell_escape(["ls", "", "a"]) == "ls  a"


@pytest.mark.parametrize(
    "word", ["", "plain", "it's", "''", "a'b'c", "\\'", "$(x) `y` *", "new\nline", "ü ß"]
)
def test_bash_reads_back_the_word(word: str) -> None:
    line = shell_escape(["printf", "%s|", word])
    out = subprocess.run(["bash", "-c", line], check=True, capture_output=True, text=True).stdout
    # An empty word disappears from the command line, so printf gets no argument for it.
    assert out == ("|" if word == "" else f"{word}|")
