"""`--exit-with-parent`: the server stops as SIGTERM stops it once the process that started
it is gone. A test run killed outright (SIGKILL, a mutation tool's timeout) cannot stop the
servers its fixtures started; without this they ran on as orphans, with their kernels."""

from __future__ import annotations

import os
import signal
import threading
import time

POLL_S = 0.5


def exit_with_parent() -> None:
    """Watch the parent from a thread; when it is gone, send ourselves SIGTERM."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_S)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
