"""Property-based tests of a real server process, driven by ``spec/project-api.yaml``.

Two kinds of test, both with schemathesis generating the request bodies:

* ``test_envelope_conforms_to_spec``: schemathesis' own pytest integration on the spec as it is
  (coverage and fuzzing phases, valid and invalid bodies). The envelope names random methods, so
  every answer must be HTTP 200 with ``{"error": str}``.
* ``test_method_conforms_to_spec``: one small OpenAPI document per entry of ``x-cocalc-methods``,
  derived in memory, whose request body is ``{"name": <wire name>, "args": [<args schema>]}``
  and whose response is ``{"error": str}`` or the method's result schema. Every generated
  ``args[0]`` is also checked against the spec's own args schema, so the safety narrowing below
  (harmless commands, tiny notebook cells, ...) never tests inputs the spec does not allow.

After every request the server must still be running and answer ``system.ping``.
"""

from __future__ import annotations

import base64
import copy
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jsonschema  # type: ignore[import-untyped, unused-ignore]
import pytest
import referencing
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, note, reject, settings
from referencing.jsonschema import DRAFT202012

from cocalc_project_server.testing import ServerProcess, running_server

JsonSchema = dict[str, Any]
# A generated request for any operation (the operation type is not needed here).
Case = schemathesis.Case[Any]
F = TypeVar("F", bound=Callable[..., None])

SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "project-api.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
SPEC_URI = "urn:cocalc:project-api"
(ENDPOINT,) = SPEC["paths"]
METHODS: list[dict[str, Any]] = SPEC["x-cocalc-methods"]
WIRE_NAMES = {entry["wire"] for entry in METHODS}

# The checks that fit an always-200 RPC API. Left out on purpose: `negative_data_rejection`
# (invalid bodies are answered with HTTP 200 and {"error": ...}, as the spec says) and the
# checks that re-send requests without auth or with other methods (`ignored_auth`, ...).
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

# Hypothesis settings shared by all tests: deterministic, no example database, no deadline
# (a call can wait for a Jupyter kernel).
BASE_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Examples per method (by Python name; 10 for a method added later). Jupyter calls start a
# kernel each, so only a few.
MAX_EXAMPLES = {
    "ping": 5,
    "test": 5,
    "exec": 60,
    "exec_status": 25,
    "jupyter_execute": 8,
    "list_jupyter_kernels": 5,
    "stop_jupyter_kernel": 25,
}

# -- what the generated arguments may contain -------------------------------------------------

# `system.exec` runs for real in the project folder: only commands that cannot change anything.
HARMLESS_COMMANDS = ["echo", "true", "false", "printf"]
# `system.jupyterExecute`: tiny cells covering each kind of output item.
CELLS = [
    "",
    "1 + 1",
    "print('hi')",
    "import sys; print('oops', file=sys.stderr)",
    "1 / 0",
    "from IPython.display import HTML; HTML('<b>x</b>')",
]
KERNELS = ["python3", "no-such-kernel"]
# Relative folders: the project folder itself, one that is missing, one outside.
FOLDERS = ["", ".", "no-such-folder", ".."]


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
    # Processes that are not kernels of the server: stopping them must always fail.
    protected_pids: list[int]
    kernel_pids: list[int]


def narrowing(args_schema_name: str, rt: Runtime) -> dict[str, JsonSchema]:
    """Per property of ``args[0]``, a schema that allows a subset of what the spec allows."""
    if args_schema_name == "ExecOptions":
        return {
            "command": {"type": "string", "enum": HARMLESS_COMMANDS},
            "args": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 3},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 2},
            # No PATH, BASH_ENV, LD_PRELOAD ...: only variables nothing reads.
            "env": {
                "type": "object",
                "properties": {"FUZZ_A": {}, "FUZZ_B": {}},
                "additionalProperties": False,
            },
            # Mostly folders that exist, so that most commands run at all.
            "path": {"type": "string", "enum": FOLDERS},
            "cwd": {"type": "string", "enum": [rt.root, "/", *FOLDERS]},
        }
    if args_schema_name == "ExecStatusOptions":
        # Real job ids, or short random strings (which can never be one). A plain
        # `{"type": "string"}` branch would swallow the enum and the ids would never come up.
        return {"async_get": {"anyOf": [{"enum": rt.job_ids}, {"type": "string", "maxLength": 8}]}}
    if args_schema_name == "JupyterExecuteOptions":
        return {
            "input": {"type": "string", "enum": CELLS},
            "kernel": {"type": "string", "enum": KERNELS},
            "history": {"type": "array", "items": {"enum": CELLS}, "maxItems": 1},
            "path": {"type": "string", "enum": FOLDERS},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 30},
        }
    if args_schema_name == "StopJupyterKernelOptions":
        # Real processes (kernels and others), or integers that cannot be a process id: a
        # random pid in the real range could belong to anything on this machine.
        return {
            "pid": {
                "anyOf": [
                    {"enum": rt.kernel_pids + rt.protected_pids},
                    {"type": "integer", "maximum": 0},
                    {"type": "integer", "minimum": PID_MAX + 1},
                ]
            }
        }
    return {}


def envelope_timeout(wire: str) -> JsonSchema:
    """Envelope ``timeout`` (ms): small, except that a Jupyter call must outlive a kernel start."""
    if wire == "system.jupyterExecute":
        return {"type": "integer", "minimum": 20_000, "maximum": 60_000}
    return {"type": "integer", "exclusiveMinimum": 0, "maximum": 20_000}


# -- the spec, resolved --------------------------------------------------------------------------

REGISTRY: referencing.Registry[Any] = referencing.Registry().with_resource(
    SPEC_URI, referencing.Resource.from_contents(SPEC, default_specification=DRAFT202012)
)


def validator(ref_or_schema: JsonSchema) -> jsonschema.protocols.Validator:
    """A 2020-12 validator (formats checked) for a schema of the spec, e.g. ``{"$ref": ...}``
    from ``x-cocalc-methods``; its ``$ref``s resolve inside the spec."""
    schema = copy.deepcopy(ref_or_schema)
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        schema["$ref"] = SPEC_URI + ref
    return jsonschema.Draft202012Validator(
        schema,
        registry=REGISTRY,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def component(ref: str) -> tuple[str, JsonSchema]:
    """The name and schema of ``#/components/schemas/<name>``."""
    prefix = "#/components/schemas/"
    assert ref.startswith(prefix), ref
    name = ref.removeprefix(prefix)
    schema: JsonSchema = SPEC["components"]["schemas"][name]
    return name, schema


def method_document(entry: Mapping[str, Any], rt: Runtime, project_id: str) -> dict[str, Any]:
    """The spec with its one operation specialised to the method ``entry``."""
    name, args_schema = component(entry["args"]["$ref"])
    narrowed = narrowing(name, rt)
    unknown = set(narrowed) - set(args_schema.get("properties", {}))
    assert not unknown, f"narrowing names properties {name} does not have: {unknown}"
    args = copy.deepcopy(args_schema)
    args.setdefault("properties", {}).update(narrowed)
    envelope = {
        "type": "object",
        "required": ["name", "args"],
        "additionalProperties": False,
        "properties": {
            "name": {"const": entry["wire"]},
            "args": {"type": "array", "items": args, "minItems": 1, "maxItems": 1},
            "project_id": {"const": project_id},
            "timeout": envelope_timeout(entry["wire"]),
            "compute_server_id": {"const": 0},
        },
    }
    document = copy.deepcopy(SPEC)
    document.pop("security", None)  # the tests send the real key themselves
    post = document["paths"][ENDPOINT]["post"]
    post["requestBody"]["content"]["application/json"]["schema"] = envelope
    post["responses"]["200"]["content"]["application/json"]["schema"] = {
        "anyOf": [{"$ref": "#/components/schemas/RpcError"}, entry["result"]]
    }
    return document


# -- the server -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    server: ServerProcess
    client: httpx.Client
    # An unrelated process that no generated request may kill.
    sentinel: subprocess.Popen[bytes]

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
        """The server has not crashed and still answers; the sentinel is still running."""
        assert self.server.process.poll() is None, "the server process exited"
        assert "now" in self.call("system.ping", {})
        assert self.sentinel.poll() is None, "a request killed an unrelated process"

    def kernel_pids(self) -> set[int]:
        return {kernel["pid"] for kernel in self.call("system.listJupyterKernels", {})}

    def runtime(self, *, with_jobs: bool, with_kernel: bool) -> Runtime:
        job_ids: list[str] = []
        if with_jobs:
            for command in ("echo", "false"):  # one completed and one failed job
                started = self.call("system.exec", {"command": command, "async_call": True})
                job_ids.append(started["job_id"])
        kernel_pids: list[int] = []
        if with_kernel:  # the warm pool kernel, once it has a pid
            deadline = time.monotonic() + 30
            while not kernel_pids and time.monotonic() < deadline:
                kernel_pids = sorted(self.kernel_pids())
                time.sleep(0.1)
        protected = [self.sentinel.pid, self.server.pid, os.getpid(), os.getppid(), 1]
        return Runtime(self.server.root, job_ids, protected, kernel_pids)


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    sentinel = subprocess.Popen(["sleep", "300"])
    try:
        with running_server(kernel_pool_size=1) as server, httpx.Client(timeout=90) as client:
            yield Target(server, client, sentinel)
    finally:
        sentinel.kill()
        sentinel.wait()


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
    payload = assert_json_200(response)
    assert is_rpc_error(payload), payload
    target.assert_alive()


# -- one derived document per method --------------------------------------------------------------


def method_id(entry: Mapping[str, Any]) -> str:
    return f"{entry['wire']}:{entry['python']}"


@pytest.mark.parametrize("entry", METHODS, ids=method_id)
def test_method_conforms_to_spec(entry: dict[str, Any], target: Target) -> None:
    args_name, _ = component(entry["args"]["$ref"])
    rt = target.runtime(
        with_jobs=args_name == "ExecStatusOptions",
        with_kernel=args_name == "StopJupyterKernelOptions",
    )
    schema = schemathesis.openapi.from_dict(method_document(entry, rt, target.server.project_id))
    operation = schema[ENDPOINT]["POST"]
    spec_args = validator(entry["args"])
    spec_result = validator(entry["result"])
    seen: list[Any] = []

    @settings(
        BASE_SETTINGS, max_examples=MAX_EXAMPLES.get(entry["python"], 10), phases=[Phase.generate]
    )
    @given(case=operation.as_strategy())
    def check(case: Case) -> None:
        note(f"request body: {case.body!r}")
        args0 = first_arg(case)
        spec_args.validate(args0)  # the narrowing only ever picks inputs the spec allows
        stopping = args_name == "StopJupyterKernelOptions"
        kernels_before = target.kernel_pids() if stopping else set()
        response = case.call(base_url=target.server.url, headers=target.auth_headers, timeout=90)
        case.validate_response(response, checks=CHECKS)
        payload = assert_json_200(response)
        if not is_rpc_error(payload):
            spec_result.validate(payload)
        if stopping:
            pid = args0["pid"]
            assert isinstance(pid, int | float)
            assert_only_kernels_stopped(pid, payload, kernels_before, rt)
        target.assert_alive()
        seen.append(payload)

    check()
    # Some calls must have got past the error path, or the result schema was never tested.
    assert any(not is_rpc_error(payload) for payload in seen), seen


def first_arg(case: Case) -> Mapping[str, object]:
    """``args[0]`` of a generated body (an object in every per-method document)."""
    body = case.body
    assert isinstance(body, dict) and isinstance(body["args"], list), body
    args0 = body["args"][0]
    assert isinstance(args0, dict), args0
    return args0


def assert_only_kernels_stopped(
    pid: float, payload: Any, kernels_before: set[int], rt: Runtime
) -> None:
    if pid in rt.protected_pids or pid not in kernels_before:
        assert payload == {"success": False}, (pid, payload)
    for protected in rt.protected_pids:
        assert _exists(protected), f"process {protected} is gone after stopJupyterKernel({pid})"


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
