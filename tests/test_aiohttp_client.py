"""`cocalc_api.DefaultAioHttpClient`, as the package offers it: loaded on first use, and a
clear error without the extra. The client's settings and failures are tested in
tests/test_http_clients.py; calls over it run in the fault suite (every fault ends in the same
typed exception as over the default client) and tests/test_live_server.py (cancellations).
"""

from __future__ import annotations

import subprocess
import sys


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_import_cocalc_api_leaves_aiohttp_unloaded_until_the_client_is_used() -> None:
    done = run_python(
        "import sys, cocalc_api\n"
        "assert 'aiohttp' not in sys.modules and 'httpx_aiohttp' not in sys.modules\n"
        "cocalc_api.DefaultAioHttpClient\n"
        "assert 'httpx_aiohttp' in sys.modules\n"
    )
    assert done.returncode == 0, done.stderr


def test_without_the_extra_the_error_says_what_to_install() -> None:
    # None in sys.modules is how Python says a module cannot be imported.
    done = run_python(
        "import sys\nsys.modules['httpx_aiohttp'] = None\nimport cocalc_api\n"
        "try:\n    cocalc_api.DefaultAioHttpClient\n"
        "except ModuleNotFoundError as error:\n    print(error.name, '|', error)\n"
    )
    assert done.returncode == 0, done.stderr
    name, message = done.stdout.strip().split(" | ")
    assert name.partition(".")[0] == "httpx_aiohttp"
    assert "pip install 'cocalc-sdk[aiohttp]'" in message
