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
from tests.shared_mypy import run_mypy

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
    refs = [entry["result"].get("$ref") for entry in spec["x-cocalc-methods"]]
    for entry in spec["x-cocalc-methods"]:
        refs += [slot.get("options", slot.get("schema", {})).get("$ref") for slot in entry["args"]]
    found = [ref for ref in refs if ref is not None]
    assert len(found) > 30
    for ref in found:
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


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
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_into(SPEC, tmp_path_factory.mktemp("generate"))


@slow
def test_a_fresh_generation_is_the_committed_one_byte_for_byte(fresh: Path) -> None:
    # The committed output came from another run of the generator (on another machine, at
    # another time), so equal bytes show both that generated/ is not stale and that the
    # output does not depend on the run (no dates, no ordering by chance).
    fresh_tree, committed = tree(fresh), tree(COMMITTED)
    assert sorted(fresh_tree) == sorted(committed)
    stale = [name for name in fresh_tree if fresh_tree[name] != committed[name]]
    assert stale == [], "generated/ is stale; run `make generate`"


# `python -m generator --check` on the committed output is `make check-generated`, which
# `make test` runs beside the suite; here, the fresh generation above is compared directly.


@slow
def test_cli_check_names_every_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    package = out / PACKAGE
    shutil.copytree(COMMITTED, package, ignore=shutil.ignore_patterns("__pycache__"))
    # One byte changed, one file removed, one file added.
    specs = package / "specs.py"
    data = bytearray(specs.read_bytes())
    offset = data.index(b'wire_name="system.ping"') + len(b'wire_name="system.p')
    data[offset] = ord("u")  # system.ping -> system.pung
    specs.write_bytes(bytes(data))
    (package / "_validators" / "ping_result.py").unlink()
    (package / "extra.py").write_text("", encoding="utf-8")

    result = run_generator("--check", "--spec", str(SPEC), "--out", str(out))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "is stale" in result.stderr
    listed = sorted(line.strip() for line in result.stderr.splitlines()[1:] if line.strip())
    assert listed == ["_validators/ping_result.py", "extra.py", "specs.py"]


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
        # The hub API is generated into the subpackage hub/, from its own spec.
        in_hub = name.startswith("hub/")
        assert match["source"] == ("spec/hub-api.yaml" if in_hub else source), name
        assert lines[1].startswith("# Do not edit by hand"), name
        within = name.removeprefix("hub/") if in_hub else name
        expected = EXPECTED_TOOL.get(within.split("/")[0], "generator/templates")
        assert match["tool"] == expected, name
        checked += 1
    return checked


def test_every_committed_file_has_a_generated_header() -> None:
    assert check_headers(COMMITTED, "spec/project-api.yaml") > 20


# -- methods added to the spec -----------------------------------------------------------
#
# Two made-up methods, in a copy of the spec: `system.fileHash`, whose wire arguments are bare
# positional values (the second optional), and `tasks.startTask` in a new namespace, whose
# first slot is an optional value followed by an options object with a timeout in
# MILLISECONDS. Nothing handwritten knows them; `make generate` alone must make them callable,
# typed and documented.


def extend(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    schemas["StartTaskOptions"] = {
        "type": "object",
        "description": "Options of `tasks.startTask`.",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "description": "What to call the task."},
            "timeoutMs": {"type": "integer", "description": "Limit in milliseconds."},
        },
    }
    schemas["TaskResult"] = {
        "type": "object",
        "required": ["task_id", "started"],
        "properties": {"task_id": {"type": "string"}, "started": {"type": "boolean"}},
    }
    # A new exec option: project.jobs.start must take it with no handwritten change.
    schemas["ExecOptions"]["properties"]["nice_level"] = {
        "type": "integer",
        "description": "Scheduling priority of the command.",
    }
    spec["x-cocalc-methods"] += [
        {
            "wire": "system.fileHash",
            "summary": "Hash a file of the project.",
            "description": "The file is read in full.",
            "args": [
                {"name": "path", "schema": {"type": "string"}, "description": "The file."},
                {
                    "name": "algorithm",
                    "schema": {"type": "string", "enum": ["md5", "sha1"]},
                    "required": False,
                    "description": "The hash to use.",
                },
            ],
            "result": {"type": "string"},
            "returns": "The hex digest.",
            "retry": "safe",
            "effect": "read",
        },
        {
            "wire": "tasks.startTask",
            "summary": "Start a task.",
            "args": [
                {
                    "name": "queue",
                    "schema": {"type": "string"},
                    "required": False,
                    "description": "Which queue; the default one if omitted.",
                },
                {"options": {"$ref": "#/components/schemas/StartTaskOptions"}},
            ],
            "result": {"$ref": "#/components/schemas/TaskResult"},
            "returns": "The new task.",
            "timeout": {
                "param": "timeoutMs",
                "unit": "milliseconds",
                "server_default": 2000,
                "enforced_by_server": True,
            },
            "retry": "unsafe",
            "effect": "additive",
        },
    ]
    return spec


@dataclass(frozen=True)
class Extended:
    root: Path
    out: Path  # holds cocalc_api_generated/, to put first on PYTHONPATH / MYPYPATH


@pytest.fixture(scope="module")
def extended(spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Extended:
    from tests.shared_generation import shared_generated

    # The generated package is shared with tests/test_cli.py (one generation per run); this
    # module's own files go in a folder of its own.
    out = shared_generated(tmp_path_factory, extend(spec))
    return Extended(root=tmp_path_factory.mktemp("extended"), out=out)


def test_new_methods_are_not_there_before() -> None:
    # So the tests below show the generator adding them, not something handwritten.
    for path in [*(REPO / "src").rglob("*.py"), *COMMITTED.rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for name in (
            "file_hash",
            "fileHash",
            "start_task",
            "startTask",
            "TaskResult",
            "nice_level",
        ):
            assert name not in text, (path, name)


@slow
def test_new_method_files_have_headers(extended: Extended) -> None:
    assert check_headers(extended.out / PACKAGE, "project-api.yaml") > 20


RUNTIME_CHECK = textwrap.dedent(
    """
    import asyncio, inspect, json, sys

    import httpx2

    import cocalc_api
    import cocalc_api_generated
    from cocalc_api_generated import specs

    PROJECT_ID = sys.argv[1]
    bodies = []
    answers = {"system.fileHash": "d41d8cd9",
               "tasks.startTask": {"task_id": "t1", "started": True},
               "system.exec": {"type": "async", "job_id": "j1", "status": "running",
                               "start": 1, "stdout": "", "stderr": "", "exit_code": 0}}

    def handler(request):
        body = json.loads(request.content)
        bodies.append(body)
        return httpx2.Response(200, json=answers[body["name"]])

    def project(client=httpx2.Client, cls=cocalc_api.Project):
        return cls("sk-test", host="http://localhost:5000", project_id=PROJECT_ID,
                   http_client=client(transport=httpx2.MockTransport(handler)))

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
        "hash": p.system.file_hash("a.txt"),
        "hash_md5": p.system.file_hash("a.txt", "md5"),
        "hash_keyword": p.system.file_hash(path="a.txt", algorithm="sha1"),
        "signature": str(inspect.signature(p.system.file_hash)),
        "doc": inspect.getdoc(p.system.file_hash),
        "tasks_class": type(p.tasks).__name__,
        "task": p.tasks.start_task(name="build"),
        "task_queue": p.tasks.start_task("fast", name="lint", timeout_ms=3000),
        "task_signature": str(inspect.signature(p.tasks.start_task)),
        "task_doc": inspect.getdoc(p.tasks.start_task),
        "retry": [specs.SYSTEM_FILE_HASH.retry, specs.TASKS_START_TASK.retry],
        "bad_type": error(lambda: p.system.file_hash(1)),
        "bad_enum": error(lambda: p.system.file_hash("a", "sha256")),
        "missing": error(lambda: p.system.file_hash()),
        "unknown": error(lambda: p.system.file_hash("a", mode="r")),
        "options_positionally": error(lambda: p.tasks.start_task("q", "n")),
        "job": p.jobs.start("make", nice_level=5).id,
        "job_bad_option": error(lambda: p.jobs.start("make", nice_level="high")),
    }
    answers["system.fileHash"] = 42
    report["bad_result"] = error(lambda: p.system.file_hash("a.txt"))

    async def main():
        answers["system.fileHash"] = "async"
        async with project(httpx2.AsyncClient, cocalc_api.AsyncProject) as ap:
            report["async_result"] = await ap.system.file_hash("c.txt")
            report["async_tasks_class"] = type(ap.tasks).__name__

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


def _bodies(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [body for body in report["bodies"] if body["name"] == name]


@slow
def test_new_method_comes_from_the_new_package(
    extended: Extended, runtime_report: dict[str, Any]
) -> None:
    assert Path(runtime_report["generated_from"]).is_relative_to(extended.out)
    assert Path(runtime_report["sdk_from"]).is_relative_to(REPO / "src")


@slow
def test_positional_method_sends_its_values_as_the_wire_args(
    runtime_report: dict[str, Any],
) -> None:
    assert runtime_report["hash"] == "d41d8cd9"
    sent = _bodies(runtime_report, "system.fileHash")
    # Trailing omitted slots are not sent; keyword and positional calls send the same.
    assert sent[:3] == [
        {"name": "system.fileHash", "args": ["a.txt"], "project_id": PROJECT_ID},
        {"name": "system.fileHash", "args": ["a.txt", "md5"], "project_id": PROJECT_ID},
        {"name": "system.fileHash", "args": ["a.txt", "sha1"], "project_id": PROJECT_ID},
    ]
    assert runtime_report["retry"] == ["safe", "unsafe"]


@slow
def test_skipped_slot_is_null_and_a_millisecond_timeout_sets_the_envelope(
    runtime_report: dict[str, Any],
) -> None:
    first, second = _bodies(runtime_report, "tasks.startTask")
    # queue omitted before a sent options object: null. The server enforces the limit
    # (2000 ms by default), so the envelope is the limit plus its grace (a quarter of it, at
    # least 1 s), in milliseconds.
    assert first == {
        "name": "tasks.startTask",
        "args": [None, {"name": "build"}],
        "project_id": PROJECT_ID,
        "timeout": 3000,
    }
    assert second == {
        "name": "tasks.startTask",
        "args": ["fast", {"name": "lint", "timeoutMs": 3000}],
        "project_id": PROJECT_ID,
        "timeout": 4000,
    }


@slow
def test_new_methods_are_typed_and_documented(runtime_report: dict[str, Any]) -> None:
    assert runtime_report["signature"] == (
        "(path: 'str', algorithm: \"Literal['md5', 'sha1'] | None\" = None) -> 'str'"
    )
    doc = runtime_report["doc"]
    assert doc.startswith("Hash a file of the project.\n")
    assert "The file is read in full." in doc
    assert "Calls `system.fileHash` (read-only, retried on transient failures)." in doc
    assert "path: The file." in doc and "algorithm: The hash to use." in doc
    assert "str: The hex digest." in doc
    # Options become keyword-only; camelCase wire names become snake_case parameters, and the
    # docstring keeps the wire name.
    assert runtime_report["task_signature"] == (
        "(queue: 'str | None' = None, *, name: 'str', timeout_ms: 'int | None' = None)"
        " -> 'TaskResult'"
    )
    assert "timeout_ms (`timeoutMs`): Limit in milliseconds." in runtime_report["task_doc"]


@slow
def test_new_namespace_appears_on_the_project(runtime_report: dict[str, Any]) -> None:
    assert runtime_report["tasks_class"] == "TasksMethods"
    assert runtime_report["async_tasks_class"] == "AsyncTasksMethods"
    assert runtime_report["task"] == {"task_id": "t1", "started": True}


@slow
def test_new_method_validates_before_sending(runtime_report: dict[str, Any]) -> None:
    for key, field in (("bad_type", "path"), ("bad_enum", "algorithm")):
        kind, message, sent = runtime_report[key]
        assert (kind, sent) == ("InvalidArgumentError", 0), key
        assert message.startswith(f"file_hash(): {field} must be"), message
    # Python's own argument checks apply too: they are real signatures.
    for key in ("missing", "unknown", "options_positionally"):
        assert runtime_report[key][0] == "TypeError" and runtime_report[key][2] == 0, key


@slow
def test_new_method_validates_its_result(runtime_report: dict[str, Any]) -> None:
    kind, message, sent = runtime_report["bad_result"]
    assert (kind, sent) == ("ResponseValidationError", 1)
    assert "system.fileHash" in message


@slow
@slow
def test_a_new_exec_option_reaches_jobs_start(runtime_report: dict[str, Any]) -> None:
    assert runtime_report["job"] == "j1"
    (body,) = _bodies(runtime_report, "system.exec")
    assert body["args"] == [{"command": "make", "nice_level": 5, "async_call": True}]
    assert runtime_report["job_bad_option"][0] == "InvalidArgumentError"
    assert runtime_report["job_bad_option"][2] == 0  # refused before sending


def test_new_method_works_on_async_project(runtime_report: dict[str, Any]) -> None:
    assert runtime_report["async_result"] == "async"
    assert _bodies(runtime_report, "system.fileHash")[-1]["args"] == ["c.txt"]


TYPED_USE = textwrap.dedent(
    """\
    from typing import assert_type

    import cocalc_api
    from cocalc_api.types import TaskResult


    def use(project: cocalc_api.Project) -> None:
        assert_type(project.system.file_hash("x"), str)
        assert_type(project.system.file_hash("x", "md5"), str)
        assert_type(project.tasks.start_task(name="x"), TaskResult)
        assert_type(project.tasks.start_task(name="x")["started"], bool)
        project.jobs.start("make", nice_level=3)


    async def use_async(project: cocalc_api.AsyncProject) -> None:
        assert_type(await project.system.file_hash(path="x"), str)
    """
)
MISTYPED_USE = textwrap.dedent(
    """\
    from typing import assert_type

    import cocalc_api


    def use(project: cocalc_api.Project) -> None:
        assert_type(project.system.file_hash("x"), int)
        project.system.file_hash("x", "sha256")
        project.tasks.start_task(name=1)
        project.jobs.start("make", nice_level="high")
    """
)


@slow
def test_new_methods_type_check(
    extended: Extended, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # MYPYPATH comes before the installed packages in mypy's search order, so the new package
    # shadows the committed one (whose path the editable install puts in site-packages). The
    # proof that it is really used: `file_hash`, `tasks` and TaskResult exist only there
    # (test_new_methods_are_not_there_before), yet typed_use.py checks clean.
    (extended.root / "typed_use.py").write_text(TYPED_USE, encoding="utf-8")
    (extended.root / "mistyped_use.py").write_text(MISTYPED_USE, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": os.pathsep.join([str(extended.out), str(REPO / "src")])}
    env.pop("PYTHONPATH", None)
    result = run_mypy(
        tmp_path_factory, "typed_use.py", "mistyped_use.py", cwd=extended.root, env=env
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert errors == [
        'mistyped_use.py:7: error: Expression is of type "str", not "int"  [assert-type]',
        (
            'mistyped_use.py:8: error: Argument 2 to "file_hash" of "SystemMethods" has '
            "incompatible type \"Literal['sha256']\"; expected \"Literal['md5', 'sha1'] | None\""
            "  [arg-type]"
        ),
        (
            'mistyped_use.py:9: error: Argument "name" to "start_task" of "TasksMethods" '
            'has incompatible type "int"; expected "str"  [arg-type]'
        ),
        (
            'mistyped_use.py:10: error: Argument "nice_level" to "start" of "Jobs" has '
            'incompatible type "str"; expected "int | None"  [arg-type]'
        ),
    ], result.stdout + result.stderr
    assert result.returncode == 1


# -- method table errors -------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def method(spec: dict[str, Any], python: str) -> dict[str, Any]:
    """The table entry whose Python name (given, or derived from the wire name) is `python`."""
    for entry in spec["x-cocalc-methods"]:
        function = entry["wire"].split(".")[1]
        if entry.get("python", re.sub(r"(?<!^)(?=[A-Z])", "_", function).lower()) == python:
            found: dict[str, Any] = entry
            return found
    raise KeyError(python)


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


def _builtin_parameter(spec: dict[str, Any]) -> None:
    # Without its override, formatterString's `str` would hide the builtin its annotations use.
    del method(spec, "formatter_string")["parameters"]


def _unknown_override(spec: dict[str, Any]) -> None:
    method(spec, "exec_status")["parameters"]["async_wait"] = {"python": "wait"}


def _missing_key(spec: dict[str, Any]) -> None:
    del method(spec, "stop_jupyter_kernel")["retry"]


def _bad_retry(spec: dict[str, Any]) -> None:
    method(spec, "ping")["retry"] = "sometimes"


def _bad_effect(spec: dict[str, Any]) -> None:
    method(spec, "listing")["effect"] = "harmless"


def _read_effect_not_safe(spec: dict[str, Any]) -> None:
    method(spec, "delete_files")["effect"] = "read"  # retry: idempotent


def _inline_options(spec: dict[str, Any]) -> None:
    method(spec, "stop_jupyter_kernel")["args"] = [{"options": {"type": "object"}}]


def _args_not_a_list(spec: dict[str, Any]) -> None:
    method(spec, "listing")["args"] = {"$ref": "#/components/schemas/ListingOptions"}


def _slot_without_schema(spec: dict[str, Any]) -> None:
    del method(spec, "realpath")["args"][0]["schema"]


def _positional_not_a_property(spec: dict[str, Any]) -> None:
    method(spec, "exec")["args"][0]["positional"] = ["command", "comand"]


def _required_after_optional(spec: dict[str, Any]) -> None:
    slots = method(spec, "configuration")["args"]
    slots[0]["required"] = False  # aspect optional, then no_cache... then a required value:
    slots.append({"name": "extra", "schema": {"type": "string"}})


def _namespace_mismatch(spec: dict[str, Any]) -> None:
    method(spec, "listing")["namespace"] = "files"


def _wire_without_namespace(spec: dict[str, Any]) -> None:
    method(spec, "listing")["wire"] = "listing"


def _unknown_result(spec: dict[str, Any]) -> None:
    method(spec, "stop_jupyter_kernel")["result"] = {"$ref": "#/components/schemas/Nope"}


def _remote_ref(spec: dict[str, Any]) -> None:
    method(spec, "stop_jupyter_kernel")["result"] = {"$ref": "other.yaml#/Result"}


def _private_method(spec: dict[str, Any]) -> None:
    method(spec, "list_jupyter_kernels")["python"] = "_kernels"


def _overload_of_unknown_parameter(spec: dict[str, Any]) -> None:
    method(spec, "exec")["overloads"][0]["when"] = {"async": [True]}


def _empty_table(spec: dict[str, Any]) -> None:
    spec["x-cocalc-methods"] = []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            _timeout_param,
            "x-cocalc-methods[system.exec]: timeout.param 'deadline' is not a parameter",
        ),
        (_timeout_unit, "x-cocalc-methods[system.exec]: timeout.unit must be one of"),
        (_duplicate_name, "system.ping is defined twice"),
        (_self_parameter, "x-cocalc-methods[system.exec]: 'self' is not a usable Python parameter"),
        (_self_property, "x-cocalc-methods[system.stopJupyterKernel]: 'self' is not a usable"),
        (_keyword_parameter, "x-cocalc-methods[exec_status]: 'async' is not a usable"),
        (_private_parameter, "x-cocalc-methods[exec_status]: '_args' is not a usable"),
        (_builtin_parameter, "x-cocalc-methods[editor.formatterString]: 'str' is not a usable"),
        (
            _unknown_override,
            "x-cocalc-methods[exec_status]: parameters ['async_wait'] are not arguments",
        ),
        (_missing_key, "x-cocalc-methods[system.stopJupyterKernel]: missing 'retry'"),
        (_bad_retry, "x-cocalc-methods[system.ping]: retry must be one of"),
        (_bad_effect, "x-cocalc-methods[system.listing]: effect must be one of"),
        (_read_effect_not_safe, "a method whose effect is read is safe to retry"),
        (_inline_options, "args[0]: options must be a $ref to an object schema"),
        (_args_not_a_list, "x-cocalc-methods[system.listing]: args must be a list of slots"),
        (_slot_without_schema, "x-cocalc-methods[system.realpath]: args[0]: a positional slot"),
        (_positional_not_a_property, "args[0]: positional must list properties of ExecOptions"),
        (_required_after_optional, "required parameter 'extra' follows an optional positional"),
        (_namespace_mismatch, "namespace 'files' is not the wire prefix 'system'"),
        (_wire_without_namespace, "wire must be '<namespace>.<function>', got 'listing'"),
        (_unknown_result, "x-cocalc-methods[system.stopJupyterKernel]: unknown schema 'Nope'"),
        (_remote_ref, "x-cocalc-methods[system.stopJupyterKernel]: only local component refs"),
        (_private_method, "x-cocalc-methods[_kernels]: '_kernels' is not a usable public"),
        (_overload_of_unknown_parameter, "overloads[0]: 'async' is not a parameter"),
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
    # The Python names of every method, in the spec's order; docs/wire-protocol.md §4 lists the wire names.
    tree = {ns.name: [m.python_name for m in ns.methods] for ns in namespaces(spec)}
    assert tree == {
        "system": [
            "ping",
            "test",
            "exec",
            "exec_status",
            "jupyter_execute",
            "list_jupyter_kernels",
            "stop_jupyter_kernel",
            "version",
            "listing",
            "delete_files",
            "move_files",
            "rename_file",
            "realpath",
            "canonical_paths",
            "write_text_file_to_project",
            "read_text_file_from_project",
            "configuration",
            "signal",
        ],
        "editor": [
            "new_file",
            "jupyter_strip_notebook",
            "jupyter_nbconvert",
            "jupyter_run_notebook",
            "jupyter_kernel_logo",
            "jupyter_kernels",
            "formatter_string",
        ],
        "sync": ["close"],
    }


# Retry safety per docs/wire-protocol.md §4 (S safe, I idempotent, N unsafe), written out here.
CONTRACT_RETRY = {
    "system.ping": "safe",
    "system.test": "safe",
    "system.exec": "unsafe",
    "system.exec_status": "safe",
    "system.jupyter_execute": "unsafe",
    "system.list_jupyter_kernels": "safe",
    "system.stop_jupyter_kernel": "idempotent",
    "system.version": "safe",
    "system.listing": "safe",
    "system.delete_files": "idempotent",
    "system.move_files": "unsafe",
    "system.rename_file": "unsafe",
    "system.realpath": "safe",
    "system.canonical_paths": "safe",
    "system.write_text_file_to_project": "idempotent",
    "system.read_text_file_from_project": "safe",
    "system.configuration": "safe",
    "system.signal": "unsafe",
    "editor.new_file": "idempotent",
    "editor.jupyter_strip_notebook": "safe",
    # docs/wire-protocol.md: I, but N with --execute; the SDK cannot tell, so it never retries it.
    "editor.jupyter_nbconvert": "unsafe",
    "editor.jupyter_run_notebook": "unsafe",
    "editor.jupyter_kernel_logo": "safe",
    "editor.jupyter_kernels": "safe",
    "editor.formatter_string": "safe",
    "sync.close": "safe",
}


def test_retry_safety_is_the_contracts(spec: dict[str, Any]) -> None:
    found = {f"{ns.name}.{m.python_name}": m.retry for ns in namespaces(spec) for m in ns.methods}
    assert found == CONTRACT_RETRY


# Wire arguments per docs/wire-protocol.md §4: which slots are bare positional values.
CONTRACT_POSITIONAL = {
    "system.realpath": ["path"],
    "system.canonicalPaths": ["paths"],
    "system.configuration": ["aspect", "no_cache"],
    "editor.newFile": ["path"],
    "editor.jupyterStripNotebook": ["path_ipynb"],
    "editor.jupyterKernelLogo": ["kernel_name"],
    "sync.close": ["path"],
}


def test_positional_slots_are_the_contracts(spec: dict[str, Any]) -> None:
    found = {}
    for ns in namespaces(spec):
        for m in ns.methods:
            values = [slot.params[0].python_name for slot in m.slots if not slot.options]
            if values:
                found[m.wire_name] = values
    assert found == CONTRACT_POSITIONAL


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
    assert (
        "x-cocalc-methods[system.exec]: timeout.param 'deadline' is not a parameter"
        in result.stderr
    )
    assert not out.exists()


# Entries that once got through and produced broken code. Either the generator rejects the entry
# with a SpecError naming the method, or the code it emits compiles.


def _keyword_method(spec: dict[str, Any]) -> None:
    method(spec, "list_jupyter_kernels")["python"] = "import"


def _duplicate_parameter(spec: dict[str, Any]) -> None:
    method(spec, "exec_status")["parameters"]["async_await"] = {"python": "job_id"}


def _hyphenated_namespace(spec: dict[str, Any]) -> None:
    method(spec, "list_jupyter_kernels")["wire"] = "jupyter-kernels.listJupyterKernels"


def _null_result(spec: dict[str, Any]) -> None:
    method(spec, "stop_jupyter_kernel")["result"] = {"type": "null"}


@pytest.mark.parametrize(
    ("mutate", "label"),
    [
        (_keyword_method, "import"),
        (_duplicate_parameter, "exec_status"),
        (_hyphenated_namespace, "jupyter-kernels"),
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
    for path in tmp_path.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), path.name, "exec")


def _namespace_shadows_shortcut(spec: dict[str, Any]) -> None:
    # ProjectMethods would get both `self.ping = PingMethods(...)` and `def ping(self)`.
    method(spec, "test")["wire"] = "ping.test"


def _two_shortcuts(spec: dict[str, Any]) -> None:
    # ProjectMethods would get two `def ping(self)`; the second silently wins.
    method(spec, "list_jupyter_kernels").update(python="ping", project_shortcut=True)


def _shortcut_shadows_a_project_member(spec: dict[str, Any]) -> None:
    # `project.close()` would stop closing the connections.
    method(spec, "close").update(project_shortcut=True)


def _namespace_shadows_a_project_member(spec: dict[str, Any]) -> None:
    method(spec, "version")["wire"] = "host.version"


def _string_shortcut(spec: dict[str, Any]) -> None:
    # bool("false") is True: the method would become a shortcut.
    method(spec, "version")["project_shortcut"] = "false"


@pytest.mark.parametrize(
    ("mutate", "label"),
    [
        (_namespace_shadows_shortcut, "'ping' is used twice on the project object"),
        (_two_shortcuts, "ping"),
        (_shortcut_shadows_a_project_member, "'close' is used twice on the project object"),
        (_namespace_shadows_a_project_member, "'host' is used twice on the project object"),
        (_string_shortcut, "project_shortcut must be true or false"),
    ],
    ids=lambda value: getattr(value, "__name__", "").strip("_") or None,
)
def test_ambiguous_entry_is_rejected(spec: dict[str, Any], mutate: Mutation, label: str) -> None:
    broken = copy.deepcopy(spec)
    mutate(broken)
    with pytest.raises(SpecError, match=re.escape(label)):
        namespaces(broken)
