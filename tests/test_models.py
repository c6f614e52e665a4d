"""cocalc_api.models (the generated attrs classes), and no dead generated code: every module of
the generated package is imported by a path of the SDK or of its users that runs here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import yaml

import cocalc_api_generated
from cocalc_api import models
from cocalc_api.testing import FakeProject

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "spec" / "project-api.yaml"
PACKAGE = Path(cocalc_api_generated.__file__).parent

# docs/wire-protocol.md §3: an async job as exec_status reports it, with a field a newer server may add.
JOB = {
    "type": "async",
    "job_id": "0b9d4a3e-7d2c-4f0e-9a51-6c1e2f3a4b5c",
    "status": "completed",
    "start": 1700000000000,
    "pid": 4242,
    "stdout": "built\n",
    "stderr": "",
    "exit_code": 0,
    "elapsed_s": 12.5,
    "stats": [{"timestamp": 1700000001000, "mem_rss": 35.2, "cpu_pct": 97.5, "cpu_secs": 1.0}],
    "a_newer_field": {"kept": True},
}


def test_models_give_attribute_access_and_round_trip() -> None:
    job = models.ExecuteCodeOutputAsync.from_dict(JOB)
    assert (job.status, job.exit_code, job.elapsed_s) == ("completed", 0, 12.5)
    assert job.stats and job.stats[0].cpu_pct == 97.5
    assert job.additional_properties == {"a_newer_field": {"kept": True}}
    assert job.to_dict() == JOB
    blocking = models.ExecuteCodeOutput(type_="blocking", stdout="hi\n", stderr="", exit_code=0)
    assert blocking.to_dict() == {
        "type": "blocking",
        "stdout": "hi\n",
        "stderr": "",
        "exit_code": 0,
    }
    absent = models.ExecuteCodeOutputAsync.from_dict({k: JOB[k] for k in list(JOB)[:8]})
    assert absent.elapsed_s is models.UNSET and not absent.elapsed_s


def test_enumerations_are_the_specs() -> None:
    schemas = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]
    status = schemas["ExecuteCodeOutputAsync"]["properties"]["status"]["enum"]
    assert set(typing.get_args(models.ExecuteCodeOutputAsyncStatus)) == set(status)
    assert set(typing.get_args(models.ConfigurationAspect)) == set(
        schemas["ConfigurationAspect"]["enum"]
    )


def test_every_schema_with_properties_has_a_model() -> None:
    schemas = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]
    with_properties = [name for name, schema in schemas.items() if "properties" in schema]
    assert len(with_properties) > 20
    missing = [name for name in with_properties if not hasattr(models, name)]
    assert missing == []


# Run in a fresh interpreter: what the SDK and its users import along their paths.
USE_EVERYTHING = textwrap.dedent(
    """
    import json, sys

    import cocalc_api
    from cocalc_api import models, testing
    from cocalc_api.cli._app import build
    from cocalc_api_generated.specs import METHODS

    project = testing.FakeProject()
    project.stub("system.exec", models.ExecuteCodeOutput(stdout="", stderr="", exit_code=0))
    project.system.exec("true")
    project.editor.jupyter_kernels                      # every namespace, as users reach them
    project.sync.close
    build()                                             # the command line, from the catalog
    for method in METHODS:                              # what the transport checks per call
        try:
            method.validate_args([{}])
        except Exception:
            pass
        try:
            method.validate_result(None)
        except Exception:
            pass
    import cocalc_api.types
    from cocalc_api import hub_models, hub_types                  # the hub API's the same way
    from cocalc_api_generated.hub.specs import METHODS as HUB_METHODS

    hub = testing.FakeHub()
    hub.stub("projects.state", hub_models.ProjectState(state="running"))
    hub.projects.state("p")
    for namespace in ("system", "projects", "jupyter", "sync", "db", "messages", "org"):
        getattr(hub, namespace)
    for method in HUB_METHODS:
        try:
            method.validate_args([{}])
        except Exception:
            pass
        try:
            method.validate_result(None)
        except Exception:
            pass
    print(json.dumps(sorted(sys.modules)))
    """
)


def test_every_generated_module_is_used() -> None:
    result = subprocess.run(
        [sys.executable, "-c", USE_EVERYTHING],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    imported = set(json.loads(result.stdout))
    generated = {
        "cocalc_api_generated." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for path in PACKAGE.rglob("*.py")
    }
    generated = {name.removesuffix(".__init__") for name in generated}
    assert len(generated) > 100
    unused = sorted(generated - imported)
    assert unused == [], "generated but never imported: " + ", ".join(unused)


def test_the_generator_keeps_no_endpoint_functions_and_no_httpx_client() -> None:
    client = PACKAGE / "openapi_client"
    assert not (client / "api").exists() and not (client / "errors.py").exists()
    assert not (client / "client.py").exists()  # the transport makes its own httpx2 clients


def test_a_fake_answer_built_from_a_model_is_checked() -> None:
    fake = FakeProject()
    fake.stub("system.exec_status", models.ExecuteCodeOutputAsync.from_dict(JOB))
    status: dict[str, Any] = dict(fake.system.exec_status("j"))
    assert status == JOB
