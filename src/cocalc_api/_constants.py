"""Every number of the transport policy, in one place. docs/wire-protocol.md is the source of the
server's own numbers; the README's timeout table states the others."""

from __future__ import annotations

from cocalc_api_generated.specs import DEFAULT_ENVELOPE_TIMEOUT_MS

DEFAULT_HOST = "https://cocalc.com"

# The server ends a call after its envelope limit; 15 s when the envelope has none (the spec's
# RpcRequest.timeout default, from src/packages/server/api/project-bridge.ts).
SERVER_DEFAULT_ENVELOPE_S = DEFAULT_ENVELOPE_TIMEOUT_MS / 1000
# A command with no limit of its own (exec `timeout=0`) still has a finite call: this long,
# unless a client timeout is set. Longer work belongs in an async job.
UNLIMITED_COMMAND_ENVELOPE_S = 3600.0
# When the server enforces a method's own limit (exec kills the command), the envelope outlasts
# it by a grace of a quarter of the limit, between these bounds, so that the command's own
# outcome, not a 408, comes back.
MIN_GRACE_S = 1.0
MAX_GRACE_S = 5.0
# Our deadline outlasts the envelope by a margin of a quarter of it, between these bounds, so
# that the server's 408 arrives before our own timeout.
MIN_MARGIN_S = 2.0
MAX_MARGIN_S = 10.0
CONNECT_TIMEOUT_S = 10.0

DEFAULT_MAX_RETRIES = 2
# Statuses a proxy sends when trying again later may succeed.
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
# A server asking to wait longer than this gets its error raised instead of a long hang.
MAX_RETRY_AFTER_S = 60.0
# Backoff between attempts: 0.5, 1, 2, 4, 8 s, each plus up to 0.5 s of jitter.
INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0

# CoCalc's API routes are Next.js pages routes with the default body parser, which refuses a
# body of more than '1mb' (bytes.parse: 1 << 20 bytes, counted as received) with HTTP 413
# (next/src/server/api-utils/node/parse-body.ts). A larger call is refused before it is sent.
MAX_REQUEST_BYTES = 1 << 20

BODY_EXCERPT_CHARS = 500
# An answer is read up to this many bytes, counted after decompression (`max_response_bytes`):
# far above any real one, and it stops a gzip bomb or an endless answer long before the
# client's memory runs out.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# An error's str() shows this many characters of a longer text (`.message` keeps all of it).
MESSAGE_HEAD_CHARS = 2500
MESSAGE_TAIL_CHARS = 1500
