"""`COCALC_LOG=info` (or `debug`) turns on the `cocalc_api` logger, like OPENAI_LOG does.

At INFO: one line per attempt (method, outcome, time) and one per retry ("retrying in 0.62 s
(attempt 2 of 3) after APIConnectionError"). Records never hold a header or the key.
"""

from __future__ import annotations

import logging
import os

_configured = False


def configure_from_environment() -> None:
    global _configured
    if _configured:
        return
    _configured = True
    level = os.environ.get("COCALC_LOG", "").strip().upper()
    if level not in ("DEBUG", "INFO"):
        return
    logger = logging.getLogger("cocalc_api")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
