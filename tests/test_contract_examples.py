"""Every result example of docs/wire-protocol.md, through the SDK's generated validators.

The SDK validates every result against the spec; a schema stricter than the real service would
turn a valid answer into a ResponseValidationError. So each shape docs/wire-protocol.md documents (the
section is named beside it; placeholders such as <ms> filled with plausible values) must pass,
and a few wrong ones must not, to show the check can fail.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from cocalc_api_generated._runtime import MethodSpec, SchemaError, catalog
from cocalc_api_generated.specs import (
    EDITOR_FORMATTER_STRING,
    EDITOR_JUPYTER_KERNEL_LOGO,
    EDITOR_JUPYTER_KERNELS,
    EDITOR_JUPYTER_NBCONVERT,
    EDITOR_JUPYTER_RUN_NOTEBOOK,
    EDITOR_JUPYTER_STRIP_NOTEBOOK,
    EDITOR_NEW_FILE,
    SYNC_CLOSE,
    SYSTEM_CANONICAL_PATHS,
    SYSTEM_CONFIGURATION,
    SYSTEM_DELETE_FILES,
    SYSTEM_EXEC,
    SYSTEM_EXEC_STATUS,
    SYSTEM_JUPYTER_EXECUTE,
    SYSTEM_LIST_JUPYTER_KERNELS,
    SYSTEM_LISTING,
    SYSTEM_MOVE_FILES,
    SYSTEM_PING,
    SYSTEM_READ_TEXT_FILE_FROM_PROJECT,
    SYSTEM_REALPATH,
    SYSTEM_RENAME_FILE,
    SYSTEM_SIGNAL,
    SYSTEM_STOP_JUPYTER_KERNEL,
    SYSTEM_TEST,
    SYSTEM_VERSION,
    SYSTEM_WRITE_TEXT_FILE_TO_PROJECT,
)

MS = 1756489740133
UUID = "0b6f4f0e-93c4-4a05-9a43-3b0d0f1b9d52"
STAT = {"timestamp": MS, "mem_rss": 3.5, "cpu_pct": 12.5, "cpu_secs": 0.25}
KERNEL_SPEC = {
    "name": "python3",
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "interrupt_mode": "signal",
    "env": {},
    "metadata": {"cocalc": {"priority": 10, "description": "Python 3", "disabled": False}},
    "resource_dir": "/usr/local/share/jupyter/kernels/python3",
    "argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
}
MAIN_CAPABILITIES = {
    "jupyter": {"lab": True, "notebook": False, "kernelspec": True},
    "formatting": {"yapf": True, "prettier": True},
    "hashsums": {"sha1sum": True, "sha256sum": True, "md5sum": True},
    "rserver": False,
    "latex": True,
    "sage": True,
    "sage_version": [10, 4],
    "x11": False,
    "rmd": False,
    "qmd": False,
    "jq": True,
    "spellcheck": False,
    "library": False,
    "sshd": True,
    "html2pdf": False,
    "pandoc": True,
    "vscode": False,
    "julia": False,
    "homeDirectory": "/home/user",
}

EXAMPLES: list[tuple[str, MethodSpec[Any], Any]] = [
    ("§3 ping", SYSTEM_PING, {"now": MS}),
    ("§3 test", SYSTEM_TEST, {"project_id": UUID, "server_time": MS}),
    (
        "§3 exec blocking",
        SYSTEM_EXEC,
        {"type": "blocking", "stdout": "hi\n", "stderr": "", "exit_code": 0},
    ),
    (
        "reference page exec",
        SYSTEM_EXEC,
        {"stdout": "hello from cocalc\n", "stderr": "", "exit_code": 0},
    ),
    (
        "§3 exec err_on_exit false",
        SYSTEM_EXEC,
        {"type": "blocking", "stdout": "", "stderr": "x", "exit_code": 42},
    ),
    (
        "§3 exec async start",
        SYSTEM_EXEC,
        {
            "type": "async",
            "job_id": UUID,
            "status": "running",
            "start": MS,
            "pid": 7,
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
        },
    ),
    (
        "§3 exec async start without pid",
        SYSTEM_EXEC,
        {
            "type": "async",
            "job_id": UUID,
            "status": "running",
            "start": MS,
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
        },
    ),
    (
        "§3 async final with stats",
        SYSTEM_EXEC_STATUS,
        {
            "type": "async",
            "job_id": UUID,
            "status": "completed",
            "start": MS,
            "pid": 7,
            "stdout": "done\n",
            "stderr": "",
            "exit_code": 0,
            "elapsed_s": 1.012,
            "stats": [STAT],
        },
    ),
    (
        "§3 failed async job",
        SYSTEM_EXEC_STATUS,
        {
            "type": "async",
            "job_id": UUID,
            "status": "error",
            "start": MS,
            "stdout": "",
            "stderr": "boom",
            "exit_code": 1,
            "elapsed_s": 0.1,
        },
    ),
    (
        "§4a status killed, stats absent",
        SYSTEM_EXEC_STATUS,
        {
            "type": "async",
            "job_id": UUID,
            "status": "killed",
            "start": MS,
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
        },
    ),
    (
        "§4a id echoed",
        SYSTEM_EXEC,
        {"id": "a1", "type": "blocking", "stdout": "", "stderr": "", "exit_code": 0},
    ),
    ("§3 jupyter data", SYSTEM_JUPYTER_EXECUTE, [{"data": {"text/plain": "4950"}}]),
    ("§3 jupyter stream", SYSTEM_JUPYTER_EXECUTE, [{"name": "stdout", "text": "Hello\n"}]),
    (
        "§3 jupyter error",
        SYSTEM_JUPYTER_EXECUTE,
        [{"ename": "NameError", "evalue": "name 'x' is not defined", "traceback": ["NameError"]}],
    ),
    (
        "§3 jupyter display data",
        SYSTEM_JUPYTER_EXECUTE,
        [
            {
                "data": {"image/png": "iVBOR", "text/plain": "<Figure>"},
                "metadata": {"image/png": {"width": 640}},
            }
        ],
    ),
    ("§3 no output", SYSTEM_JUPYTER_EXECUTE, []),
    ("§4a clear_output", SYSTEM_JUPYTER_EXECUTE, [{"wait": True}, {"wait": False}]),
    (
        "§4a truncation notice",
        SYSTEM_JUPYTER_EXECUTE,
        [
            {"name": "stdout", "text": "x\n"},
            {
                "name": "stdout",
                "output_type": "stream",
                "text": [
                    "Output truncated since it exceeded the cell output limit of 1000 characters"
                ],
            },
            {
                "name": "stdout",
                "output_type": "stream",
                "text": [
                    "Output truncated since it exceeded the global output limit of 5000 characters"
                ],
            },
        ],
    ),
    (
        "§4a interrupted cell",
        SYSTEM_JUPYTER_EXECUTE,
        [
            {"name": "stdout", "text": "start\n"},
            {"ename": "KeyboardInterrupt", "evalue": "", "traceback": ["KeyboardInterrupt: "]},
        ],
    ),
    (
        "§4a two prints, two items",
        SYSTEM_JUPYTER_EXECUTE,
        [{"name": "stdout", "text": "a\n"}, {"name": "stdout", "text": "b\n"}],
    ),
    (
        "§3 kernels",
        SYSTEM_LIST_JUPYTER_KERNELS,
        [{"pid": 7, "connectionFile": "/x/k.json", "kernel_name": "python3"}],
    ),
    (
        "§4a kernels without names",
        SYSTEM_LIST_JUPYTER_KERNELS,
        [{"pid": 7, "connectionFile": "unknown"}],
    ),
    ("§3 stop", SYSTEM_STOP_JUPYTER_KERNEL, {"success": False}),
    ("§4 version", SYSTEM_VERSION, 1783081032),
    (
        "§4 listing",
        SYSTEM_LISTING,
        [
            {"name": "a.txt", "size": 12, "mtime": 1756489740.133},
            {"name": "d", "isdir": True, "size": 3, "mtime": 1756489740},
            {"name": "l", "issymlink": True, "link_target": "a.txt", "size": 12, "mtime": 1.5},
            {
                "name": "bad\ufffdname",
                "error": "Error: ENOENT: no such file or directory, lstat '/home/user/bad\ufffdname'",
            },
        ],
    ),
    ("§4 deleteFiles", SYSTEM_DELETE_FILES, None),
    ("§4 moveFiles", SYSTEM_MOVE_FILES, None),
    ("§4 renameFile", SYSTEM_RENAME_FILE, None),
    ("§4 realpath", SYSTEM_REALPATH, "a/b"),
    ("§4 canonicalPaths", SYSTEM_CANONICAL_PATHS, ["a", "/home/user/.smc/root/etc"]),
    ("§4 writeTextFileToProject", SYSTEM_WRITE_TEXT_FILE_TO_PROJECT, None),
    ("§4 readTextFileFromProject", SYSTEM_READ_TEXT_FILE_FROM_PROJECT, "text"),
    (
        "§4 Configuration main",
        SYSTEM_CONFIGURATION,
        {"timestamp": "2026-11-26T15:18:37.133Z", "capabilities": MAIN_CAPABILITIES},
    ),
    (
        # configuration.ts: each part of "version 10..4" through parseInt; NaN is JSON's null.
        "configuration.ts sage_version with a part that is no number",
        SYSTEM_CONFIGURATION,
        {
            "timestamp": "2026-11-26T15:18:37.133Z",
            "capabilities": {**MAIN_CAPABILITIES, "sage_version": [10, None, 4]},
        },
    ),
    (
        "§4 Configuration main, no jupyter",
        SYSTEM_CONFIGURATION,
        {
            "timestamp": "2026-11-26T15:18:37.133Z",
            "capabilities": {**MAIN_CAPABILITIES, "jupyter": False, "homeDirectory": None},
        },
    ),
    (
        "§4 Configuration x11",
        SYSTEM_CONFIGURATION,
        {"timestamp": "2026-11-26T15:18:37.133Z", "capabilities": {"xterm": True}},
    ),
    ("§4 signal", SYSTEM_SIGNAL, None),
    ("§4 newFile", EDITOR_NEW_FILE, None),
    ("§4 jupyterStripNotebook", EDITOR_JUPYTER_STRIP_NOTEBOOK, '{"cells":[]}'),
    ("§4 jupyterNbconvert", EDITOR_JUPYTER_NBCONVERT, None),
    ("§4 jupyterRunNotebook", EDITOR_JUPYTER_RUN_NOTEBOOK, '{"cells":[]}'),
    (
        "§4 jupyterKernelLogo",
        EDITOR_JUPYTER_KERNEL_LOGO,
        {"filename": "logo-64x64.png", "base64": "iVBOR"},
    ),
    ("§4 jupyterKernelLogo, none", EDITOR_JUPYTER_KERNEL_LOGO, {"base64": ""}),
    (
        "§4 jupyterKernels",
        EDITOR_JUPYTER_KERNELS,
        [KERNEL_SPEC, {**KERNEL_SPEC, "name": "ir", "metadata": {}}],
    ),
    ("§4 formatterString", EDITOR_FORMATTER_STRING, "x = 1\n"),
    ("§4 sync.close", SYNC_CLOSE, None),
]


@pytest.mark.parametrize(("section", "method", "example"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_documented_result_is_accepted(section: str, method: MethodSpec[Any], example: Any) -> None:
    method.validate_result(example)


@pytest.mark.parametrize(("section", "method", "example"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_a_newer_servers_extra_fields_are_accepted(
    section: str, method: MethodSpec[Any], example: Any
) -> None:
    # No result schema forbids extra properties (a newer server may add some): add one to every object with named
    # properties (a map, such as capabilities or env, keeps its value type).
    schema = RESULT_SCHEMAS[f"{method.namespace}.{method.python_name}"]
    method.validate_result(_with_extra_fields(example, schema))


RESULT_SCHEMAS = {
    f"{m['namespace']}.{m['python']}": m["result_schema"] for m in catalog()["methods"]
}


def _branch(value: Any, schema: dict[str, Any]) -> dict[str, Any]:
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            if jsonschema.Draft202012Validator(option).is_valid(value):
                return _branch(value, option)
    return schema


def _with_extra_fields(value: Any, schema: dict[str, Any]) -> Any:
    schema = _branch(value, schema)
    if isinstance(value, list):
        return [_with_extra_fields(item, schema.get("items", {})) for item in value]
    if not isinstance(value, dict) or "properties" not in schema:
        return value
    properties = schema["properties"]
    changed = {k: _with_extra_fields(v, properties.get(k, {})) for k, v in value.items()}
    return {**changed, "added_later": {"by": "a newer server"}}


WRONG: list[tuple[str, MethodSpec[Any], Any]] = [
    ("ping without now", SYSTEM_PING, {}),
    (
        "exec status unknown",
        SYSTEM_EXEC_STATUS,
        {
            "type": "async",
            "job_id": "j",
            "status": "lost",
            "start": 1,
            "stdout": "",
            "stderr": "",
            "exit_code": 0,
        },
    ),
    ("jupyter item of no known kind", SYSTEM_JUPYTER_EXECUTE, [{"text": 5}]),
    ("void method answering something", SYSTEM_SIGNAL, {"ok": True}),
    ("version as text", SYSTEM_VERSION, "1783081032"),
    ("logo without base64", EDITOR_JUPYTER_KERNEL_LOGO, {"filename": "x"}),
]


@pytest.mark.parametrize(("case", "method", "example"), WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_shape_is_refused(case: str, method: MethodSpec[Any], example: Any) -> None:
    with pytest.raises(SchemaError):
        method.validate_result(example)


def test_every_method_has_an_example() -> None:
    from cocalc_api_generated.specs import METHODS

    covered = {method.python_name for _, method, _ in EXAMPLES}
    assert covered == {method.python_name for method in METHODS}
