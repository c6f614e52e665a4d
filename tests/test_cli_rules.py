"""The command line's own rules, in this process and without a server (docs/cli.md): its help
lists every method of the spec, an error is one line, and without the `cli` extra it says what
to install. tests/test_cli.py runs the commands against the local server.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

import cocalc_api
from cocalc_api import cli
from cocalc_api.cli import _project as project_cli
from cocalc_api.cli import hub_main, main
from cocalc_api.cli._app import run as run_cli
from cocalc_api.cli._errors import one_line
from cocalc_api.cli._methods import find_method
from tests.test_cli import spec_methods
from tests.test_jobs_policy import GONE, PROJECT, Service, snapshot

PROG, HUB = "cocalc-project", "cocalc-hub"


def test_help_lists_every_method_of_the_spec_with_its_summary(
    spec: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())  # the help wraps long lines
    methods = " ".join(shown.partition("API methods:")[2].split())
    for namespace, python, summary in spec_methods(spec):
        command = f"{namespace} {python.replace('_', '-')}"
        assert f"{command} {' '.join(summary.split()[:3])}" in methods, command


@pytest.mark.parametrize(
    ("message", "line"),
    [
        ("first\nsecond", "ValueError: first\\nsecond"),
        ("first\r\nsecond\n", "ValueError: first\\nsecond"),  # a CRLF is one break
        ("  ", "ValueError"),
    ],
)
def test_an_error_is_one_line_its_breaks_shown_as_backslash_n(message: str, line: str) -> None:
    # docs/cli.md: "line breaks in a message show as `\n`".
    assert one_line(ValueError(message)) == line


@pytest.mark.parametrize("missing", ["click", "rich"])
@pytest.mark.parametrize(("run", "prog"), [(main, "cocalc-project"), (hub_main, "cocalc-hub")])
def test_without_the_cli_extra_the_command_says_what_to_install(
    run: Any,
    prog: str,
    missing: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # docs/cli.md: the command line is the `cli` extra (click, rich).
    for name in list(sys.modules):
        if name.startswith("cocalc_api.cli.") and name != "cocalc_api.cli._exit_codes":
            monkeypatch.delitem(sys.modules, name)
    for name in [n for n in sys.modules if n == missing or n.startswith(f"{missing}.")]:
        monkeypatch.delitem(sys.modules, name)

    class NotInstalled:  # as if it were not installed: Python's own error for a missing one
        @staticmethod
        def find_spec(fullname: str, *args: Any) -> None:
            if fullname.partition(".")[0] == missing:
                raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)

    monkeypatch.setattr(sys, "meta_path", [NotInstalled(), *sys.meta_path])
    assert run(["ping"]) == 2
    assert capsys.readouterr().err == (
        f"{prog}: the command line needs the 'cli' extra: pip install 'cocalc-sdk[cli]' "
        f"({missing} is missing)\n"
    )


def test_a_missing_module_that_is_not_the_extras_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(sys.modules):
        if name.startswith("cocalc_api.cli.") and name != "cocalc_api.cli._exit_codes":
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cocalc_api.cli._app", None)  # a broken installation
    with pytest.raises(ImportError):
        main(["ping"])


def documented_exit_codes() -> list[tuple[int, str]]:
    """docs/cli.md's table of exit codes."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text()
    table = text.partition("## Exit codes")[2]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", table, re.MULTILINE)
    return [(int(code), meaning) for code, meaning in rows]


def test_help_shows_the_exit_codes_docs_cli_md_lists(capsys: pytest.CaptureFixture[str]) -> None:
    for run in (main, hub_main):
        assert run(["--help"]) == 0
        shown = capsys.readouterr().out.partition("Exit codes")[2]
        listed = [
            (int(code), " ".join(meaning.split()))
            for code, meaning in re.findall(r"^\s+(\d+)  (.+)$", shown, re.MULTILINE)
        ]
        assert listed == documented_exit_codes()


@pytest.mark.parametrize(("script", "prog"), [("console_main", PROG), ("hub_console_main", HUB)])
def test_the_console_scripts_exit_with_the_commands_code(
    script: str, prog: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", [prog, "--no-such-option"])
    with pytest.raises(SystemExit) as done:
        getattr(cli, script)()
    assert done.value.code == 2  # docs/cli.md: bad command line
    assert capsys.readouterr().err.startswith(f"{prog}: No such option '--no-such-option'")


def test_a_methods_help_is_its_spec_entry(
    spec: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # docs/cli.md: a method's --help shows its documentation: the spec's summary and
    # description, the wire name, whether it is retried (the table's `retry`: safe means
    # read-only, both safe and idempotent are retried) and what it prints (`returns`).
    for entry in spec["x-cocalc-methods"]:
        namespace, function = entry["wire"].split(".", 1)
        python = entry.get("python") or re.sub(r"(?<!^)(?=[A-Z])", "_", function).lower()
        assert main([namespace, python, "--help"]) == 0
        shown = " ".join(capsys.readouterr().out.split())
        said = [entry["summary"], f"Calls `{entry['wire']}`"]
        said += [entry[key] for key in ("description", "returns") if entry.get(key)]
        packed = "".join(shown.split())  # click wraps lines, at hyphens too
        for text in said:
            assert "".join(text.split()) in packed, (entry["wire"], text)
        retry = entry["retry"]
        assert ("retried on transient failures" in shown) == (retry != "unsafe"), entry["wire"]
        assert ("(read-only, retried" in shown) == (retry == "safe"), entry["wire"]
        if retry == "idempotent":
            assert "(idempotent, retried" in shown, entry["wire"]


def test_a_namespaces_help_lists_its_methods_with_their_whole_summaries(
    spec: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    by_namespace: dict[str, list[tuple[str, str]]] = {}
    for namespace, python, summary in spec_methods(spec):
        by_namespace.setdefault(namespace, []).append((python.replace("_", "-"), summary))
    for namespace, methods in by_namespace.items():
        assert main([namespace, "--help"]) == 0
        packed = "".join(capsys.readouterr().out.split())
        for command, summary in methods:
            assert "".join(f"{command} {summary}".split()) in packed, (namespace, command)


def test_a_methods_help_ends_with_what_it_prints_then_its_arguments_from_the_spec(
    spec: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # docs/cli.md: a method's --help shows what it prints and each argument with the spec's
    # description of it.
    methods: dict[str, dict[str, Any]] = {}
    for entry in spec["x-cocalc-methods"]:
        methods.setdefault(entry["wire"], entry)  # exec_status shares exec's wire name
    command = spec["components"]["schemas"]["ExecOptions"]["properties"]["command"]
    (path,) = methods["system.realpath"]["args"]
    for argv, wire, arguments in (
        (["system", "ping"], "system.ping", []),
        (["system", "realpath"], "system.realpath", [f"PATH: {path['description']}"]),
        (["system", "exec"], "system.exec", [f"COMMAND: {command['description']}"]),
    ):
        assert main([*argv, "--help"]) == 0
        shown = capsys.readouterr().out.partition("\nOptions:")[0]
        prints, _, listed = shown.partition("\n  Arguments:\n")
        assert packed(prints).endswith(packed(f"Prints: {methods[wire]['returns']}")), argv
        assert packed(listed) == packed(" ".join(arguments)), argv


@pytest.mark.parametrize(("run", "title"), [(main, "project API"), (hub_main, "hub API")])
def test_a_namespaces_help_says_whose_methods_it_lists(
    run: Any, title: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = " ".join(DOCS.read_text(encoding="utf-8").split())
    (said,) = re.findall(r'says "(The `system\.\*` methods of the project API, [^"]+)"', text)
    assert run(["--help"]) == 0
    listed = capsys.readouterr().out.partition("API methods:")[2].partition("\n\n")[0]
    namespaces = set(re.findall(r"^  (\w+) ", listed, re.MULTILINE))  # not wrapped lines
    assert "system" in namespaces
    for namespace in namespaces:
        page = help_of(capsys, namespace, run=run)
        expected = said.replace("system", namespace).replace("project API", title)
        assert packed(page["description"]) == packed(expected), namespace


def test_a_method_the_spec_lacks_is_named_in_the_error() -> None:
    with pytest.raises(LookupError, match=r"system\.no_such_method"):
        find_method([], "system", "no_such_method")


# -- the jobs commands' help, as docs/cli.md gives it ----------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def packed(text: str) -> str:
    """Text without its white space: click wraps help lines, at hyphens too."""
    return "".join(text.split())


def help_of(capsys: pytest.CaptureFixture[str], *argv: str, run: Any = main) -> dict[str, Any]:
    """A --help page in parts: usage, description, options (declaration: help) and commands."""
    assert run([*argv, "--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    usage = lines[0]
    options_at = lines.index("Options:")
    sections: dict[str, dict[str, str]] = {"Options:": {}, "Commands:": {}}
    entries: dict[str, str] = {}
    last = ""
    for line in lines[options_at:]:
        if line in sections:
            entries = sections[line]
        elif re.match(r"^  \S", line):  # a new entry: its name, two spaces, its help
            last, _, text = line.strip().partition("  ")
            entries[last] = text
        elif line.strip():
            entries[last] += " " + line.strip()
    return {
        "usage": usage,
        "description": " ".join(lines[1:options_at]),
        "options": sections["Options:"],
        "commands": sections["Commands:"],
    }


def test_the_jobs_commands_help_is_what_docs_cli_md_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = DOCS.read_text(encoding="utf-8")
    (group,) = re.findall(r"^`cocalc-project jobs --help`: (.+)$", text, re.MULTILINE)
    rows = re.findall(
        r"^\| `jobs (\w+) (\[OPTIONS\] .+?)` \| (.+?) \| (.+) \|$", text, re.MULTILINE
    )
    listed = {name: short for name, _, short, _ in rows}
    assert sorted(listed) == ["follow", "kill", "run", "start", "status", "wait"]
    option_rows = re.findall(r"^\| ((?:`\w+`(?:, )?)+) \| `(.+?)` \| (.+) \|$", text, re.MULTILINE)
    own: dict[str, dict[str, str]] = {name: {} for name in listed}
    for commands, option, meaning in option_rows:
        for name in re.findall(r"`(\w+)`", commands):
            own[name][option] = meaning

    jobs = help_of(capsys, "jobs")
    assert packed(jobs["description"]) == packed(group)
    assert {name: packed(short) for name, short in jobs["commands"].items()} == {
        name: packed(short) for name, short in listed.items()
    }
    for name, usage, _, description in rows:
        page = help_of(capsys, "jobs", name)
        assert page["usage"] == f"Usage: cocalc-project jobs {name} {usage}"
        assert packed(page["description"]) == packed(description), name
        options = {" ".join(o.split()): packed(h) for o, h in page["options"].items()}
        for option, meaning in own[name].items():
            assert options.get(option) == packed(meaning), (name, option)
        if name not in ("start", "run"):  # those take exec's options too
            assert set(options) == {*own[name], "-h, --help"}, name


@pytest.mark.parametrize(("run", "prog"), [(main, PROG), (hub_main, HUB)])
def test_the_options_before_the_subcommand_are_what_docs_cli_md_says(
    run: Any, prog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DOCS.read_text(encoding="utf-8")
    rows = re.findall(r"^\| ((?:`[\w-]+`(?:, )?)+) \| `(.+?)` \| (.+) \|$", text, re.MULTILINE)
    documented = {
        option: packed(meaning) for progs, option, meaning in rows if f"`{prog}`" in progs
    }
    assert "--api-key KEY" in documented
    shown = help_of(capsys, run=run)["options"]
    options = {" ".join(option.split()): packed(meaning) for option, meaning in shown.items()}
    assert options == {**documented, "-h, --help": packed("Show this message and exit.")}


# -- the jobs commands against a scripted service (tests/test_jobs_policy.py's) --------------


@pytest.fixture
def scripted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[[list[dict[str, Any] | str]], Service]:
    """cocalc-project's Project, made from its settings as always, over a scripted service."""

    def start(polls: list[dict[str, Any] | str]) -> Service:
        service = Service(polls)
        http = httpx2.Client(transport=httpx2.MockTransport(service))
        made = functools.partial(cocalc_api.Project, http_client=http, max_retries=0)
        monkeypatch.setattr(project_cli, "Project", made)
        return service

    monkeypatch.setenv("COCALC_API_KEY", "sk-test")
    monkeypatch.setenv("COCALC_HOST", "http://127.0.0.1:8123")
    monkeypatch.setenv("COCALC_PROJECT_ID", PROJECT)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))  # no job killed by jobs kill
    return start


def test_jobs_wait_polls_as_given_and_shows_progress_unless_told_not_to(
    scripted: Callable[[list[dict[str, Any] | str]], Service],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # docs/jobs.md: each waiting call lasts at most `poll` seconds (10 by default); docs/cli.md:
    # `jobs wait` shows a progress line on stderr, `--no-progress` (of the command or of
    # cocalc-project) silences it; off a terminal it is one plain line per update.
    final = snapshot("completed", stdout="done\n")
    for argv, limit, progress in (
        (["jobs", "wait", "j1", "--poll", "3"], 3000, True),
        (["--no-progress", "jobs", "wait", "j1"], 10000, False),
        (["--no-progress", "jobs", "wait", "j1", "--progress"], 10000, True),
    ):
        service = scripted([snapshot(), final])  # running, then ended
        assert main(argv) == 0
        out, err = capsys.readouterr()
        assert out == "done\n", argv
        shown = err.splitlines()
        assert shown[-1:] == (["job j1 · completed, exit code 0"] if progress else []), argv
        waits = [b["timeout"] for b in service.polls_seen if b["args"][0].get("async_await")]
        assert waits and set(waits) == {limit}, argv


@pytest.mark.parametrize("command", [["sleep 9"], ["--", "sleep", "9"]])
def test_jobs_run_names_the_command_of_a_job_that_is_gone(
    command: list[str],
    scripted: Callable[[list[dict[str, Any] | str]], Service],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # docs/jobs.md: asking about a job the project no longer has raises AsyncJobNotFoundError,
    # whose message says which job and why; docs/cli.md: exit 4 for an unknown job. A job the
    # command line started is named with its command as given.
    scripted([GONE])
    assert main(["jobs", "run", *command]) == 4
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("cocalc-project: AsyncJobNotFoundError: job j1 ('sleep 9') is gone: ")


SECRET = "sk-secret-in-the-url-0123"


@pytest.mark.parametrize(
    ("flags", "environment"),
    [(["--api-key", SECRET], "sk-other"), ([f"--api-key={SECRET}"], "sk-other"), ([], SECRET)],
    ids=["--api-key KEY", "--api-key=KEY", "COCALC_API_KEY"],
)
def test_the_key_never_shows_in_an_error_line(
    flags: list[str],
    environment: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # docs/cli.md: errors are one line, and never the key, wherever it was given. Here the
    # connection error names the URL, which holds the key.
    monkeypatch.setenv("COCALC_API_KEY", environment)
    host = f"http://127.0.0.1:1/{SECRET}"
    code = run_cli([*flags, "--host", host, "--project-id", PROJECT, "ping"])
    err = capsys.readouterr().err
    assert code == 5  # the host could not be reached (docs/cli.md exit codes)
    assert SECRET not in err
    assert "connection to http://127.0.0.1:1/<redacted>/" in err


def test_version_is_the_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    # docs/cli.md: `--version` prints the version and exits (0).
    from importlib.metadata import version

    assert run_cli(["--version"]) == 0
    assert capsys.readouterr().out == f"cocalc-project (cocalc-sdk) {version('cocalc-sdk')}\n"
