"""Every cassette's request and response validate against the spec's schemas.

So an edit of the spec that a recorded or documented exchange contradicts fails here. The
validator is jsonschema (Draft 2020-12, the dialect of OpenAPI 3.1), not the generated one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import vcr
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.scenarios import CASSETTES

SPEC_PATH = Path(__file__).resolve().parent.parent / "spec" / "project-api.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
REGISTRY: Registry = Registry().with_resource(
    "spec", Resource.from_contents(SPEC, default_specification=DRAFT202012)
)


def _schema(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref")
    return {"$ref": "spec" + ref} if ref else ref_or_schema


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        _schema(schema),
        registry=REGISTRY,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def _args_schema(method: dict[str, Any]) -> dict[str, Any]:
    """The whole wire `args` array of a table entry, in JSON Schema 2020-12 (prefixItems)."""
    slots = method["args"]
    required = [i for i, slot in enumerate(slots) if slot.get("required", True)]
    return {
        "type": "array",
        "prefixItems": [_schema(slot.get("options") or slot["schema"]) for slot in slots],
        "items": False,
        "minItems": required[-1] + 1 if required else 0,
    }


def _method_for(name: str, args: list[Any]) -> dict[str, Any]:
    """The method table entry a request is for (system.exec has two: run and poll)."""
    candidates = [m for m in SPEC["x-cocalc-methods"] if m["wire"] == name]
    matching = [m for m in candidates if _validator(_args_schema(m)).is_valid(args)]
    assert len(matching) == 1, f"{name} {args!r} matches {len(matching)} entries"
    return matching[0]


CASES = sorted(CASSETTES.glob("*.yaml"))


def test_there_are_cassettes() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_cassette_matches_spec(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("# source: ")
    cassette = vcr.cassette.Cassette.load(path=str(path))
    assert cassette.requests, "empty cassette"
    for request, response in zip(cassette.requests, cassette.responses, strict=True):
        body = json.loads(request.body)
        _validator({"$ref": "#/components/schemas/RpcRequest"}).validate(body)
        method = _method_for(body["name"], body["args"])
        assert response["status"]["code"] == 200
        result = json.loads(response["body"]["string"])
        if isinstance(result, dict) and "error" in result:
            _validator({"$ref": "#/components/schemas/RpcError"}).validate(result)
        else:
            _validator(method["result"]).validate(result)


def test_the_args_check_can_fail() -> None:
    """A value where the spec wants an options object, or a slot too many, matches nothing."""
    with pytest.raises(AssertionError, match="matches 0 entries"):
        _method_for("system.listing", ["."])
    with pytest.raises(AssertionError, match="matches 0 entries"):
        _method_for("system.realpath", ["a", "b"])
    assert _method_for("system.exec", [{"async_get": "j"}]).get("python") == "exec_status"


def test_a_spec_edit_that_breaks_a_fixture_is_caught() -> None:
    """The check above can fail: a stricter PingResult rejects the page's ping cassette."""
    stricter = {**SPEC["components"]["schemas"]["PingResult"], "required": ["now", "uptime"]}
    cassette = vcr.cassette.Cassette.load(path=str(CASSETTES / "page_ping.yaml"))
    result = json.loads(cassette.responses[0]["body"]["string"])
    with pytest.raises(jsonschema.ValidationError, match="uptime"):
        _validator(stricter).validate(result)
