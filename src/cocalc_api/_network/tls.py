"""One certificate context for every client the SDK makes itself.

httpx2 builds a new `ssl.SSLContext` for each client, and loading the trusted certificates
takes about 20 ms of CPU, so `Project()` cost 20 ms even for an `http://` host. The default
clients now share the context httpx2 would build (httpcore2's `default_ssl_context()`), made
on first use. `SSL_CERT_FILE` and `SSL_CERT_DIR` choose which certificates it trusts, so a
context is kept per value of the two. A client passed in as `http_client` keeps its own, and
so does a `DefaultHttpxClient` given settings that change the context (`verify`, `cert`,
`trust_env=False`) or HTTP/2: httpcore2 sets the ALPN protocols on the context it is given,
and every client sharing this one speaks HTTP/1.1 only.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx2

# httpx2's CertTypes (private there): a certificate file, with its key file and password.
Cert = str | tuple[str, str] | tuple[str, str, str]


def default_ssl_context() -> ssl.SSLContext:
    """The context `httpx2.Client()` would make now, shared while the environment agrees."""
    return _context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=8)
def _context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The two values are the cache key; httpx2 reads them from the environment itself.
    return httpx2.create_ssl_context()


def ssl_context_for(
    verify: ssl.SSLContext | str | bool, cert: Cert | None, *, trust_env: bool, http2: bool
) -> ssl.SSLContext:
    """The context an httpx2 client made with these settings would use: the shared one when
    they are httpx2's defaults, otherwise the one httpx2 makes for them."""
    if verify is True and cert is None and trust_env and not http2:
        return default_ssl_context()
    return httpx2.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)
