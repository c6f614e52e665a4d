"""cocalc_api.safety: one spelling of a hidden secret, one loopback check."""

from __future__ import annotations

import pytest

from cocalc_api.safety import REDACTED, is_loopback, redact


def test_every_secret_is_hidden_with_one_spelling() -> None:
    text = "key sk-abc, token c2stYWJjOg==, again sk-abc"
    assert redact(text, ["sk-abc", "c2stYWJjOg==", ""]) == (
        f"key {REDACTED}, token {REDACTED}, again {REDACTED}"
    )
    assert REDACTED == "<redacted>"


def test_a_secret_holding_a_shorter_one_is_hidden_whole() -> None:
    # Were the short one replaced first, the rest of the long one would show.
    assert redact("sk-abcdef", ["abc", "sk-abcdef"]) == REDACTED


def test_no_secret_leaves_the_text_alone() -> None:
    assert redact("nothing to hide", []) == "nothing to hide"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        # RFC 1122 3.2.1.3: all of 127.0.0.0/8 is loopback; RFC 4291 2.5.3: ::1.
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("cocalc.com", False),
    ],
)
def test_loopback_without_a_lookup(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_a_name_counts_as_loopback_only_when_resolved() -> None:
    # .invalid never resolves (RFC 6761 6.4): a name that is not an address is not loopback.
    assert is_loopback("127.0.0.1.nip.invalid", resolve=True) is False
    assert is_loopback("localhost", resolve=True) is True
