"""One certificate context for every client the SDK makes itself.

httpx2 builds a new `ssl.SSLContext` for each client, and loading the trusted certificates
takes about 20 ms of CPU, so `Project()` cost 20 ms even for an `http://` host. The default
clients now share the context httpx2 would build (httpcore2's `default_ssl_context()`), made
on first use. `SSL_CERT_FILE` and `SSL_CERT_DIR` choose which certificates it trusts, so a
context is kept per value of the two. A client passed in as `http_client` keeps its own.
Every default client speaks HTTP/1.1 only, so the ALPN protocols httpcore2 sets on the
context are the same for all of them.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx2


def default_ssl_context() -> ssl.SSLContext:
    """The context `httpx2.Client()` would make now, shared while the environment agrees."""
    return _context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=8)
def _context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The two values are the cache key; httpx2 reads them from the environment itself.
    return httpx2.create_ssl_context()
