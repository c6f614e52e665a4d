"""Property-based tests of a real server process, driven by ``spec/project-api.yaml``.

Two kinds of test, both with schemathesis generating the request bodies:

* ``test_envelope_conforms_to_spec``: schemathesis' own pytest integration on the spec as it is
  (coverage and fuzzing phases, valid and invalid bodies). The envelope names random methods, so
  every answer must be HTTP 200 with ``{"error": str}``.
* ``test_method_conforms_to_spec``: one small OpenAPI document per entry of ``x-cocalc-methods``
  (all of them), derived in memory, whose request body is ``{"name": <wire name>, "args":
  <args>}``: ``args`` is the method's whole slot list as ``prefixItems`` (an options object or a
  value per slot, nothing after the last, the required ones present), and the response is
  ``{"error": str}`` or the method's result schema. Every generated ``args`` is also checked
  against the spec's own slot schemas and the SDK's generated validator, so the safety
  narrowing below never tests inputs the spec does not allow.

What the fuzzing may touch: the server runs in a throwaway project folder, next to a sibling
file that no call may reach (the file methods only name paths inside a scratch folder, plus
that sibling to check they refuse it); ``system.exec`` runs only harmless commands;
``system.signal`` sends only signals that harm nobody (0, SIGCONT, SIGWINCH), to the
project's own processes or to processes that are not the project's, which must be refused
(the server only signals its own processes); ``stopJupyterKernel`` must only stop kernels.
After every request the server must still answer ``system.ping`` and the sentinel process
and the sibling file must still be there.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import jsonschema  # type: ignore[import-untyped, unused-ignore]
import pytest
import referencing
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, note, reject, settings
from referencing.jsonschema import DRAFT202012

from cocalc_api_generated._runtime import MethodSpec
from cocalc_api_generated.specs import BY_WIRE
from cocalc_project_server.testing import ServerProcess, running_server

JsonSchema = dict[str, Any]
# A generated request for any operation (the operation type is not needed here).
Case = schemathesis.Case[Any]
F = TypeVar("F", bound=Callable[..., None])

SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "project-api.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
SPEC_URI = "urn:cocalc:project-api"
REF_PREFIX = "#/components/schemas/"
(ENDPOINT,) = SPEC["paths"]
TABLE: list[dict[str, Any]] = SPEC["x-cocalc-methods"]
WIRE_NAMES = {entry["wire"] for entry in TABLE}


def python_name(entry: Mapping[str, Any]) -> str:
    """The entry's ``python`` name; by default the snake_case of its function part."""
    explicit = entry.get("python")
    if isinstance(explicit, str):
        return explicit
    function = str(entry["wire"]).split(".", 1)[1]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", function).lower()


@dataclass(frozen=True)
class Method:
    """One entry of the table and the SDK's generated spec of it."""

    entry: dict[str, Any]
    spec: MethodSpec[Any]

    @property
    def wire(self) -> str:
        return str(self.entry["wire"])

    @property
    def python(self) -> str:
        return self.spec.python_name

    @property
    def slots(self) -> list[dict[str, Any]]:
        slots: list[dict[str, Any]] = self.entry["args"]
        return slots


def _method(entry: dict[str, Any]) -> Method:
    name = python_name(entry)
    matches = [spec for spec in BY_WIRE[entry["wire"]] if spec.python_name == name]
    assert len(matches) == 1, f"{entry['wire']}:{name} is not once in the generated specs"
    kinds = tuple("options" if "options" in slot else "value" for slot in entry["args"])
    assert matches[0].slots == kinds, (entry["wire"], matches[0].slots, kinds)
    return Method(entry, matches[0])


METHODS = [_method(entry) for entry in TABLE]

# The checks that fit an always-200 RPC API. Left out on purpose: `negative_data_rejection`
# (invalid bodies are answered with HTTP 200 and {"error": ...}, as the spec says) and the
# checks that re-send requests without auth or with other methods (`ignored_auth`, ...).
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

# Hypothesis settings shared by all tests: no example database, no deadline (a call can wait
# for a Jupyter kernel); derandomized, though runtime values (pids, job ids) vary the draws.
BASE_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Examples per method (by Python name; DEFAULT_EXAMPLES for the others, which take some
# milliseconds each). Calls that start a kernel or a program take up to a second: fewer. The
# narrowing below makes at least half of the examples of each method succeed, so that each
# test sees a result (the runtime values in the schemas make the draws vary between runs).
DEFAULT_EXAMPLES = 15
MAX_EXAMPLES = {
    "exec": 40,
    "exec_status": 20,
    "jupyter_execute": 5,
    "version": 3,
    "configuration": 4,
    "jupyter_nbconvert": 5,
    "jupyter_run_notebook": 8,
    "formatter_string": 10,
}

# -- what the generated arguments may contain -------------------------------------------------

# `system.exec` runs for real in the project folder: only commands that cannot change anything,
# with arguments that no shell reads as anything but words.
HARMLESS_COMMANDS = ["echo", "true", "false", "printf"]
SAFE_WORD = {"type": "string", "pattern": "^[A-Za-z0-9 ._=-]{0,12}$"}
# `system.jupyterExecute`: tiny cells covering each kind of output item.
CELLS = [
    "",
    "1 + 1",
    "print('hi')",
    "import sys; print('oops', file=sys.stderr)",
    "1 / 0",
    "from IPython.display import HTML; HTML('<b>x</b>')",
]
# Relative folders: the project folder itself, one that is missing, one outside.
FOLDERS = ["", ".", "no-such-folder", ".."]
# Files the read-only file methods look at (made by `make_project`).
PATHS = ["hello.txt", "link-to-hello", "link-outside", "scratch", "missing.txt", "/", "../x"]
# The only paths the changing file methods may name: inside the scratch folder (rebuilt
# before each of their calls), and the sibling of the project folder that must be refused.
OUTSIDE = "../sibling.txt"
SCRATCH_SOURCES = ["scratch/a.txt", "scratch/b.txt", "scratch/dir", "scratch/missing", OUTSIDE]
SCRATCH_TARGETS = ["scratch/new.txt", "scratch/b.txt", "scratch/new/deep.txt", "scratch/dest"]
NOTEBOOK: dict[str, Any] = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": ["print(1 + 1)"],
        }
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
NOTEBOOKS = [
    json.dumps(NOTEBOOK),
    json.dumps({**NOTEBOOK, "metadata": {"kernelspec": {"name": "no-such-kernel"}}}),
    json.dumps({"cells": [], "metadata": {}}),
    "{not json",
]
# Python (yapf, which this server has) on text it can format, and a parser nobody has
# (test_notebooks.py has the formatters this machine lacks).
PARSERS = ["python", "yapf", "no-such-parser"]
PYTHON_TEXTS = ["", "x=1\n", "def f( a ):\n  return {'a':a}\n", "s = '\u00e9\U0001f600'\n"]
# Signals that change nothing for any process: the null signal, continue, window size change.
HARMLESS_SIGNALS = [0, int(signal.SIGCONT), int(signal.SIGWINCH)]


def _pid_max() -> int:
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text())
    except (OSError, ValueError):
        return 4_194_304  # the largest Linux allows


PID_MAX = _pid_max()


@dataclass(frozen=True)
class Runtime:
    """Values only known once the server runs, offered to the generator next to random ones."""

    root: str
    job_ids: list[str]
    # Processes that are not the project's: nothing may stop or signal them (0 and -1 name
    # the server's own process group and every process of the user).
    protected_pids: list[int]
    kernel_pids: list[int]
    # Processes the project started itself (a command still running).
    project_pids: list[int]


def _no_process() -> list[JsonSchema]:
    # Integers that cannot be a process (or group) id: a random pid in the real range could
    # belong to anything on this machine.
    return [
        {"type": "integer", "minimum": PID_MAX + 1},
        {"type": "integer", "maximum": -(PID_MAX + 1)},
    ]


def options_narrowing(component: str, rt: Runtime) -> dict[str, JsonSchema]:
    """Per property of an options object, a schema that allows a subset of what the spec allows."""
    if component == "ExecOptions":
        return {
            "command": {"type": "string", "enum": HARMLESS_COMMANDS},
            "args": {"type": "array", "items": SAFE_WORD, "maxItems": 3},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 2},
            # No PATH, BASH_ENV, LD_PRELOAD ...: only variables nothing reads.
            "env": {
                "type": "object",
                "properties": {"FUZZ_A": SAFE_WORD, "FUZZ_B": SAFE_WORD},
                "additionalProperties": False,
            },
            # Mostly folders that exist, so that most commands run at all.
            "path": {"type": "string", "enum": FOLDERS},
            "cwd": {"type": "string", "enum": [rt.root, "/", *FOLDERS]},
            "home": {"type": "string", "enum": [rt.root, "/"]},
        }
    if component == "ExecStatusOptions":
        # Real job ids, or short random strings (which can never be one). A plain
        # `{"type": "string"}` branch would swallow the enum and the ids would never come up.
        return {"async_get": {"anyOf": [{"enum": rt.job_ids}, {"type": "string", "maxLength": 8}]}}
    if component == "JupyterExecuteOptions":
        return {
            "input": {"type": "string", "enum": CELLS},
            # Only the kernel that runs: the few examples are for the outputs (test_jupyter.py
            # has the unknown kernels).
            "kernel": {"const": "python3"},
            "history": {"type": "array", "items": {"enum": CELLS}, "maxItems": 1},
            "path": {"type": "string", "enum": FOLDERS},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 30},
            # At most one warm kernel: a large pool would start kernels for the rest of the run.
            "pool": {
                "type": "object",
                "properties": {
                    "size": {"type": "integer", "minimum": 0, "maximum": 1},
                    "timeout_s": {"type": "number", "minimum": 0, "maximum": 60},
                },
                "additionalProperties": False,
            },
            # A per-cell limit long enough for the tiny cells (an interrupt of an idle kernel
            # would wait for the kill).
            "limits": {
                "type": "object",
                "properties": {
                    "timeout_ms_per_cell": {"type": "number", "minimum": 5000, "maximum": 10000},
                    "max_output_per_cell": {"type": "integer", "minimum": 0, "maximum": 100},
                    "max_output": {"type": "integer", "minimum": 0, "maximum": 100},
                    "total_output": {"type": "integer", "minimum": 0, "maximum": 100},
                    # No start_time: the server sets it (a random one ends most calls at once).
                    "timeout_ms": {"type": "number", "minimum": 0, "maximum": 60_000},
                },
                "additionalProperties": False,
            },
        }
    if component == "StopJupyterKernelOptions":
        return {"pid": {"anyOf": [{"enum": rt.kernel_pids + rt.protected_pids}, *_no_process()]}}
    if component == "SignalOptions":
        target = {"anyOf": [{"enum": rt.project_pids + rt.protected_pids}, *_no_process()]}
        return {
            "signal": {"type": "integer", "enum": HARMLESS_SIGNALS},
            "pid": target,
            "pids": {"type": "array", "items": target, "maxItems": 3},
        }
    if component == "ListingOptions":
        return {"path": {"type": "string", "enum": PATHS + FOLDERS}}
    if component == "ReadTextFileOptions":
        return {"path": {"type": "string", "enum": ["hello.txt", "link-to-hello", *PATHS[2:]]}}
    if component == "DeleteFilesOptions":
        return {"paths": {"type": "array", "items": {"enum": SCRATCH_SOURCES}, "maxItems": 3}}
    if component == "MoveFilesOptions":
        return {
            "paths": {"type": "array", "items": {"enum": SCRATCH_SOURCES}, "maxItems": 2},
            "dest": {"type": "string", "enum": ["scratch/dest", "scratch/dir", ".."]},
        }
    if component == "RenameFileOptions":
        return {
            "src": {"type": "string", "enum": ["scratch/a.txt", "scratch/dir", OUTSIDE]},
            "dest": {"type": "string", "enum": ["scratch/new.txt", "scratch/renamed", OUTSIDE]},
        }
    if component == "WriteTextFileOptions":
        return {
            "path": {"type": "string", "enum": [*SCRATCH_TARGETS, OUTSIDE]},
            "content": {"type": "string", "maxLength": 40},
        }
    if component == "NbconvertOptions":
        return {
            # One real conversion (a second each): the folder decides whether it fails.
            "args": {"const": ["--to", "script", "notebook.ipynb"]},
            "directory": {"type": "string", "enum": ["", "scratch", "no-such-folder"]},
            "timeout": {"type": "number", "minimum": 10, "maximum": 30},
        }
    if component == "RunNotebookOptions":
        return {
            "path": {"type": "string", "enum": ["runs", ""]},
            "ipynb": {"type": "string", "enum": NOTEBOOKS},
            "limits": {
                "type": "object",
                "properties": {
                    "max_output": {"type": "integer", "minimum": 0, "maximum": 100},
                    "max_output_per_cell": {"type": "integer", "minimum": 0, "maximum": 100},
                    "max_time_per_cell_ms": {"type": "number", "minimum": 5000, "maximum": 10000},
                    "max_total_time_ms": {"type": "number", "minimum": 0, "maximum": 60_000},
                },
                "additionalProperties": False,
            },
        }
    if component == "FormatStringOptions":
        return {
            "str": {"type": "string", "enum": PYTHON_TEXTS},
            "options": {
                "type": "object",
                "required": ["parser"],
                "properties": {
                    "parser": {"enum": PARSERS},
                    "tabWidth": {"type": "integer", "minimum": 0, "maximum": 8},
                    "useTabs": {"type": "boolean"},
                },
                "additionalProperties": False,
            },
            "path": {"type": "string", "enum": ["", "a.c", "scratch/x.py"]},
        }
    return {}


def value_narrowing(wire: str, name: str) -> JsonSchema | None:
    """A narrower schema for the value slot ``name`` of ``wire``, or None to keep the spec's."""
    narrowed: dict[tuple[str, str], JsonSchema] = {
        ("system.realpath", "path"): {"type": "string", "enum": PATHS},
        ("system.canonicalPaths", "paths"): {
            "type": "array",
            "items": {"enum": PATHS},
            "maxItems": 3,
        },
        ("editor.newFile", "path"): {"type": "string", "enum": ["", *SCRATCH_TARGETS]},
        ("editor.jupyterStripNotebook", "path_ipynb"): {
            "type": "string",
            "enum": ["notebook.ipynb", "with-outputs.ipynb", "hello.txt", "missing.ipynb"],
        },
        ("editor.jupyterKernelLogo", "kernelName"): {
            "type": "string",
            "enum": ["python3", "no-such-kernel"],
        },
    }
    return narrowed.get((wire, name))


# Methods that change files: the scratch folder is rebuilt before each of their calls.
CHANGES_FILES = {
    "system.deleteFiles",
    "system.moveFiles",
    "system.renameFile",
    "system.writeTextFileToProject",
    "editor.newFile",
}


def envelope_timeout(wire: str) -> JsonSchema:
    """Envelope ``timeout`` (ms): small, except where a kernel or a program has to start."""
    if wire in ("system.jupyterExecute", "editor.jupyterRunNotebook", "editor.jupyterNbconvert"):
        return {"type": "integer", "minimum": 20_000, "maximum": 60_000}
    return {"type": "integer", "exclusiveMinimum": 0, "maximum": 20_000}


# -- the spec, resolved --------------------------------------------------------------------------

REGISTRY: referencing.Registry[Any] = referencing.Registry().with_resource(
    SPEC_URI, referencing.Resource.from_contents(SPEC, default_specification=DRAFT202012)
)


def _absolute_refs(value: Any) -> Any:
    """``value`` with every ``#/...`` reference pointing into the spec's resource."""
    if isinstance(value, dict):
        return {
            k: (
                SPEC_URI + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _absolute_refs(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_absolute_refs(v) for v in value]
    return value


def validator(schema: JsonSchema) -> jsonschema.protocols.Validator:
    """A 2020-12 validator (formats checked) for a schema whose ``$ref``s name the spec's."""
    return jsonschema.Draft202012Validator(
        _absolute_refs(schema),
        registry=REGISTRY,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def component(ref: str) -> tuple[str, JsonSchema]:
    """The name and schema of ``#/components/schemas/<name>``."""
    assert ref.startswith(REF_PREFIX), ref
    name = ref.removeprefix(REF_PREFIX)
    schema: JsonSchema = SPEC["components"]["schemas"][name]
    return name, schema


def slot_name(slot: Mapping[str, Any]) -> str:
    """An options slot's component name, or a value slot's name."""
    if "options" in slot:
        return component(slot["options"]["$ref"])[0]
    return str(slot["name"])


def args_schema(slots: list[dict[str, Any]], schemas: list[JsonSchema]) -> JsonSchema:
    """The wire ``args`` array of a method whose slots have these schemas: each slot in its
    place, nothing after the last, every slot up to the last required one present (a slot is
    required unless it says otherwise), an optional value before a sent one possibly null."""
    items = []
    for index, (slot, schema) in enumerate(zip(slots, schemas, strict=True)):
        required = slot.get("required", True)
        if "options" not in slot and not required and index < len(slots) - 1:
            schema = {"anyOf": [schema, {"type": "null"}]}
        items.append(schema)
    required_slots = [i for i, slot in enumerate(slots) if slot.get("required", True)]
    if not items:
        return {"type": "array", "maxItems": 0}  # prefixItems may not be empty
    return {
        "type": "array",
        "prefixItems": items,
        "items": False,
        "minItems": required_slots[-1] + 1 if required_slots else 0,
    }


def spec_args_schema(method: Method) -> JsonSchema:
    """The method's ``args`` exactly as the spec allows them."""
    schemas = [slot["options"] if "options" in slot else slot["schema"] for slot in method.slots]
    return args_schema(method.slots, schemas)


def narrowed_args_schema(method: Method, rt: Runtime) -> JsonSchema:
    """The method's ``args`` as the fuzzing may send them."""
    schemas: list[JsonSchema] = []
    for slot in method.slots:
        if "options" in slot:
            name, options = component(slot["options"]["$ref"])
            narrowed = options_narrowing(name, rt)
            unknown = set(narrowed) - set(options.get("properties", {}))
            assert not unknown, f"narrowing names properties {name} does not have: {unknown}"
            options = copy.deepcopy(options)
            options.setdefault("properties", {}).update(narrowed)
            schemas.append(options)
        else:
            schemas.append(value_narrowing(method.wire, slot["name"]) or slot["schema"])
    return args_schema(method.slots, schemas)


def method_document(method: Method, rt: Runtime, project_id: str) -> dict[str, Any]:
    """The spec with its one operation specialised to ``method``."""
    envelope = {
        "type": "object",
        "required": ["name", "args"],
        "additionalProperties": False,
        "properties": {
            "name": {"const": method.wire},
            "args": narrowed_args_schema(method, rt),
            "project_id": {"const": project_id},
            "timeout": envelope_timeout(method.wire),
            "compute_server_id": {"const": 0},
        },
    }
    document = copy.deepcopy(SPEC)
    document.pop("security", None)  # the tests send the real key themselves
    post = document["paths"][ENDPOINT]["post"]
    post["requestBody"]["content"]["application/json"]["schema"] = envelope
    post["responses"]["200"]["content"]["application/json"]["schema"] = {
        "anyOf": [{"$ref": f"{REF_PREFIX}RpcError"}, method.entry["result"]]
    }
    return document


# -- the project folder and the server ------------------------------------------------------------


def make_project(outer: Path) -> Path:
    """A throwaway project folder (with the files PATHS names) next to a sibling file."""
    (outer / "sibling.txt").write_text("must survive\n")
    root = outer / "project"
    root.mkdir()
    (root / "hello.txt").write_text("hello\n")
    (root / "link-to-hello").symlink_to("hello.txt")
    (root / "link-outside").symlink_to("/")
    (root / "notebook.ipynb").write_text(json.dumps(NOTEBOOK))
    output = {"output_type": "stream", "name": "stdout", "text": ["2\n"]}
    ran = {**NOTEBOOK["cells"][0], "outputs": [output], "attachments": {}}
    (root / "with-outputs.ipynb").write_text(json.dumps({**NOTEBOOK, "cells": [ran]}))
    reset_scratch(root)
    return root


def reset_scratch(root: Path) -> None:
    scratch = root / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "dir").mkdir(parents=True)
    (scratch / "dest").mkdir()
    (scratch / "a.txt").write_text("a\n")
    (scratch / "b.txt").write_text("b\n")
    (scratch / "dir" / "c.txt").write_text("c\n")


@dataclass(frozen=True)
class Target:
    server: ServerProcess
    client: httpx2.Client
    # An unrelated process that no generated request may kill.
    sentinel: subprocess.Popen[bytes]
    # A file next to the project folder that no generated request may touch.
    sibling: Path

    @property
    def root(self) -> Path:
        return Path(self.server.root)

    @property
    def auth_headers(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.server.api_key}:".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def call(self, name: str, *args: Any) -> Any:
        response = self.client.post(
            self.server.endpoint, json={"name": name, "args": list(args)}, headers=self.auth_headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    def assert_alive(self) -> None:
        """The server has not crashed and still answers; nothing outside the project changed."""
        assert self.server.process.poll() is None, "the server process exited"
        assert "now" in self.call("system.ping", {})
        assert self.sentinel.poll() is None, "a request killed an unrelated process"
        assert self.sibling.read_text() == "must survive\n", "a request reached outside"

    def kernel_pids(self) -> set[int]:
        return {kernel["pid"] for kernel in self.call("system.listJupyterKernels", {})}

    def runtime(self, *, jobs: bool, kernel: bool, project_process: bool) -> Runtime:
        job_ids: list[str] = []
        if jobs:
            for command in ("echo", "false"):  # one completed and one failed job
                started = self.call("system.exec", {"command": command, "async_call": True})
                job_ids.append(started["job_id"])
        kernel_pids: list[int] = []
        if kernel:  # the warm pool kernel, once it has a pid
            deadline = time.monotonic() + 30
            while not kernel_pids and time.monotonic() < deadline:
                kernel_pids = sorted(self.kernel_pids())
                time.sleep(0.1)
        project_pids: list[int] = []
        if project_process:  # a command of the project that runs until the server stops
            started = self.call(
                "system.exec", {"command": "sleep", "args": ["300"], "async_call": True}
            )
            project_pids.append(started["pid"])
        protected = [self.sentinel.pid, self.server.pid, os.getpid(), os.getppid(), 1, 0, -1]
        return Runtime(str(self.root), job_ids, protected, kernel_pids, project_pids)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    outer = tmp_path_factory.mktemp("fuzzed")
    root = make_project(outer)
    sentinel = subprocess.Popen(["sleep", "300"])
    try:
        with (
            running_server(root=root, kernel_pool_size=1) as server,
            httpx2.Client(timeout=90) as client,
        ):
            yield Target(server, client, sentinel, outer / "sibling.txt")
    finally:
        sentinel.kill()
        sentinel.wait()
    assert sorted(p.name for p in outer.iterdir()) == ["project", "sibling.txt"]


def assert_json_200(response: schemathesis.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers.get("content-type", [""])[0].startswith("application/json")
    return response.json()


def is_rpc_error(body: object) -> bool:
    return isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], str)


# -- the spec as it is: random envelopes ----------------------------------------------------------

SCHEMA = schemathesis.openapi.from_path(SPEC_PATH)
parametrize: Callable[[F], F] = SCHEMA.parametrize()


@parametrize
@settings(BASE_SETTINGS, max_examples=50)
def test_envelope_conforms_to_spec(case: Case, target: Target) -> None:
    name = case.body.get("name") if isinstance(case.body, dict) else None
    if isinstance(name, str) and name in WIRE_NAMES:
        # Random args for a real method (system.exec!) are the per-method tests' business.
        reject()
    note(f"request: {case.method} {case.body!r}")
    response = case.call(base_url=target.server.url, headers=target.auth_headers, timeout=30)
    case.validate_response(response, checks=CHECKS)
    if case.method != "POST":
        # The coverage phase also tries the methods the spec does not declare.
        assert response.status_code == 405, (case.method, response.status_code)
        target.assert_alive()
        return
    if response.status_code == 400:
        # A body JSON.parse refuses, as Next.js's body parser answers it (parse-body.ts).
        assert response.text == "Invalid JSON"
        target.assert_alive()
        return
    payload = assert_json_200(response)
    assert is_rpc_error(payload), payload
    target.assert_alive()


# -- one derived document per method --------------------------------------------------------------


def test_the_table_is_the_generated_method_specs() -> None:
    # Every entry is fuzzed below; the SDK's generated specs must be exactly these methods.
    generated = {(spec.wire_name, spec.python_name) for specs in BY_WIRE.values() for spec in specs}
    assert {(m.wire, m.python) for m in METHODS} == generated
    assert len(generated) == len(TABLE)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: f"{m.wire}:{m.python}")
def test_method_conforms_to_spec(method: Method, target: Target) -> None:
    components = {slot_name(slot) for slot in method.slots}
    rt = target.runtime(
        jobs="ExecStatusOptions" in components,
        kernel="StopJupyterKernelOptions" in components,
        project_process="SignalOptions" in components,
    )
    schema = schemathesis.openapi.from_dict(method_document(method, rt, target.server.project_id))
    operation = schema[ENDPOINT]["POST"]
    spec_args = validator(spec_args_schema(method))
    spec_result = validator(method.entry["result"])
    seen: list[Any] = []

    @settings(
        BASE_SETTINGS,
        max_examples=MAX_EXAMPLES.get(method.python, DEFAULT_EXAMPLES),
        phases=[Phase.generate],
    )
    @given(case=operation.as_strategy())
    def check(case: Case) -> None:
        note(f"request body: {case.body!r}")
        args = wire_args(case)
        # The narrowing only ever picks inputs the spec allows, and the SDK agrees.
        spec_args.validate(args)
        method.spec.validate_args(args)
        if method.wire in CHANGES_FILES:
            reset_scratch(target.root)
        kernels_before = (
            target.kernel_pids() if method.wire == "system.stopJupyterKernel" else set()
        )
        response = case.call(base_url=target.server.url, headers=target.auth_headers, timeout=90)
        case.validate_response(response, checks=CHECKS)
        payload = assert_json_200(response)
        if not is_rpc_error(payload):
            spec_result.validate(payload)
        if method.wire == "system.stopJupyterKernel":
            assert_only_kernels_stopped(args[0]["pid"], payload, kernels_before, rt)
        if method.wire == "system.signal":
            assert_only_project_signalled(args[0], payload, rt)
        target.assert_alive()
        seen.append(payload)

    check()
    # Some calls must have got past the error path, or the result schema was never tested.
    assert any(not is_rpc_error(payload) for payload in seen), seen


def wire_args(case: Case) -> list[Any]:
    """``args`` of a generated body."""
    body = case.body
    assert isinstance(body, dict) and isinstance(body["args"], list), body
    return body["args"]


def assert_only_kernels_stopped(
    pid: float, payload: Any, kernels_before: set[int], rt: Runtime
) -> None:
    if pid in rt.protected_pids or pid not in kernels_before:
        assert payload == {"success": False}, (pid, payload)
    for protected in rt.protected_pids:
        if protected > 0:
            assert _exists(protected), f"process {protected} is gone after stopJupyterKernel({pid})"


def assert_only_project_signalled(options: Mapping[str, Any], payload: Any, rt: Runtime) -> None:
    """Any process that is not the project's is refused; the project's own are signalled."""
    targets = [options["pid"]] if "pid" in options else []
    targets += options.get("pids", [])
    if any(pid in rt.protected_pids for pid in targets):
        assert is_rpc_error(payload), (targets, payload)
    elif all(pid in rt.project_pids for pid in targets):
        assert payload is None, (targets, payload)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
