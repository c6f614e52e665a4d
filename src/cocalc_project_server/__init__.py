"""A local CoCalc project server: an emulator of the CoCalc project API that does the real work.

It speaks the wire protocol of the hosted service (``POST /api/conat/project`` with a JSON
envelope ``{"name", "args", "project_id", "timeout"}``, API-key auth, every outcome HTTP 200 with
either the bare result or ``{"error": "..."}``) and runs everything on this machine, like
LocalStack or moto's server mode: ``system.exec`` runs real commands in the project folder,
``system.jupyterExecute`` runs code on real Jupyter kernels, the file methods work on real
files, ``editor.*`` runs the real nbconvert and formatters, and the other methods behave as in
CoCalc. Point an SDK at it to test without a CoCalc account.

Run it::

    cocalc-project-server                      # or: python -m cocalc_project_server
    cocalc-project-server --port 8765 --root ~/scratch --api-key sk-local

On start it prints one line (and flushes), for scripts to parse::

    cocalc-project-server listening url=http://127.0.0.1:PORT api_key=sk-... project_id=UUID root=/path

Options (``cocalc-project-server --help`` gives the defaults):

- ``--host`` (default 127.0.0.1; a non-loopback address needs ``--allow-remote``),
  ``--port`` (default 0 = any free port);
- ``--api-key`` (default ``$COCALC_PROJECT_SERVER_API_KEY``, else a new random key; the flag
  is visible to every user via ``ps``, so the server warns and the variable is preferred),
  ``--project-id`` (default a new UUID), ``--root`` (the project's HOME; default a temporary
  folder removed at exit);
- ``--kernel-pool-size`` (warm kernels per kernel name, default 2), ``--max-kernels`` (kernels
  running at once, warm ones included, default 8), ``--max-request-bytes`` (default 1 MiB,
  as CoCalc's route; past it HTTP 413), ``--max-exec-output`` (characters of stdout and of
  stderr one exec call keeps, default 10 Mi), ``--max-jupyter-output`` (characters of output
  items one Jupyter call keeps, default 32 Mi), ``--async-jobs-max`` (finished async exec jobs
  kept, default 100);
- ``--header-timeout`` and ``--body-timeout`` (seconds a request's head, then its body, may
  take before the connection is closed; default 10 and 60), ``--max-connections`` (open
  connections at most, default 512 or fewer to fit the open-file limit);
- ``--log-level`` (default warning; a message repeated on stderr is shown once a minute).

SIGINT/SIGTERM stop it cleanly: calls in flight are answered with the real service's
"no subscribers" text, commands are killed and kernels shut down.

Nothing a server starts outlives it. Each server keeps a runtime folder,
``$TMPDIR/cocalc-project-server-<project_id>/<pid>-<random>/``, with the process groups of its
commands and the temporary folders it made (bash scripts, Jupyter connection files, a
temporary ``--root``) on record. If the server dies without cleaning up (SIGKILL, out of
memory), a watchdog process it started kills those groups and removes those folders at once;
whatever is still left is cleaned up at the next start of a server for the same project.
Servers of other projects, and live servers of the same project, are never touched.

From Python:

- :func:`cocalc_project_server.testing.running_server` starts it as a subprocess and yields
  ``url``, ``api_key``, ``project_id``, ``root`` (and ``endpoint``);
- :func:`cocalc_project_server.server.serve` runs it in the current event loop;
- :func:`cocalc_project_server.app.create_app` is the bare ASGI app.

Call it with any HTTP client::

    curl -s -u "$KEY:" -H 'Content-Type: application/json' \\
      -d '{"name": "system.exec", "args": [{"command": "echo hi"}]}' \\
      http://127.0.0.1:PORT/api/conat/project
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import ServerConfig

__all__ = ["ServerConfig"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the watchdog (``python -m cocalc_project_server.reaper``), one per
    # running project, imports this package too and must not load the server stack (150 ms
    # of imports per start, 10 ms without).
    if name == "ServerConfig":
        from .config import ServerConfig

        return ServerConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
