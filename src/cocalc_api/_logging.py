"""`COCALC_LOG=debug` (or `info`) turns on the `cocalc_api` logger, like OPENAI_LOG does.

Log records name the method, the outcome and the time taken; never a header or the key.
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
