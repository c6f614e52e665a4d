"""The environment every project process (commands and kernels) starts with."""

from __future__ import annotations

import os
import sys
import sysconfig

from .config import API_KEY_ENV

# They would move `jupyter`'s and `ipykernel install --user`'s user folder out of the project's
# HOME, where the real kernelspec search (npm jupyter-paths, userDataDir) never looks.
_USER_DATA_OVERRIDES = ("JUPYTER_DATA_DIR", "XDG_DATA_HOME")


def server_tool_dirs() -> list[str]:
    """Where this server's Python keeps its commands (``python3``, ``jupyter``, ...)."""
    dirs = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    return list(dict.fromkeys(d for d in dirs if d))


def project_environment(root: str, project_id: str) -> dict[str, str]:
    """This server's environment with HOME pointing at the project folder.

    ``COCALC_PROJECT_ID`` is set as in a real project, so scripts can tell where they run.
    PATH starts with this server's Python tools: a CoCalc project's ``python3`` and ``jupyter``
    come with its image and have ipykernel and nbconvert, as the server's own do.
    """
    env = dict(os.environ)
    # The server's own key must not leak into user code.
    env.pop(API_KEY_ENV, None)
    for name in _USER_DATA_OVERRIDES:
        env.pop(name, None)
    env["HOME"] = root
    env["COCALC_PROJECT_ID"] = project_id
    inherited = [env["PATH"]] if env.get("PATH") else []
    env["PATH"] = os.pathsep.join([*server_tool_dirs(), *inherited])
    env.pop("PWD", None)
    return env
