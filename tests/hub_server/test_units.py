"""Pieces without a server: the method table against the reference client, key formats,
the Jupyter cache key."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from cocalc_api_generated.hub.specs import BY_WIRE
from cocalc_hub_server import HubConfig
from cocalc_hub_server.app import create_app, open_site
from cocalc_hub_server.handlers import HUB_METHODS, MissingHandlerError, check_handlers
from cocalc_hub_server.handlers.jupyter import compute_hash
from cocalc_hub_server.secrets_ import decode62, encode62, password_hash, verify_password
from tests.conftest import REFERENCE_CLIENT_DIR


def _reference_wire_names() -> set[str]:
    """Every wire name the reference client (cocalc-api 0.5.1) sends, read from its source."""
    names: set[str] = set()
    for module in ("hub.py", "org.py"):
        text = (Path(REFERENCE_CLIENT_DIR) / module).read_text()
        names |= set(re.findall(r'@api_method\("([a-zA-Z]+\.[a-zA-Z]+)"', text))
        names |= set(re.findall(r'\.call\("([a-zA-Z]+\.[a-zA-Z]+)"', text))
    return names


def test_every_reference_hub_method_has_a_handler() -> None:
    names = _reference_wire_names()
    assert len(names) == 33  # 34 Python methods; db.query and projects.get share db.userQuery
    check_handlers(names)


def test_a_missing_handler_is_named() -> None:
    with pytest.raises(MissingHandlerError, match=r"purchases\.getBalance"):
        check_handlers(["system.ping", "purchases.getBalance"], HUB_METHODS)


def test_compute_hash_is_the_real_one() -> None:
    # src/packages/util/jupyter-api/compute-hash.ts, written out by hand.
    expected = hashlib.sha1(b'[["x=1"],"x","python3",null,"a.ipynb"]').hexdigest()
    assert compute_hash([" x=1\n"], "x ", "Python3", None, "a.ipynb") == expected


def test_key_id_digits_and_password_hash() -> None:
    # base62/lib/ascii: 0-9, A-Z, a-z; manage.ts pads to six digits.
    assert encode62(0) == "000000" and encode62(61) == "00000z" and encode62(62) == "000010"
    assert decode62("00000z") == 61
    stored = password_hash("sk-secret")
    # password-hash: algorithm$salt$iterations$hex (backend/auth/password-hash.ts settings).
    algorithm, salt, iterations, digest = stored.split("$")
    assert (algorithm, len(salt), iterations, len(digest)) == ("sha512", 32, "1000", 128)
    assert verify_password("sk-secret", stored) and not verify_password("sk-other", stored)


def test_the_hub_spec_is_served_whole() -> None:
    check_handlers(BY_WIRE)


def test_a_hub_missing_a_handler_does_not_start(tmp_path: Path) -> None:
    config = HubConfig(root=tmp_path)
    store, admin = open_site(config)
    try:
        partial = {name: m for name, m in HUB_METHODS.items() if name != "org.message"}
        with pytest.raises(
            MissingHandlerError, match=r"^no handler for the hub method\(s\) org\.message$"
        ):
            create_app(config, store, admin, methods=partial)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--api-key", "my-key"], "the API key must start with 'sk-'"),
        (["--host", "0.0.0.0"], "refusing to listen on non-loopback address"),
        (["--max-running-projects", "0"], "must be >= 1"),
    ],
)
def test_cli_refuses_before_starting(
    argv: list[str], complaint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cocalc_hub_server.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(["--root", str(tmp_path), *argv])
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err
