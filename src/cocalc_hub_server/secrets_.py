"""API key secrets and their hashes, in the real site's formats.

A key is ``sk-`` + 16 random letters and digits + its ``api_keys.id`` in six base-62 digits
(src/packages/server/api/manage.ts, createApiKey); the table keeps only a password hash of it,
``sha512$<salt>$1000$<hex>`` as the password-hash package makes it (1000 chained HMACs,
src/packages/backend/auth/password-hash.ts).
"""

from __future__ import annotations

import hmac
import secrets
import string

API_KEY_PREFIX = "sk-"
# base62/lib/ascii's alphabet.
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
# random-key's generate() draws from these.
_RANDOM_KEY = string.ascii_letters + string.digits
_HASH_ALGORITHM = "sha512"
_HASH_ITERATIONS = 1000
_HASH_SALT_LENGTH = 32
MAX_SERIAL = 2147483647


def random_key(length: int) -> str:
    return "".join(secrets.choice(_RANDOM_KEY) for _ in range(length))


def encode62(n: int) -> str:
    digits = ""
    while True:
        n, rest = divmod(n, 62)
        digits = _BASE62[rest] + digits
        if n == 0:
            return digits.rjust(6, "0")


def decode62(text: str) -> int | None:
    value = 0
    for char in text:
        digit = _BASE62.find(char)
        if digit < 0:
            return None
        value = value * 62 + digit
    return value


def new_secret(key_id: int) -> str:
    return f"{API_KEY_PREFIX}{random_key(16)}{encode62(key_id)}"


def truncated(secret: str) -> str:
    """What the key list shows of a key (manage.ts: ``trunc``)."""
    return secret[:3] + "..." + secret[-6:]


def _chain(salt: str, iterations: int, password: str) -> str:
    digest = password
    for _ in range(iterations):
        digest = hmac.new(salt.encode(), digest.encode(), _HASH_ALGORITHM).hexdigest()
    return digest


def password_hash(password: str) -> str:
    salt = random_key(_HASH_SALT_LENGTH)
    digest = _chain(salt, _HASH_ITERATIONS, password)
    return f"{_HASH_ALGORITHM}${salt}${_HASH_ITERATIONS}${digest}"


def verify_password(password: str, stored: str | None) -> bool:
    parts = (stored or "").split("$")
    if len(parts) != 4 or parts[0] != _HASH_ALGORITHM or not parts[2].isdigit():
        return False
    _, salt, iterations, digest = parts
    return hmac.compare_digest(_chain(salt, int(iterations), password), digest)
