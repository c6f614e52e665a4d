"""The generator: a valid spec in, the same bytes out every time, and new methods typed for free.

The slow part is generation itself (~2.5 s each: openapi-python-client, datamodel-codegen,
fastjsonschema, ruff), so every generated tree is a module-scoped fixture, made once.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate

from generator.build import PACKAGE, PINNED, generate_into
from generator.method_table import SpecError, load_spec, namespaces
from generator.render import render_package

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "spec" / "project-api.yaml"
COMMITTED = REPO / "generated" / PACKAGE
PROJECT_ID = "00000000-0000-4000-8000-000000000000"

# Generation runs external tools; give a slow machine room, but not pytest's 120 s default.
slow = pytest.mark.timeout(90)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root by relative path, without byte-code caches."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec(SPEC)


# -- the spec ------------------------------------------------------------------------------


def test_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_component_schemas_are_valid_json_schema_2020_12(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas
    for name, schema in schemas.items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as error:
            pytest.fail(f"components/schemas/{name}: {error.message}")


def test_schema_check_catches_a_broken_schema() -> None:
    # The check above is not vacuous: a misspelt type is rejected.
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.Draft202012Validator.check_schema({"type": "strin"})


def test_method_table_refs_resolve(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for entry in spec["x-cocalc-methods"]:
        for key in ("args", "result"):
            ref = entry[key].get("$ref")
            if ref is not None:
                assert ref.removeprefix("#/components/schemas/") in schemas, (entry["python"], ref)


def test_exceptions_named_in_the_spec_exist(spec: dict[str, Any]) -> None:
    # Docstrings are generated from the spec's prose; an error class it names must be importable.
    import cocalc_api

    prose = yaml.safe_dump(spec["x-cocalc-methods"])  # the docstrings' source
    named = set(re.findall(r"\b([A-Z][A-Za-z]+Error)\b", prose))
    assert named, "the spec names no error class at all"
    missing = sorted(name for name in named if not hasattr(cocalc_api, name))
    assert missing == [], missing


# -- determinism and --check ---------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = generate_into(SPEC, tmp_path_factory.mktemp("generate-a"))
    second = generate_into(SPEC, tmp_path_factory.mktemp("generate-b"))
    return first, second


@slow
def test_generation_is_deterministic(fresh_pair: tuple[Path, Path]) -> None:
    first, second = fresh_pair
    first_tree, second_tree = tree(first), tree(second)
    assert sorted(first_tree) == sorted(second_tree)
    differing = [name for name in first_tree if first_tree[name] != second_tree[name]]
    assert differing == []


@slow
def test_committed_output_is_what_the_spec_generates(fresh_pair: tuple[Path, Path]) -> None:
    fresh, committed = tree(fresh_pair[0]), tree(COMMITTED)
    assert sorted(fresh) == sorted(committed)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], "generated/ is stale; run `make generate`"


@slow
def test_cli_check_passes_on_committed_output() -> None:
    result = run_generator("--check")
    assert result.returncode == 0, result.stderr
    assert "matches" in result.stdout


@slow
def test_cli_check_names_every_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    package = out / PACKAGE
    shutil.copytree(COMMITTED, package, ignore=shutil.ignore_patterns("__pycache__"))
    # One byte changed, one file removed, one file added.
    methods = package / "methods.py"
    data = bytearray(methods.read_bytes())
    offset = data.index(b'wire_name="system.ping"') + len(b'wire_name="system.p')
    data[offset] = ord("u")  # system.ping -> system.pung
    methods.write_bytes(bytes(data))
    (package / "_validators" / "ping_result.py").unlink()
    (package / "extra.py").write_text("", encoding="utf-8")

    result = run_generator("--check", "--spec", str(SPEC), "--out", str(out))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "is stale" in result.stderr
    listed = sorted(line.strip() for line in result.stderr.splitlines()[1:] if line.strip())
    assert listed == ["_validators/ping_result.py", "extra.py", "methods.py"]


def test_cli_reports_a_broken_method_table_without_a_traceback(
    spec: dict[str, Any], tmp_path: Path
) -> None:
    broken = copy.deepcopy(spec)
    broken["x-cocalc-methods"][0]["python"] = "class"  # a keyword cannot be a method name
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")

    result = run_generator("--spec", str(path), "--out", str(tmp_path / "out"))

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "'class'" in result.stderr and str(path) in result.stderr
    assert not (tmp_path / "out").exists()  # the table is checked before anything is written


# -- headers -------------------------------------------------------------------------------

HEADER = re.compile(r"# Generated by `make generate` \((?P<tool>[^)]*)\) from (?P<source>\S+)\.\n")
EXPECTED_TOOL = {
    "openapi_client": f"openapi-python-client {PINNED['openapi-python-client']}",
    "typeddicts.py": f"datamodel-code-generator {PINNED['datamodel-code-generator']}",
    "_validators": f"fastjsonschema {PINNED['fastjsonschema']}",
}


def check_headers(package: Path, source: str) -> int:
    checked = 0
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        name = path.relative_to(package).as_posix()
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        match = HEADER.fullmatch(lines[0]) if lines else None
        assert match, f"{name} has no generated-file header: {lines[:1]}"
        assert match["source"] == source, name
        assert lines[1].startswith("# Do not edit by hand"), name
        expected = EXPECTED_TOOL.get(name.split("/")[0], "generator/templates")
        assert match["tool"] == expected, name
        checked += 1
    return checked


def test_every_committed_file_has_a_generated_header() -> None:
    assert check_headers(COMMITTED, "spec/project-api.yaml") > 20


# -- a method added to the spec ------------------------------------------------------------


def extend(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec plus `system.read_text_file` (inline result) and a new namespace `editor`."""
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    schemas["ReadTextFileOptions"] = {
        "type": "object",
        "description": "`args[0]` of `system.readTextFileFromProject`.",
        "required": ["path"],
        "additionalProperties": False,
        "properties": {
            "path": {"type": "string", "description": "Path of the file, relative to HOME."},
        },
    }
    schemas["NewFileOptions"] = {
        "type": "object",
        "required": ["path"],
        "additionalProperties": False,
        "properties": {"path": {"type": "string", "description": "Where to create it."}},
    }
    schemas["NewFileResult"] = {
        "type": "object",
        "required": ["path", "created"],
        "properties": {"path": {"type": "string"}, "created": {"type": "boolean"}},
    }
    spec["x-cocalc-methods"] += [
        {
            "wire": "system.readTextFileFromProject",
            "namespace": "system",
            "python": "read_text_file",
            "summary": "Read a text file of the project.",
            "description": "The file must be UTF-8.",
            "args": {"$ref": "#/components/schemas/ReadTextFileOptions"},
            "result": {"type": "string"},
            "returns": "The contents of the file.",
            "retry_safe": True,
        },
        {
            "wire": "editor.newFile",
            "namespace": "editor",
            "python": "new_file",
            "summary": "Create a file.",
            "args": {"$ref": "#/components/schemas/NewFileOptions"},
            "result": {"$ref": "#/components/schemas/NewFileResult"},
            "returns": "The path of the file and whether it was created.",
            "retry_safe": False,
        },
    ]
    return spec


@dataclass(frozen=True)
class Extended:
    root: Path
    out: Path  # holds cocalc_api_generated/, to put first on PYTHONPATH / MYPYPATH


@pytest.fixture(scope="module")
def extended(spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Extended:
    root = tmp_path_factory.mktemp("extended")
    spec_path = root / "project-api.yaml"
    spec_path.write_text(yaml.safe_dump(extend(spec), sort_keys=False), encoding="utf-8")
    out = root / "out"
    result = run_generator("--spec", str(spec_path), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return Extended(root=root, out=out)


def test_new_method_is_not_there_before() -> None:
    # So the tests below show the generator adding it, not something handwritten.
    for path in [*(REPO / "src" / "cocalc_api").rglob("*.py"), *COMMITTED.rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "read_text_file" not in text and "readTextFile" not in text, path


@slow
def test_new_method_files_have_headers(extended: Extended) -> None:
    assert check_headers(extended.out / PACKAGE, "project-api.yaml") > 20


RUNTIME_CHECK = textwrap.dedent(
    """
    import asyncio, inspect, json, sys

    import httpx

    import cocalc_api
    import cocalc_api_generated
    from cocalc_api_generated import methods

    PROJECT_ID = sys.argv[1]
    bodies = []
    answers = {"system.readTextFileFromProject": "hello\\n",
               "editor.newFile": {"path": "b.txt", "created": True}}

    def handler(request):
        body = json.loads(request.content)
        bodies.append(body)
        return httpx.Response(200, json=answers[body["name"]])

    def project(client=httpx.Client, cls=cocalc_api.Project):
        return cls("sk-test", host="http://localhost:5000", project_id=PROJECT_ID,
                   http_client=client(transport=httpx.MockTransport(handler)))

    def error(call):
        sent = len(bodies)
        try:
            call()
        except Exception as exc:
            return [type(exc).__name__, str(exc), len(bodies) - sent]
        return None

    p = project()
    report = {
        "generated_from": cocalc_api_generated.__file__,
        "sdk_from": cocalc_api.__file__,
        "result": p.system.read_text_file(path="a.txt"),
        "positional": p.system.read_text_file("a.txt"),
        "signature": str(inspect.signature(p.system.read_text_file)),
        "doc": inspect.getdoc(p.system.read_text_file),
        "editor_class": type(p.editor).__name__,
        "new_file": p.editor.new_file(path="b.txt"),
        "new_file_signature": str(inspect.signature(p.editor.new_file)),
        "retry_safe": [methods.SYSTEM_READ_TEXT_FILE.retry_safe,
                       methods.EDITOR_NEW_FILE.retry_safe],
        "bad_type": error(lambda: p.system.read_text_file(path=1)),
        "missing": error(lambda: p.system.read_text_file()),
        "unknown": error(lambda: p.system.read_text_file(path="a", mode="r")),
    }
    answers["system.readTextFileFromProject"] = 42
    report["bad_result"] = error(lambda: p.system.read_text_file(path="a.txt"))

    async def main():
        answers["system.readTextFileFromProject"] = "async"
        async with project(httpx.AsyncClient, cocalc_api.AsyncProject) as ap:
            report["async_result"] = await ap.system.read_text_file(path="c.txt")
            report["async_editor_class"] = type(ap.editor).__name__

    asyncio.run(main())
    report["bodies"] = bodies
    print(json.dumps(report))
    """
)


@pytest.fixture(scope="module")
def runtime_report(extended: Extended) -> dict[str, Any]:
    script = extended.root / "runtime_check.py"
    script.write_text(RUNTIME_CHECK, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(extended.out)}
    env.pop("COCALC_LOG", None)
    result = subprocess.run(
        [sys.executable, str(script), PROJECT_ID],
        cwd=extended.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@slow
def test_new_method_comes_from_the_new_package(
    extended: Extended, runtime_report: dict[str, Any]
) -> None:
    assert Path(runtime_report["generated_from"]).is_relative_to(extended.out)
    assert Path(runtime_report["sdk_from"]).is_relative_to(REPO / "src")


@slow
def test_new_method_sends_its_wire_name_and_returns_the_result(
    runtime_report: dict[str, Any],
) -> None:
    assert runtime_report["result"] == "hello\n"
    assert runtime_report["positional"] == "hello\n"
    assert runtime_report["bodies"][0] == {
        "name": "system.readTextFileFromProject",
        "args": [{"path": "a.txt"}],
        "project_id": PROJECT_ID,
    }
    assert runtime_report["retry_safe"] == [True, False]


@slow
def test_new_method_is_typed_and_documented(runtime_report: dict[str, Any]) -> None:
    assert runtime_report["signature"] == "(path: 'str') -> 'str'"
    doc = runtime_report["doc"]
    assert doc.startswith("Read a text file of the project.\n")
    assert "The file must be UTF-8." in doc
    assert "Calls `system.readTextFileFromProject` (safe to retry)." in doc
    assert "path: Path of the file, relative to HOME." in doc
    assert "str: The contents of the file." in doc


@slow
def test_new_namespace_appears_on_the_project(runtime_report: dict[str, Any]) -> None:
    assert runtime_report["editor_class"] == "EditorMethods"
    assert runtime_report["async_editor_class"] == "AsyncEditorMethods"
    assert runtime_report["new_file_signature"] == "(path: 'str') -> 'NewFileResult'"
    assert runtime_report["new_file"] == {"path": "b.txt", "created": True}
    assert {
        "name": "editor.newFile",
        "args": [{"path": "b.txt"}],
        "project_id": PROJECT_ID,
    } in runtime_report["bodies"]


@slow
def test_new_method_validates_before_sending(runtime_report: dict[str, Any]) -> None:
    kind, message, sent = runtime_report["bad_type"]
    assert (kind, sent) == ("InvalidArgumentError", 0)
    assert "read_text_file()" in message and "path" in message
    # Python's own argument checks apply too: they are real signatures.
    assert runtime_report["missing"][0] == "TypeError" and runtime_report["missing"][2] == 0
    assert runtime_report["unknown"][0] == "TypeError" and runtime_report["unknown"][2] == 0


@slow
def test_new_method_validates_its_result(runtime_report: dict[str, Any]) -> None:
    kind, message, sent = runtime_report["bad_result"]
    assert (kind, sent) == ("ResponseValidationError", 1)
    assert "system.readTextFileFromProject" in message


@slow
def test_new_method_works_on_async_project(runtime_report: dict[str, Any]) -> None:
    assert runtime_report["async_result"] == "async"
    assert runtime_report["bodies"][-1]["args"] == [{"path": "c.txt"}]


TYPED_USE = textwrap.dedent(
    """\
    from typing import assert_type

    import cocalc_api
    from cocalc_api_generated.typeddicts import NewFileResult


    def use(project: cocalc_api.Project) -> None:
        assert_type(project.system.read_text_file(path="x"), str)
        assert_type(project.editor.new_file(path="x"), NewFileResult)
        assert_type(project.editor.new_file(path="x")["created"], bool)


    async def use_async(project: cocalc_api.AsyncProject) -> None:
        assert_type(await project.system.read_text_file(path="x"), str)
    """
)
MISTYPED_USE = textwrap.dedent(
    """\
    from typing import assert_type

    import cocalc_api


    def use(project: cocalc_api.Project) -> None:
        assert_type(project.system.read_text_file(path="x"), int)
        project.system.read_text_file(path=1)
    """
)


@slow
def test_new_method_type_checks(extended: Extended) -> None:
    # MYPYPATH comes before the installed packages in mypy's search order, so the new package
    # shadows the committed one (whose path the editable install puts in site-packages). The
    # proof that it is really used: `read_text_file`, `editor` and NewFileResult exist only
    # there (test_new_method_is_not_there_before), yet typed_use.py checks clean.
    (extended.root / "typed_use.py").write_text(TYPED_USE, encoding="utf-8")
    (extended.root / "mistyped_use.py").write_text(MISTYPED_USE, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": os.pathsep.join([str(extended.out), str(REPO / "src")])}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--strict",
            "--cache-dir",
            str(extended.root / "mypy-cache"),
            "--no-color-output",
            "typed_use.py",
            "mistyped_use.py",
        ],
        cwd=extended.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert errors == [
        'mistyped_use.py:7: error: Expression is of type "str", not "int"  [assert-type]',
        (
            'mistyped_use.py:8: error: Argument "path" to "read_text_file" of "SystemMethods" '
            'has incompatible type "int"; expected "str"  [arg-type]'
        ),
    ], result.stdout + result.stderr
    assert result.returncode == 1


# -- method table errors -------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def method(spec: dict[str, Any], python: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(m for m in spec["x-cocalc-methods"] if m["python"] == python)
    return entry


def _timeout_param(spec: dict[str, Any]) -> None:
    method(spec, "exec")["timeout"]["param"] = "deadline"


def _timeout_unit(spec: dict[str, Any]) -> None:
    method(spec, "exec")["timeout"]["unit"] = "minutes"


def _duplicate_name(spec: dict[str, Any]) -> None:
    method(spec, "test")["python"] = "ping"


def _self_parameter(spec: dict[str, Any]) -> None:
    method(spec, "exec")["parameters"] = {"command": {"python": "self"}}


def _self_property(spec: dict[str, Any]) -> None:
    properties = spec["components"]["schemas"]["StopJupyterKernelOptions"]["properties"]
    properties["self"] = {"type": "integer"}


def _keyword_parameter(spec: dict[str, Any]) -> None:
    method(spec, "exec_status")["parameters"]["async_get"] = {"python": "async"}


def _private_parameter(spec: dict[str, Any]) -> None:
    method(spec, "exec_status")["parameters"]["async_get"] = {"python": "_args"}


def _unknown_override(spec: dict[str, Any]) -> None:
    method(spec, "exec_status")["parameters"]["async_wait"] = {"python": "wait"}


def _missing_key(spec: dict[str, Any]) -> None:
    del method(spec, "stop_jupyter_kernel")["retry_safe"]


def _inline_args(spec: dict[str, Any]) -> None:
    method(spec, "stop_jupyter_kernel")["args"] = {"type": "object"}


def _unknown_result(spec: dict[str, Any]) -> None:
    method(spec, "stop_jupyter_kernel")["result"] = {"$ref": "#/components/schemas/Nope"}


def _remote_ref(spec: dict[str, Any]) -> None:
    method(spec, "stop_jupyter_kernel")["result"] = {"$ref": "other.yaml#/Result"}


def _private_method(spec: dict[str, Any]) -> None:
    method(spec, "list_jupyter_kernels")["python"] = "_kernels"


def _empty_table(spec: dict[str, Any]) -> None:
    spec["x-cocalc-methods"] = []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_timeout_param, "x-cocalc-methods[exec]: timeout.param 'deadline' is not a parameter"),
        (_timeout_unit, "x-cocalc-methods[exec]: timeout.unit must be one of"),
        (_duplicate_name, "system.ping is defined twice"),
        (_self_parameter, "x-cocalc-methods[exec]: 'self' is not a usable Python parameter"),
        (_self_property, "x-cocalc-methods[stop_jupyter_kernel]: 'self' is not a usable"),
        (_keyword_parameter, "x-cocalc-methods[exec_status]: 'async' is not a usable"),
        (_private_parameter, "x-cocalc-methods[exec_status]: '_args' is not a usable"),
        (
            _unknown_override,
            (
                "x-cocalc-methods[exec_status]: parameters ['async_wait'] are not properties of "
                "ExecStatusOptions"
            ),
        ),
        (_missing_key, "x-cocalc-methods[stop_jupyter_kernel]: missing 'retry_safe'"),
        (_inline_args, "x-cocalc-methods[stop_jupyter_kernel]: args must be a $ref"),
        (_unknown_result, "x-cocalc-methods[stop_jupyter_kernel]: unknown schema 'Nope'"),
        (_remote_ref, "x-cocalc-methods[stop_jupyter_kernel]: only local component refs"),
        (_private_method, "x-cocalc-methods[_kernels]: '_kernels' is not a usable public"),
        (_empty_table, "x-cocalc-methods must be a non-empty list"),
    ],
    ids=lambda value: getattr(value, "__name__", "").strip("_") or None,
)
def test_bad_method_table_entry_is_a_clear_error(
    spec: dict[str, Any], mutate: Mutation, message: str
) -> None:
    broken = copy.deepcopy(spec)
    mutate(broken)
    with pytest.raises(SpecError) as raised:
        namespaces(broken)
    assert message in str(raised.value)


def test_the_spec_itself_passes_the_table_checks(spec: dict[str, Any]) -> None:
    tree = namespaces(spec)
    assert [ns.name for ns in tree] == ["system"]
    assert [m.python_name for m in tree[0].methods] == [
        "ping",
        "test",
        "exec",
        "exec_status",
        "jupyter_execute",
        "list_jupyter_kernels",
        "stop_jupyter_kernel",
    ]


@slow
def test_cli_stops_on_a_bad_entry_and_leaves_out_alone(
    spec: dict[str, Any], tmp_path: Path
) -> None:
    broken = copy.deepcopy(spec)
    _timeout_param(broken)
    spec_path = tmp_path / "project-api.yaml"
    spec_path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    result = run_generator("--spec", str(spec_path), "--out", str(out))
    assert result.returncode != 0
    assert "x-cocalc-methods[exec]: timeout.param 'deadline' is not a parameter" in result.stderr
    assert not out.exists()


# Entries that once got through and produced broken code. Either the generator rejects the entry
# with a SpecError naming the method, or the code it emits compiles.


def _keyword_method(spec: dict[str, Any]) -> None:
    method(spec, "list_jupyter_kernels")["python"] = "import"


def _duplicate_parameter(spec: dict[str, Any]) -> None:
    method(spec, "exec_status")["parameters"]["async_await"] = {"python": "job_id"}


def _hyphenated_namespace(spec: dict[str, Any]) -> None:
    method(spec, "list_jupyter_kernels")["namespace"] = "jupyter-kernels"


def _null_result(spec: dict[str, Any]) -> None:
    method(spec, "stop_jupyter_kernel")["result"] = {"type": "null"}


@pytest.mark.parametrize(
    ("mutate", "label"),
    [
        (_keyword_method, "import"),
        (_duplicate_parameter, "exec_status"),
        (_hyphenated_namespace, "list_jupyter_kernels"),
        (_null_result, "stop_jupyter_kernel"),
    ],
    ids=lambda value: getattr(value, "__name__", "").strip("_") or None,
)
def test_entry_is_rejected_or_compiles(
    spec: dict[str, Any], tmp_path: Path, mutate: Mutation, label: str
) -> None:
    broken = copy.deepcopy(spec)
    mutate(broken)
    try:
        render_package(broken, tmp_path, "")
    except SpecError as error:
        assert label in str(error)
        return
    for name in ("__init__.py", "_runtime.py", "methods.py"):
        compile((tmp_path / name).read_text(encoding="utf-8"), name, "exec")


def _namespace_shadows_shortcut(spec: dict[str, Any]) -> None:
    # ProjectMethods would get both `self.ping = PingMethods(...)` and `def ping(self)`.
    method(spec, "test")["namespace"] = "ping"


def _two_shortcuts(spec: dict[str, Any]) -> None:
    # ProjectMethods would get two `def ping(self)`; the second silently wins.
    method(spec, "list_jupyter_kernels").update(
        python="ping", namespace="jupyter", project_shortcut=True
    )


def _string_retry_safe(spec: dict[str, Any]) -> None:
    # bool("false") is True: exec would be retried as if it had no side effect.
    method(spec, "exec")["retry_safe"] = "false"


@pytest.mark.parametrize(
    ("mutate", "label"),
    [
        (_namespace_shadows_shortcut, "ping"),
        (_two_shortcuts, "ping"),
        (_string_retry_safe, "exec"),
    ],
    ids=lambda value: getattr(value, "__name__", "").strip("_") or None,
)
def test_ambiguous_entry_is_rejected(spec: dict[str, Any], mutate: Mutation, label: str) -> None:
    broken = copy.deepcopy(spec)
    mutate(broken)
    with pytest.raises(SpecError, match=re.escape(label)):
        namespaces(broken)
