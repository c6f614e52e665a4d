"""Socket helpers for the network tests: a port that never accepts, TLS contexts from one CA."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Iterator

import trustme


@contextlib.contextmanager
def unanswering(host: str, port: int) -> Iterator[int]:
    """A port whose listen queue is full: the kernel drops further SYNs, a connect hangs."""
    listener = socket.socket()
    listener.bind((host, port))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect((host, port))
        fillers.append(filler)
    time.sleep(0.1)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def tls_contexts(authority: trustme.CA) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for "localhost", and a client context trusting it."""
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(server)
    client = ssl.create_default_context()
    authority.configure_trust(client)
    return server, client
