"""The SDK's types, as mypy --strict sees them: typing_cases.py checks clean, mistakes do not."""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path

import pytest

from cocalc_api_generated import project as generated_project
from cocalc_api_generated.resources import editor, sync, system
from tests import typing_cases
from tests.shared_mypy import run_mypy

CASES = Path(typing_cases.__file__)
ERROR_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<severity>error|note): (?P<message>.*)$")


@pytest.mark.timeout(90)
def test_typing_cases_check_clean(tmp_path_factory: pytest.TempPathFactory) -> None:
    result = run_mypy(tmp_path_factory, CASES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found in 1 source file")


def test_typing_cases_cover_every_method() -> None:
    """A method added to the spec must get its assert_type here too, sync and async."""
    sync_source = inspect.getsource(typing_cases.sync_methods)
    async_source = inspect.getsource(typing_cases.async_methods)
    namespaces = {"system": system.SystemMethods, "editor": editor.EditorMethods}
    namespaces["sync"] = sync.SyncMethods
    # Every namespace of the project is one of these (a new one must be added above).
    assert set(namespaces) == {
        name
        for name, value in vars(generated_project.ProjectMethods).items()
        if isinstance(value, property)
    }
    expected = [f"project.{name}(" for name in _public(generated_project.ProjectMethods)]
    for namespace, cls in namespaces.items():
        expected += [f"project.{namespace}.{name}(" for name in _public(cls)]
    assert len(expected) > 25
    assert [call for call in expected if call not in sync_source] == []
    assert [call for call in expected if f"await {call}" not in async_source] == []


def test_typing_cases_cover_every_hub_method() -> None:
    """Every method of the hub's table (and projects.get) has its case, sync and async."""
    from cocalc_api_generated.hub.hub import HubMethods
    from cocalc_api_generated.hub.specs import METHODS

    sync_source = inspect.getsource(typing_cases.hub_methods)
    async_source = inspect.getsource(typing_cases.async_hub_methods)
    expected = [f"hub.{m.namespace}.{m.python_name}(" for m in METHODS] + ["hub.projects.get("]
    namespaces = {n for n, v in vars(HubMethods).items() if isinstance(v, property)}
    assert {m.namespace for m in METHODS} == namespaces
    assert [call for call in expected if call not in sync_source] == []
    assert [call for call in expected if f"await {call}" not in async_source] == []


def _public(cls: type) -> list[str]:
    return [name for name, value in vars(cls).items() if callable(value) and name[0] != "_"]


MARKER = re.compile(r"# expect\[(?P<key>\w+)\]$")
# Each `# expect[key]` line must get exactly the errors EXPECTED[key], and no other line any.
MISTAKES = textwrap.dedent(
    """\
    from typing import assert_type

    import cocalc_api


    def mistakes(project: cocalc_api.Project) -> None:
        project.system.exec(command="ls")
        project.system.exec(comand="ls")  # expect[keyword]
        project.system.stop_jupyter_kernel(pid=1)
        project.system.stop_jupyter_kernel(pid="1")  # expect[pid]
        assert_type(project.ping(), dict[str, int])  # expect[ping]
        project.system.exec(command="ls", timeout="5")  # expect[timeout]
        project.system.jupyter_execute(input="1")  # expect[kernel]
        project.system.exec_status(async_get="j")  # expect[wire_name]
        out = project.system.exec(command="ls")
        out["stdot"]  # expect[stdot]
        for item in project.system.jupyter_execute(input="1", kernel="python3"):
            item["data"]  # expect[unnarrowed]
            if "data" in item:
                item["text"]  # expect[wrong_branch]
        out["job_id"]  # expect[blocking_job]
        project.system.listing(".")  # expect[keyword_only]
        project.system.configuration("mian")  # expect[aspect]
        project.editor.formatter_string(str="x", options={"parser": "python"})  # expect[wire_str]
        project.editor.jupyter_kernel_logo("python3", {"noCache": True})  # expect[logo_options]


    async def async_mistakes(project: cocalc_api.AsyncProject) -> None:
        await project.system.exec(comand="ls")  # expect[async_keyword]
        out = project.system.exec(command="ls")
        out["stdout"]  # expect[no_await]
        assert_type(await project.ping(), dict[str, int])  # expect[ping]
    """
)
EXPECTED = {
    "keyword": [
        (
            'Unexpected keyword argument "comand" for overloaded function "exec" of '
            '"SystemMethods"; did you mean "command"?  [call-overload]'
        )
    ],
    "pid": [
        (
            'Argument "pid" to "stop_jupyter_kernel" of "SystemMethods" has incompatible type '
            '"str"; expected "int"  [arg-type]'
        )
    ],
    "ping": ['Expression is of type "PingResult", not "dict[str, int]"  [assert-type]'],
    # exec is overloaded on async_call, so a wrong type matches no overload.
    "timeout": [
        (
            'No overload variant of "exec" of "SystemMethods" matches argument types "str", "str"  '
            "[call-overload]"
        )
    ],
    "kernel": [
        (
            'Missing positional argument "kernel" in call to "jupyter_execute" of '
            '"SystemMethods"  [call-arg]'
        )
    ],
    # The Python name is job_id; the wire name is not a parameter.
    "wire_name": [
        'Unexpected keyword argument "async_get" for "exec_status" of "SystemMethods"  [call-arg]'
    ],
    "stdot": ['TypedDict "ExecuteCodeOutput" has no key "stdot"  [typeddict-item]'],
    "unnarrowed": [
        f'TypedDict "{name}" has no key "data"  [typeddict-item]'
        for name in (
            "JupyterStreamOutput",
            "JupyterTruncationNotice",
            "JupyterErrorOutput",
            "JupyterClearOutput",
        )
    ],
    "wrong_branch": ['TypedDict "JupyterDataOutput" has no key "text"  [typeddict-item]'],
    # A blocking exec has no job; only `async_call=True` returns one.
    "blocking_job": ['TypedDict "ExecuteCodeOutput" has no key "job_id"  [typeddict-item]'],
    # An options object's properties are keyword-only.
    "keyword_only": ['Too many positional arguments for "listing" of "SystemMethods"  [call-arg]'],
    "aspect": [
        (
            'No overload variant of "configuration" of "SystemMethods" matches argument type '
            '"str"  [call-overload]'
        )
    ],
    # `str` is the wire name; its Python parameter is `text`.
    "wire_str": [
        'Unexpected keyword argument "str" for "formatter_string" of "EditorMethods"  [call-arg]'
    ],
    # The options object of the wire is not a Python argument: its properties are.
    "logo_options": [
        'Too many positional arguments for "jupyter_kernel_logo" of "EditorMethods"  [call-arg]',
        (
            'Argument 2 to "jupyter_kernel_logo" of "EditorMethods" has incompatible type '
            '"dict[str, bool]"; expected "bool | None"  [arg-type]'
        ),
    ],
    "async_keyword": [
        (
            'Unexpected keyword argument "comand" for overloaded function "exec" of '
            '"AsyncSystemMethods"; did you mean "command"?  [call-overload]'
        )
    ],
    "no_await": [
        'Value of type "Coroutine[Any, Any, ExecuteCodeOutput]" is not indexable  [index]'
    ],
}


@pytest.mark.timeout(90)
def test_mypy_reports_each_mistake(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    snippet = tmp_path / "mistakes.py"
    snippet.write_text(MISTAKES, encoding="utf-8")
    expected: dict[int, list[str]] = {}
    used: set[str] = set()
    for number, line in enumerate(MISTAKES.splitlines(), start=1):
        marker = MARKER.search(line)
        if marker:
            expected[number] = EXPECTED[marker["key"]]
            used.add(marker["key"])
    assert used == set(EXPECTED)

    result = run_mypy(tmp_path_factory, snippet)

    reported: dict[int, list[str]] = {}
    for line in result.stdout.splitlines():
        match = ERROR_LINE.match(line)
        if match and match["severity"] == "error":
            assert Path(match["path"]).name == snippet.name, line
            reported.setdefault(int(match["line"]), []).append(match["message"])
    assert reported == expected, result.stdout
    assert result.returncode == 1
    errors = sum(map(len, expected.values()))
    assert f"Found {errors} errors in 1 file" in result.stdout
