"""The environment every project process (commands and kernels) starts with."""

from __future__ import annotations

import os

from .config import API_KEY_ENV


def project_environment(root: str, project_id: str) -> dict[str, str]:
    """This server's environment with HOME pointing at the project folder.

    ``COCALC_PROJECT_ID`` is set as in a real project, so scripts can tell where they run.
    """
    env = dict(os.environ)
    # The server's own key must not leak into user code.
    env.pop(API_KEY_ENV, None)
    env["HOME"] = root
    env["COCALC_PROJECT_ID"] = project_id
    env.pop("PWD", None)
    return env
