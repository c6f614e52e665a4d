"""The method table's part of generation, in about a second: the files the generator's own
templates, catalog and validators write from `x-cocalc-methods` must be the committed ones.

tests/test_generator.py checks the whole of generated/ (openapi-python-client and
datamodel-code-generator included, ~5 s); this is the same check on the files the method table
decides, quick enough to run for every mutant of generator/method_table.py. The rules the table
enforces are stated with their numbers and names (a timeout's unit, the Project's own members).
"""

from __future__ import annotations

import copy
import filecmp
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from generator import build
from generator.catalog import render_catalog
from generator.method_table import SpecError, load_spec, namespaces
from generator.render import render_package

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "spec" / "project-api.yaml"
COMMITTED = REPO / "generated" / "cocalc_api_generated"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec(SPEC)


def test_the_table_driven_files_are_the_committed_ones(
    spec: dict[str, Any], tmp_path: Path
) -> None:
    package = tmp_path / "cocalc_api_generated"
    package.mkdir()
    source = "spec/project-api.yaml"
    build._generate_validators(spec, package, source)
    render_package(spec, package, build._header(source, "generator/templates"))
    components = spec.get("components", {}).get("schemas", {})
    (package / "catalog.json").write_text(
        render_catalog(namespaces(spec), components), encoding="utf-8"
    )
    build._format(package)
    written = sorted(
        p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert "specs.py" in written and "catalog.json" in written
    assert "resources/system.py" in written and "_validators/__init__.py" in written
    different = [
        name for name in written if not filecmp.cmp(package / name, COMMITTED / name, shallow=False)
    ]
    assert different == [], "generator/ no longer writes the committed files"
    committed_validators = {
        p.relative_to(COMMITTED).as_posix() for p in (COMMITTED / "_validators").glob("*.py")
    }
    assert committed_validators <= set(written)


def _with_task(spec: dict[str, Any], unit: str) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    spec["components"]["schemas"]["TaskOptions"] = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "limit": {"type": "integer"}},
    }
    spec["x-cocalc-methods"].append(
        {
            "wire": "tasks.start",
            "summary": "Start a task.",
            "args": [{"options": {"$ref": "#/components/schemas/TaskOptions"}}],
            "result": {"type": "object"},
            "returns": "The task.",
            "timeout": {"param": "limit", "unit": unit, "server_default": 2000},
            "retry": "unsafe",
            "effect": "additive",
        }
    )
    return spec


@pytest.mark.parametrize(("unit", "seconds"), [("seconds", 1.0), ("milliseconds", 0.001)])
def test_a_timeout_parameter_may_be_in_seconds_or_milliseconds(
    spec: dict[str, Any], unit: str, seconds: float
) -> None:
    tree = {ns.name: ns for ns in namespaces(_with_task(spec, unit))}
    (method,) = tree["tasks"].methods
    assert method.timeout is not None
    assert method.timeout.unit_seconds == seconds
    assert method.timeout.server_default == 2000
    assert method.timeout.enforced_by_server is False  # only the envelope bounds it


@pytest.mark.parametrize("unit", ["minutes", "ms", "Seconds", None])
def test_any_other_unit_is_refused(spec: dict[str, Any], unit: str | None) -> None:
    with pytest.raises(SpecError, match="timeout.unit must be one of"):
        namespaces(_with_task(spec, unit))  # type: ignore[arg-type]


# The attributes Project and AsyncProject have of their own (README: host, project_id, close,
# aclose, with_options): a namespace of that name would hide one.
@pytest.mark.parametrize("member", ["host", "project_id", "close", "aclose", "with_options"])
def test_a_namespace_must_not_shadow_a_project_member(spec: dict[str, Any], member: str) -> None:
    broken = copy.deepcopy(spec)
    entry = next(e for e in broken["x-cocalc-methods"] if e["wire"] == "system.ping")
    entry["wire"] = f"{member}.ping"
    entry.pop("python", None)
    with pytest.raises(SpecError, match=f"'{member}' is used twice on the project object"):
        namespaces(broken)


@pytest.mark.parametrize("kind", ["safe", "idempotent", "unsafe"])
def test_the_three_retry_kinds_are_accepted(spec: dict[str, Any], kind: str) -> None:
    changed = _with_task(spec, "seconds")
    changed["x-cocalc-methods"][-1]["retry"] = kind
    (method,) = {ns.name: ns for ns in namespaces(changed)}["tasks"].methods
    assert method.retry == kind
    assert method.retry_safe is (kind != "unsafe")


@pytest.mark.parametrize("effect", ["read", "additive", "destructive"])
def test_the_three_effects_are_accepted(spec: dict[str, Any], effect: str) -> None:
    changed = _with_task(spec, "seconds")
    changed["x-cocalc-methods"][-1].update(effect=effect, retry="safe")
    (method,) = {ns.name: ns for ns in namespaces(changed)}["tasks"].methods
    assert method.effect == effect


def _task(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["x-cocalc-methods"][-1]


def _value_args(*slots: dict[str, Any]) -> Any:
    def change(spec: dict[str, Any]) -> None:
        _task(spec)["args"] = list(slots)
        _task(spec).pop("timeout")

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: _task(s).update(summary=5),
            "x-cocalc-methods[tasks.start]: 'summary' must be a string",
        ),
        (lambda s: _task(s).update(parameters=["x"]), "parameters must be a mapping"),
        (
            lambda s: _task(s).update(args="x"),
            "args must be a list of slots (the wire `args` array)",
        ),
        (_value_args("x"), "args[0] must be a mapping"),
        (_value_args({"name": "a", "schema": "string"}), "args[0]: schema must be a mapping"),
        (_value_args({"name": "a"}), "args[0]: a positional slot needs 'schema'"),
        (
            _value_args(
                {"name": "a", "schema": {"type": "string"}},
                {"name": "a", "schema": {"type": "string"}},
            ),
            "two parameters share a Python name: ['a', 'a']",
        ),
        (
            _value_args(
                {"name": "a", "schema": {"type": "string"}, "required": False},
                {"name": "b", "schema": {"type": "string"}},
            ),
            "required parameter 'b' follows an optional positional one",
        ),
        (
            lambda s: (
                _task(s)["args"][0].update(positional=["name", "name"]),
                _task(s).pop("timeout"),
            ),
            "args[0]: positional lists a property twice",
        ),
        (
            lambda s: _task(s).update(args=[{"name": "limit", "schema": {"type": "integer"}}]),
            "timeout.param must be a property of an options object",
        ),
        (
            lambda s: _task(s)["timeout"].update(enforced_by_server="yes"),
            "enforced_by_server must be true or false, got 'yes'",
        ),
        (
            lambda s: _task(s)["args"][0].update(required="no"),
            "required must be true or false, got 'no'",
        ),
        (
            lambda s: _task(s).update(parameters={"name": {"python": "a-b"}}),
            "'a-b' is not a usable Python parameter name",
        ),
        (
            lambda s: _task(s).update(parameters={"name": {"python": 5}}),
            "5 is not a usable Python parameter name",
        ),
        (
            lambda s: _task(s)["args"][0].update(options={"$ref": "#/components/schemas/Nope"}),
            "args[0]: options must be a $ref to an object schema",
        ),
        (
            lambda s: _task(s)["args"][0].update(options={"type": "object"}),
            "args[0]: options must be a $ref to an object schema",
        ),
        (
            lambda s: (
                _task(s)["args"].insert(0, {"name": "queue", "schema": {"type": "string"}}),
                _task(s).update(parameters={"queue": {"default": "q"}}),
            ),
            "args[0]: a positional slot takes no default",
        ),
    ],
)
def test_a_malformed_entry_says_what_is_wrong(
    spec: dict[str, Any], change: Any, message: str
) -> None:
    broken = _with_task(spec, "seconds")
    change(broken)
    with pytest.raises(SpecError) as raised:
        namespaces(broken)
    prefix = "x-cocalc-methods[tasks.start]: "
    assert str(raised.value) == (message if message.startswith(prefix) else prefix + message)


def test_a_spec_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    assert str(raised.value) == f"{path}: not a mapping"


def test_a_timeout_policy_names_its_parameter_and_slot(spec: dict[str, Any]) -> None:
    changed = _with_task(spec, "seconds")
    _task(changed)["timeout"]["enforced_by_server"] = True
    _task(changed)["args"].insert(0, {"name": "queue", "schema": {"type": "string"}})
    (method,) = {ns.name: ns for ns in namespaces(changed)}["tasks"].methods
    policy = method.timeout
    assert policy is not None
    assert (policy.param, policy.wire_name, policy.slot) == ("limit", "limit", 1)
    assert (policy.server_default, policy.enforced_by_server) == (2000.0, True)
    assert method.params[0].description == ""  # the slot says nothing about itself
    assert [(p.python_name, p.kind, p.required, p.slot) for p in method.params] == [
        ("queue", "positional", True, 0),
        ("name", "keyword", True, 1),
        ("limit", "keyword", False, 1),
    ]


# -- annotations: JSON Schema types as Python types --------------------------------------------

COMPONENTS = {
    "Item": {"type": "object", "properties": {"a": {"type": "string"}}},
    "Items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
    "Bare": {"type": "array"},
}


@pytest.mark.parametrize(
    ("schema", "annotation", "names"),
    [
        ({"type": "string"}, "str", set()),
        ({"type": "integer"}, "int", set()),
        ({"type": "number"}, "float", set()),
        ({"type": "boolean"}, "bool", set()),
        ({"type": "null"}, "None", set()),
        ({}, "Any", set()),
        ({"type": "string", "enum": ["md5", "sha1"]}, "Literal['md5', 'sha1']", set()),
        ({"type": "integer", "enum": [1, 2]}, "int", set()),  # only strings become Literals
        ({"type": ["string", "null"]}, "str | None", set()),
        (
            {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/Item"}},
            "list[Item] | None",
            {"Item"},
        ),
        ({"type": "array"}, "list[Any]", set()),
        ({"type": "array", "items": {"type": "integer"}}, "list[int]", set()),
        ({"type": "array", "items": {"$ref": "#/components/schemas/Item"}}, "list[Item]", {"Item"}),
        ({"type": "object"}, "dict[str, Any]", set()),
        ({"type": "object", "additionalProperties": True}, "dict[str, Any]", set()),
        ({"type": "object", "additionalProperties": {"type": "string"}}, "dict[str, str]", set()),
        (
            {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Item"}},
            "dict[str, Item]",
            {"Item"},
        ),
        ({"$ref": "#/components/schemas/Item"}, "Item", {"Item"}),
        # an array component is spelled out, its items named
        ({"$ref": "#/components/schemas/Items"}, "list[Item]", {"Item"}),
        ({"$ref": "#/components/schemas/Bare"}, "list[Any]", set()),
    ],
)
def test_python_types(schema: dict[str, Any], annotation: str, names: set[str]) -> None:
    from generator.method_table import python_type

    used: set[str] = set()
    assert python_type(schema, COMPONENTS, used) == annotation
    assert used == names


def _with_overloads(spec: dict[str, Any], overloads: list[dict[str, Any]]) -> Any:
    changed = copy.deepcopy(spec)
    changed["components"]["schemas"]["TaskOptions"] = {
        "type": "object",
        "required": [],
        "properties": {"mode": {"type": "string"}, "wait": {"type": "boolean"}},
    }
    changed["x-cocalc-methods"].append(
        {
            "wire": "tasks.run",
            "summary": "Run.",
            "args": [
                {"name": "first", "schema": {"type": "string"}, "required": False},
                {"name": "second", "schema": {"type": "string"}, "required": False},
                {"options": {"$ref": "#/components/schemas/TaskOptions"}},
            ],
            "result": {"type": "object"},
            "returns": "It.",
            "retry": "unsafe",
            "effect": "additive",
            "overloads": overloads,
        }
    )
    (method,) = {ns.name: ns for ns in namespaces(changed)}["tasks"].methods
    return method


def test_an_overload_narrows_its_parameters_to_literals(spec: dict[str, Any]) -> None:
    method = _with_overloads(
        spec,
        [
            {"when": {"wait": [True]}, "result": {"type": "string"}},
            {"when": {"mode": ["a", "b", None]}, "result": {"type": "integer"}},
            {"when": {"wait": [None]}, "result": {"type": "null"}},
            {"when": {"second": ["x"]}, "result": {"type": "boolean"}},
        ],
    )
    by_name = {p.python_name: p for p in method.params}
    first, second, third, fourth = method.overloads
    assert first.result_annotation == "str" and first.annotation(by_name["wait"]) == "Literal[True]"
    assert first.annotation(by_name["mode"]) is None
    assert second.annotation(by_name["mode"]) == "Literal['a', 'b'] | None"
    assert third.annotation(by_name["wait"]) == "None"
    assert (first.requires(by_name["wait"]), second.requires(by_name["mode"])) == (True, False)
    assert third.requires(by_name["wait"]) is False
    assert fourth.requires(by_name["second"]) and not fourth.requires(by_name["first"])
    # Positional while no required parameter follows one with a default: `second`, required
    # in the fourth overload, follows the optional `first`, so it moves behind the `*`.
    positional, rest = method.overload_params(first)
    assert [p.python_name for p in positional] == ["first", "second"]
    assert [p.python_name for p in rest] == ["mode", "wait"]
    positional, rest = method.overload_params(fourth)
    assert [p.python_name for p in positional] == ["first"]
    assert [p.python_name for p in rest] == ["second", "mode", "wait"]


@pytest.mark.parametrize(
    ("overloads", "message"),
    [
        ({"when": {}}, "overloads must be a list"),
        (["x"], "overloads[0] needs `when` and `result`"),
        ([{"when": {}, "result": {}}], "overloads[0] needs `when` and `result`"),
        ([{"when": {"wait": [True]}}], "overloads[0] needs `when` and `result`"),
        ([{"when": {"wait": []}, "result": {}}], "overloads[0]: wait must list its values"),
        ([{"when": {"wait": True}, "result": {}}], "overloads[0]: wait must list its values"),
        (
            [{"when": {"wait": [1.5]}, "result": {}}],
            "overloads[0]: wait values must be literals or null",
        ),
        ([{"when": {"nope": [1]}, "result": {}}], "overloads[0]: 'nope' is not a parameter"),
    ],
)
def test_a_bad_overload_says_what_is_wrong(
    spec: dict[str, Any], overloads: Any, message: str
) -> None:
    with pytest.raises(SpecError) as raised:
        _with_overloads(spec, overloads)
    assert str(raised.value) == f"x-cocalc-methods[tasks.run]: {message}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(errors="exec_exit"), "errors must be a list of rule names"),
        (lambda e: e.update(errors=["exec exit"]), "errors must be a list of rule names"),
        (lambda e: e.update(errors=[5]), "errors must be a list of rule names"),
        (
            lambda e: e.update(effect="read"),
            "a method whose effect is read is safe to retry: retry must be safe",
        ),
        (lambda e: e.update(wire="tasks.class"), "'class' is not a usable public method name"),
        (lambda e: e.update(wire="_tasks.start"), "'_tasks' is not a usable public namespace name"),
    ],
)
def test_more_malformed_entries(spec: dict[str, Any], change: Any, message: str) -> None:
    broken = _with_task(spec, "seconds")
    change(_task(broken))
    with pytest.raises(SpecError) as raised:
        namespaces(broken)
    assert str(raised.value).endswith(f"]: {message}")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({}, "x-cocalc-methods must be a non-empty list"),
        ({"x-cocalc-methods": []}, "x-cocalc-methods must be a non-empty list"),
        ({"x-cocalc-methods": ["x"]}, "x-cocalc-methods[0]: an entry must be a mapping"),
    ],
)
def test_a_bad_table_says_what_is_wrong(table: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as raised:
        namespaces(table)
    assert str(raised.value) == message


def test_a_namespace_class_is_named_after_the_namespace(spec: dict[str, Any]) -> None:
    changed = _with_task(spec, "seconds")
    _task(changed)["wire"] = "long_tasks.start"
    classes = {ns.name: ns.class_name for ns in namespaces(changed)}
    assert classes["long_tasks"] == "LongTasksMethods"
    assert classes["system"] == "SystemMethods"


def test_an_options_object_may_have_no_properties_and_a_spec_no_components() -> None:
    entry = {
        "wire": "tasks.ping",
        "summary": "Ping.",
        "args": [{"name": "what", "schema": {"type": "string"}, "description": "What."}],
        "result": {"type": "null"},
        "returns": "Nothing.",
        "retry": "safe",
        "effect": "read",
    }
    (namespace,) = namespaces({"x-cocalc-methods": [entry]})
    assert [p.python_name for p in namespace.methods[0].params] == ["what"]
    empty = {
        "components": {"schemas": {"Empty": {"type": "object"}}},
        "x-cocalc-methods": [
            {**entry, "args": [{"options": {"$ref": "#/components/schemas/Empty"}}]}
        ],
    }
    (namespace,) = namespaces(empty)
    assert namespace.methods[0].params == ()


# The generated methods are written with `self` and annotated with typing's Any and Literal
# and builtins such as str and list: a parameter of one of those names would hide it.
@pytest.mark.parametrize("name", ["self", "Any", "Literal", "str", "list", "dict", "len"])
def test_a_parameter_must_not_hide_a_name_the_generated_code_uses(
    spec: dict[str, Any], name: str
) -> None:
    broken = _with_task(spec, "seconds")
    _task(broken)["parameters"] = {"name": {"python": name}}
    with pytest.raises(SpecError) as raised:
        namespaces(broken)
    assert str(raised.value) == (
        f"x-cocalc-methods[tasks.start]: {name!r} is not a usable Python parameter name"
    )


def test_input_stays_a_usable_parameter_name(spec: dict[str, Any]) -> None:
    # The reference page calls jupyter_execute(input=...).
    changed = _with_task(spec, "seconds")
    _task(changed)["parameters"] = {"name": {"python": "input"}}
    (method,) = {ns.name: ns for ns in namespaces(changed)}["tasks"].methods
    assert method.params[0].python_name == "input"


def test_a_spec_without_schemas_names_the_schema_a_method_refers_to() -> None:
    # A spec with no components at all: a $ref in it cannot resolve, and the error says which.
    bare = {
        "x-cocalc-methods": [
            {
                "wire": "system.ping",
                "summary": "Ping.",
                "args": [],
                "result": {"$ref": "#/components/schemas/Pong"},
                "effect": "read",
                "retry": "safe",
            }
        ]
    }
    with pytest.raises(SpecError, match="unknown schema 'Pong'"):
        namespaces(bare)


# -- `make generate` over an existing output ---------------------------------------------------


GENERATED_FROM: list[tuple[Path, Path]] = []


def fake_generation(spec_path: Path, out_dir: Path, hub_spec_path: Path = build.HUB_SPEC) -> Path:
    """A stand-in for the slow tools: the package a generation of today's spec writes."""
    GENERATED_FROM.append((spec_path, hub_spec_path))
    package = out_dir / build.PACKAGE
    (package / "resources").mkdir(parents=True)
    (package / "__init__.py").write_text("fresh\n", encoding="utf-8")
    (package / "resources" / "system.py").write_text("fresh\n", encoding="utf-8")
    return package


def test_generating_over_an_old_output_leaves_exactly_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # README: generated/ is the output of the spec; a method or namespace removed from the spec
    # must not stay behind as a module that still imports.
    from generator.__main__ import main

    monkeypatch.setattr(build, "generate_into", fake_generation)
    GENERATED_FROM.clear()
    old = tmp_path / build.PACKAGE
    (old / "resources").mkdir(parents=True)
    # `tags`: a ctags index left in the output, which `make generate` removes like the rest.
    for name in ("__init__.py", "resources/system.py", "resources/removed.py", "gone.py", "tags"):
        (old / name).write_text("old\n", encoding="utf-8")
    (old / "dropped_namespace").mkdir()
    (old / "dropped_namespace" / "__init__.py").write_text("old\n", encoding="utf-8")

    assert main(["--out", str(tmp_path), "--check"]) == 1
    listed = capsys.readouterr().err.split()
    for stale in ("__init__.py", "gone.py", "tags", "dropped_namespace", "resources/removed.py"):
        assert stale in listed, listed
    assert main(["--out", str(tmp_path)]) == 0
    files = sorted(p.relative_to(old).as_posix() for p in old.rglob("*"))
    assert files == ["__init__.py", "resources", "resources/system.py"]
    assert (old / "resources" / "system.py").read_text(encoding="utf-8") == "fresh\n"
    # Python's byte-code caches are not output: --check does not count them.
    (old / "__pycache__").mkdir()
    (old / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    assert main(["--out", str(tmp_path), "--check"]) == 0
    # Each generation was of the specs given (the defaults: spec/project-api.yaml, hub-api.yaml).
    assert GENERATED_FROM == [(SPEC, build.HUB_SPEC)] * 3
    hub = tmp_path / "hub.yaml"
    main(["--out", str(tmp_path), "--spec", str(SPEC), "--hub-spec", str(hub), "--check"])
    assert GENERATED_FROM[-1] == (SPEC, hub)
    main(["--out", str(tmp_path), "--spec", str(SPEC), "--hub-spec", str(hub)])
    assert GENERATED_FROM[-1] == (SPEC, hub)


def test_a_broken_method_table_is_named_by_its_spec_file(tmp_path: Path) -> None:
    # The generator's promise (python -m generator): a broken spec stops it before any tool
    # runs, with the file and the rule it breaks.
    broken = tmp_path / "broken-api.yaml"
    spec = load_spec(SPEC)
    spec["x-cocalc-methods"][0]["wire"] = "no-namespace"
    broken.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(SpecError) as refused:
        build.generate_into(broken, tmp_path / "out")
    assert str(refused.value).startswith("broken-api.yaml: ")
    assert not (tmp_path / "out").exists()


# -- the tools: their pinned versions, and a step that fails or warns --------------------------


def pinned_in_pyproject() -> dict[str, str]:
    """The generator extra of pyproject.toml: what `make generate` installs."""
    with (REPO / "pyproject.toml").open("rb") as handle:
        extra = tomllib.load(handle)["project"]["optional-dependencies"]["generator"]
    return dict(requirement.split("==") for requirement in extra)


def test_the_generator_checks_the_versions_pyproject_pins() -> None:
    pins = pinned_in_pyproject()
    assert {name: pins[name] for name in build.PINNED} == build.PINNED
    assert set(build.PINNED) >= {"openapi-python-client", "datamodel-code-generator", "ruff"}


def test_a_tool_of_another_version_stops_the_build_before_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def installed(name: str) -> str:
        return "0.0.1" if name == "ruff" else build.PINNED[name]

    monkeypatch.setattr(build, "version", installed)
    with pytest.raises(build.GeneratorError) as refused:
        build.generate_into(SPEC, tmp_path)
    assert "not the pinned versions" in str(refused.value)
    assert "'ruff': '0.0.1'" in str(refused.value)
    assert list(tmp_path.iterdir()) == []


OPENAPI_WARNING = (
    "Warning(s) encountered while generating. Client was generated, but some pieces may be missing"
)


@pytest.mark.parametrize(
    ("code", "output", "fails"),
    [
        (0, "", False),
        (3, "", True),
        # openapi-python-client's words (its cli.py) when it exits 0 but left something out.
        (
            0,
            OPENAPI_WARNING,
            True,
        ),
        (0, "no warnings", False),
    ],
)
def test_a_step_that_fails_or_warns_stops_the_build_and_says_which(
    code: int, output: str, fails: bool
) -> None:
    command = [
        sys.executable,
        "-c",
        f"import sys; print({output!r}, file=sys.stderr); sys.exit({code})",
    ]
    if not fails:
        build._run("the step", command)
        return
    with pytest.raises(build.GeneratorError) as failed:
        build._run("the step", command)
    assert str(failed.value) == f"the step failed ({code}):\n{output}\n"


STEPS: list[tuple[str, list[str]]] = []


def refusing_step(step: str, command: list[str]) -> None:
    """A stand-in for `_run` whose tool fails at once: records what the step was called."""
    STEPS.append((step, command))
    raise build.GeneratorError(f"{step} failed (1):\n")


@pytest.mark.parametrize(
    "run_step",
    [
        lambda tmp: build._generate_openapi_client(SPEC, tmp, "spec/project-api.yaml"),
        lambda tmp: build._generate_typeddicts(SPEC, tmp, "spec/project-api.yaml"),
        build._format,
    ],
    ids=["openapi-python-client", "datamodel-code-generator", "ruff"],
)
def test_a_failed_step_is_named_by_the_tool_pyproject_pins(
    run_step: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GeneratorError "says which" step failed: the tool as the generator extra of pyproject.toml
    # names it (what a user reinstalls), and ruff's subcommand, since ruff runs twice.
    monkeypatch.setattr(build, "_run", refusing_step)
    STEPS.clear()
    with pytest.raises(build.GeneratorError):
        run_step(tmp_path)
    ((step, command),) = STEPS
    tool, *subcommand = step.split(" ")
    assert tool in pinned_in_pyproject()
    assert subcommand == ([command[1]] if tool == "ruff" else [])
    assert list(tmp_path.iterdir()) == []


def test_ruff_checks_then_formats_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The build's last step (generator/build.py's docstring): ruff fixes, then formats, the
    # package; each run named as the failed-step test above names it.
    monkeypatch.setattr(build, "_run", lambda step, command: STEPS.append((step, command)))
    STEPS.clear()
    build._format(tmp_path)
    assert [(step, command[1], command[-1]) for step, command in STEPS] == [
        ("ruff check", "check", str(tmp_path)),
        ("ruff format", "format", str(tmp_path)),
    ]
