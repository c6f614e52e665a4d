"""A local CoCalc project server: an emulator of the CoCalc project API that does the real work.

It speaks the wire protocol of the hosted service (``POST /api/conat/project`` with a JSON
envelope ``{"name", "args", "project_id", "timeout"}``, API-key auth, every outcome HTTP 200 with
either the bare result or ``{"error": "..."}``) and runs everything on this machine, like
LocalStack or moto's server mode: ``system.exec`` runs real commands in the project folder,
``system.jupyterExecute`` runs code on real Jupyter kernels, and ``system.ping``,
``system.test``, ``system.listJupyterKernels`` and ``system.stopJupyterKernel`` behave as in
CoCalc. Point an SDK at it to test without a CoCalc account.

Run it::

    cocalc-project-server                      # or: python -m cocalc_project_server
    cocalc-project-server --port 8765 --root ~/scratch --api-key sk-local

On start it prints one line (and flushes), for scripts to parse::

    cocalc-project-server listening url=http://127.0.0.1:PORT api_key=sk-... project_id=UUID root=/path

Options: ``--host`` (default 127.0.0.1; a non-loopback address needs ``--allow-remote``),
``--port`` (default 0 = any free port), ``--api-key`` (default ``$COCALC_PROJECT_SERVER_API_KEY``
or a new random key), ``--project-id`` (default a new UUID), ``--root`` (the project's HOME;
default a temporary folder removed at exit), ``--kernel-pool-size`` (warm kernels per kernel
name, default 2), ``--max-request-bytes`` (default 10 MiB), ``--log-level``. SIGINT/SIGTERM stop
it cleanly: commands are killed and kernels shut down.

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

from .config import ServerConfig

__all__ = ["ServerConfig"]
