"""`cocalc-mcp`'s command line (`cocalc_mcp.__main__`), in process: its settings and their
defaults (docs/mcp.md, "Settings"), the refusals that end it before it serves, and what it
serves over stdio and HTTP, with the transports replaced by ones that end at once.
tests/test_mcp.py runs the console script itself; this runs `main()` where mutation testing
can see it.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import mcp.server.stdio
import pytest
import uvicorn

from cocalc_api import AsyncHub, AsyncProject
from cocalc_mcp import __main__ as cli
from cocalc_mcp import _server

KEY = "sk-mcp-main-key-that-must-not-be-shown"
PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
HOST = "http://127.0.0.1:8123"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("COCALC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COCALC_API_KEY", KEY)
    monkeypatch.setenv("COCALC_PROJECT_ID", PROJECT)
    monkeypatch.setenv("COCALC_HOST", HOST)


def test_the_defaults_are_the_documented_ones() -> None:
    args = cli.parser().parse_args([])
    assert vars(args) == {
        "host": None,  # $COCALC_HOST, else https://cocalc.com (the SDK's settings)
        "project_id": None,
        "timeout": None,  # the server's 15 s
        "hub": False,
        "read_only": False,
        "max_answer_bytes": 16 * 1024 * 1024,
        "http": False,
        "bind": "127.0.0.1",
        "port": 8765,
        "path": "/mcp",
        "progress_interval": 1.0,
    }


def test_every_setting_is_taken() -> None:
    argv = ["--host", HOST, "--project-id", PROJECT, "--timeout", "2.5", "--hub", "--read-only"]
    argv += ["--max-answer-bytes", "1000", "--http", "--bind", "::1", "--port", "0"]
    argv += ["--path", "/x", "--progress-interval", "0.5"]
    assert vars(cli.parser().parse_args(argv)) == {
        "host": HOST,
        "project_id": PROJECT,
        "timeout": 2.5,
        "hub": True,
        "read_only": True,
        "max_answer_bytes": 1000,
        "http": True,
        "bind": "::1",
        "port": 0,
        "path": "/x",
        "progress_interval": 0.5,
    }


def test_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.parser().parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"cocalc-mcp {cli.__version__}\n"
    assert cli.parser().prog == "cocalc-mcp"


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "-inf", "abc", ""])
def test_seconds_must_be_a_positive_finite_number(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        cli.positive(text)
    assert str(refused.value) == f"must be a positive number of seconds, got {text!r}"


def test_positive_seconds_are_taken() -> None:
    assert cli.positive("0.001") == 0.001
    assert cli.positive("1e3") == 1000.0


@pytest.mark.parametrize("text", ["0", "-5", "1.5", "x", ""])
def test_bytes_must_be_a_positive_whole_number(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        cli.byte_count(text)
    assert str(refused.value) == f"must be a positive number of bytes, got {text!r}"


def test_positive_byte_counts_are_taken() -> None:
    assert cli.byte_count("1") == 1
    assert cli.byte_count("16777216") == 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("bind", "family"), [("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)]
)
def test_a_listening_socket_on_any_free_port(bind: str, family: int) -> None:
    try:
        sock = cli.listening_socket(bind, 0)
    except OSError as error:  # a machine without IPv6
        pytest.skip(str(error))
    with sock:
        assert sock.family == family and sock.type == socket.SOCK_STREAM
        assert sock.getsockname()[1] > 0 and not sock.getblocking()
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
        with socket.create_connection((bind, sock.getsockname()[1]), timeout=5):
            pass  # it accepts connections (the backlog takes this one)


def test_a_port_taken_is_oserror_and_closes_the_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[socket.socket] = []
    real = socket.socket

    def tracked(*args: Any) -> socket.socket:
        made.append(real(*args))
        return made[-1]

    with real() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(cli.socket, "socket", tracked)
        with pytest.raises(OSError) as failure:
            cli.listening_socket("127.0.0.1", taken.getsockname()[1])
    assert failure.value.errno == errno.EADDRINUSE
    assert made[0].fileno() == -1  # closed


def test_without_a_key_it_says_so_and_exits_2(
    env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in ("", "   "):
        monkeypatch.setenv("COCALC_API_KEY", key)
        assert cli.main([]) == 2
        assert capsys.readouterr().err == "cocalc-mcp: set COCALC_API_KEY to a CoCalc API key\n"


def test_a_bad_setting_is_one_line_and_exit_2(
    env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--host", "not a url"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("cocalc-mcp: ") and "not a url" in line


def test_a_port_taken_is_one_line_and_exit_1(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert cli.main(["--http", "--port", str(busy)]) == 1
    # As cocalc-project-server says it (its network.py): one line.
    in_use = f"[Errno {errno.EADDRINUSE}] {os.strerror(errno.EADDRINUSE)}"
    assert capsys.readouterr().err.splitlines() == [
        f"cocalc-mcp: cannot listen on 127.0.0.1:{busy}: {in_use}"
    ]


class Built:
    """build_server, recording what it was given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []
        real = _server.build_server

        def build(project: Any, **options: Any) -> Any:
            self.calls.append((project, options))
            return real(project, **options)

        monkeypatch.setattr(_server, "build_server", build)


def test_stdio_serves_the_project_then_closes_its_clients(
    env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = Built(monkeypatch)
    served: list[bool] = []
    closed: list[str] = []

    @asynccontextmanager
    async def stdio_server() -> AsyncIterator[tuple[Any, Any]]:
        read_send, read = anyio.create_memory_object_stream[Any](1)
        write, write_receive = anyio.create_memory_object_stream[Any](1)
        await read_send.aclose()  # the client leaves at once
        served.append(True)
        async with read, write, write_receive:
            yield read, write

    monkeypatch.setattr(mcp.server.stdio, "stdio_server", stdio_server)
    for kind, cls in (("project", AsyncProject), ("http", httpx2.AsyncClient)):
        real_exit = cls.__aexit__

        async def exit_(self: Any, *exc: Any, _kind: str = kind, _real: Any = real_exit) -> Any:
            closed.append(_kind)
            return await _real(self, *exc)

        monkeypatch.setattr(cls, "__aexit__", exit_)

    argv = ["--read-only", "--progress-interval", "0.25", "--timeout", "7"]
    assert cli.main(argv) == 0
    assert served == [True]
    ((project, options),) = built.calls
    assert isinstance(project, AsyncProject) and project.timeout == 7
    assert options == {
        "hub": None,
        "read_only": True,
        "progress_interval": 0.25,
        "secrets": [KEY],
    }
    assert closed == ["project", "http"]  # the clients first, then the HTTP client they share


def test_hub_alone_serves_the_hubs_tools(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCALC_PROJECT_ID")
    built = Built(monkeypatch)

    @asynccontextmanager
    async def stdio_server() -> AsyncIterator[tuple[Any, Any]]:
        read_send, read = anyio.create_memory_object_stream[Any](1)
        write, write_receive = anyio.create_memory_object_stream[Any](1)
        await read_send.aclose()
        async with read, write, write_receive:
            yield read, write

    monkeypatch.setattr(mcp.server.stdio, "stdio_server", stdio_server)
    assert cli.main(["--hub"]) == 0
    ((project, options),) = built.calls
    assert project is None and isinstance(options["hub"], AsyncHub)
    assert options["read_only"] is False and options["progress_interval"] == 1.0


@pytest.mark.parametrize(
    ("bind", "shown", "warned"),
    [("127.0.0.1", "127.0.0.1", False), ("::1", "[::1]", False), ("0.0.0.0", "0.0.0.0", True)],
)
def test_http_says_where_it_listens_and_warns_off_loopback(
    env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bind: str,
    shown: str,
    warned: bool,
) -> None:
    served: list[tuple[Any, Any]] = []

    async def serve(self: uvicorn.Server, sockets: list[socket.socket]) -> None:
        served.append((self.config, sockets))

    monkeypatch.setattr(uvicorn.Server, "serve", serve)
    try:
        code = cli.main(["--http", "--bind", bind, "--port", "0", "--path", "/tools"])
    except OSError as error:  # a machine without IPv6
        pytest.skip(str(error))
    if code == 1:
        pytest.skip(capsys.readouterr().err)
    assert code == 0
    ((config, (sock,)),) = served
    port = sock.getsockname()[1]
    assert (config.log_level, config.lifespan) == ("warning", "on")
    routes = [getattr(route, "path", None) for route in config.app.routes]
    assert "/tools" in routes
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == f"cocalc-mcp listening on http://{shown}:{port}/tools"
    warning = (
        f"cocalc-mcp: warning: {bind} is not a loopback address; whoever reaches it can call "
        "the tools (run commands in the project, change the account) with your API key"
    )
    assert (warning in err) is warned
    sock.close()


def test_a_keyboard_interrupt_ends_it_quietly(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.anyio, "run", interrupted)
    assert cli.main([]) == 0


async def test_opened_closes_the_clients_then_the_http_client() -> None:
    order: list[str] = []

    class Client:
        def __init__(self, name: str) -> None:
            self.name = name

        async def __aenter__(self) -> Client:  # noqa: PYI034
            order.append(f"open {self.name}")
            return self

        async def __aexit__(self, *exc: object) -> None:
            order.append(f"close {self.name}")

    async with cli.opened(Client("http"), Client("project"), None, Client("hub")):  # type: ignore[arg-type]
        order.append("serving")
    assert order == [
        "open http",
        "open project",
        "open hub",
        "serving",
        "close hub",
        "close project",
        "close http",
    ]


def test_the_package_gives_build_server_on_first_use_and_nothing_else() -> None:
    import cocalc_mcp

    assert cocalc_mcp.build_server is _server.build_server
    # Python's own words for a missing module attribute (as PEP 562 modules give them).
    with pytest.raises(AttributeError) as missing:
        cocalc_mcp.nope  # noqa: B018
    assert str(missing.value) == "module 'cocalc_mcp' has no attribute 'nope'"


def option_help(option: str) -> str:
    """What `cocalc-mcp --help` says of `option`, on one line."""
    text = " ".join(cli.parser().format_help().split())
    start = text.index(f" {option} ", text.index("options:"))
    end = text.find(" --", start + len(option) + 2)
    return text[start:end]


@pytest.mark.parametrize(
    ("option", "says"),
    [
        # docs/mcp.md's table of settings: each option's default (or what it does).
        ("--host", "https://cocalc.com"),
        ("--host", "COCALC_HOST"),
        ("--project-id", "COCALC_PROJECT_ID"),
        ("--timeout", "15 s"),
        ("--hub", "hub API's tools"),
        ("--read-only", "only the read-only tools"),
        ("--max-answer-bytes", "16 MiB"),
        ("--http", "streamable HTTP"),
        ("--bind", "127.0.0.1"),
        ("--port", "8765"),
        ("--path", "/mcp"),
        ("--progress-interval", "(default 1)"),
    ],
)
def test_help_says_what_the_docs_say_of_each_setting(option: str, says: str) -> None:
    assert says in option_help(option)


def test_help_says_the_key_comes_from_the_environment_only() -> None:
    # docs/mcp.md: the key is COCALC_API_KEY, never a flag.
    text = " ".join(cli.parser().format_help().split())
    assert "COCALC_API_KEY only" in text and "--api-key" not in text
