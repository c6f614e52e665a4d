"""editor.* Jupyter and formatter methods on a real server: kernelspecs, logos, nbconvert,
notebook runs and formatters.

Expected values come from jupyter_client's own kernelspec listing, the files on disk, the
nbconvert and yapf libraries run directly, and the CoCalc source texts cited per test.
"""

from __future__ import annotations

import ast
import base64
import concurrent.futures
import json
import os
import re
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jupyter_core.application
import nbformat
import pytest
from ipykernel.kernelspec import RESOURCES
from yapf.yapflib.yapf_api import FormatCode

import cocalc_api
from cocalc_project_server.convert import plan
from cocalc_project_server.nbconvert_args import ALIASES, FLAGS
from cocalc_project_server.testing import ServerProcess, running_server

from .conftest import Api

LOGOS_SPEC = {
    "argv": ["false", "{connection_file}"],
    "display_name": "Zz logos",
    "language": "text",
    "interrupt_mode": "message",
    "env": {"A": "1"},
    "metadata": {"cocalc": {"priority": 10, "description": "test kernel"}},
}
PLAIN_SPEC = {"argv": ["false"], "display_name": "Aa plain", "language": "text/x-macaulay2"}
MIXED_SPEC = {"argv": ["false"], "display_name": "Mixed", "language": "text"}


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Extra kernelspecs, seen by the server and by this process's KernelSpecManager."""
    path = tmp_path_factory.mktemp("jupyter-path")
    kernels = path / "kernels"
    for name, spec in (
        ("zz-logos", LOGOS_SPEC),
        ("aa-plain", PLAIN_SPEC),
        ("MixedCase", MIXED_SPEC),
    ):
        (kernels / name).mkdir(parents=True)
        (kernels / name / "kernel.json").write_text(json.dumps(spec))
    (kernels / "zz-logos" / "logo-32x32.png").write_bytes(b"small logo")
    (kernels / "zz-logos" / "logo-64x64.png").write_bytes(b"big logo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(path))
        yield path


@pytest.fixture(scope="module")
def server(jupyter_path: Path) -> Iterator[ServerProcess]:
    # No warm stateless pool: notebook runs launch their own kernels.
    with running_server(kernel_pool_size=0) as srv:
        yield srv


# -- editor.jupyterKernels ------------------------------------------------------------------


def kernel_folders(data_dir: Path) -> set[str]:
    """Lower-cased names of the folders under ``data_dir/kernels`` that hold a kernel.json."""
    kernels = data_dir / "kernels"
    if not kernels.is_dir():
        return set()
    return {d.name.lower() for d in kernels.iterdir() if (d / "kernel.json").is_file()}


def user_data_dir(home: str) -> Path:
    # npm jupyter-paths (userDataDir): under HOME, never XDG_DATA_HOME.
    return Path(home) / ("Library/Jupyter" if sys.platform == "darwin" else ".local/share/jupyter")


def test_kernels_are_the_installed_kernelspecs(api: Api, jupyter_path: Path) -> None:
    listed = api.call("editor.jupyterKernels", {"noCache": True})
    # npm jupyter-paths (dataDirs, as npm kernelspecs findAll uses it): $JUPYTER_PATH, the
    # user's folder under the project's HOME, the prefix of the first `python` on the
    # project's PATH (which starts with this server's Python, see the README), the system ones.
    data_dirs = [
        jupyter_path,
        user_data_dir(api.server.root),
        Path(sys.executable).parent.parent / "share" / "jupyter",
        Path("/usr/local/share/jupyter"),
        Path("/usr/share/jupyter"),
    ]
    installed = set().union(*map(kernel_folders, data_dirs)) | {"python3"}
    assert {k["name"] for k in listed} == installed
    assert "mixedcase" in installed  # kernel-data.ts lower-cases folder names
    names = [k["display_name"] for k in listed]
    assert names == sorted(names)


def test_kernel_fields_come_from_kernel_json(api: Api, jupyter_path: Path) -> None:
    by_name = {k["name"]: k for k in api.call("editor.jupyterKernels", {"noCache": True})}
    assert by_name["zz-logos"] == {
        "name": "zz-logos",
        **LOGOS_SPEC,
        "resource_dir": str(jupyter_path / "kernels" / "zz-logos"),
    }
    # Missing keys stay missing, env defaults to {}, Macaulay2's MIME language is renamed.
    assert by_name["aa-plain"] == {
        "name": "aa-plain",
        "display_name": "Aa plain",
        "language": "Macaulay2",
        "env": {},
        "resource_dir": str(jupyter_path / "kernels" / "aa-plain"),
        "argv": ["false"],
    }


def test_python3_is_the_servers_own_ipykernel(api: Api) -> None:
    by_name = {k["name"]: k for k in api.call("editor.jupyterKernels")}
    python3 = by_name["python3"]
    assert python3["argv"][:3] == [sys.executable, "-m", "ipykernel_launcher"]
    assert python3["language"] == "python"
    assert python3["resource_dir"] == RESOURCES


def test_kernel_list_is_cached_unless_no_cache(api: Api, jupyter_path: Path) -> None:
    api.call("editor.jupyterKernels", {"noCache": True})
    added = jupyter_path / "kernels" / "late-arrival"
    added.mkdir()
    (added / "kernel.json").write_text(json.dumps({**PLAIN_SPEC, "display_name": "Late"}))
    try:
        # kernel-data.ts keeps the list for 15 s.
        assert "late-arrival" not in {k["name"] for k in api.call("editor.jupyterKernels")}
        fresh = api.call("editor.jupyterKernels", {"noCache": True})
        assert "late-arrival" in {k["name"] for k in fresh}
    finally:
        shutil.rmtree(added)
        api.call("editor.jupyterKernels", {"noCache": True})


# -- editor.jupyterKernelLogo ---------------------------------------------------------------


def test_python3_logo_is_the_svg(api: Api) -> None:
    svg = Path(RESOURCES, "logo-svg.svg").read_bytes()
    assert api.call("editor.jupyterKernelLogo", "python3") == {
        "filename": "logo-svg.svg",
        "base64": base64.b64encode(svg).decode(),
    }


def test_logo_is_the_last_in_sort_order_and_cached(api: Api, jupyter_path: Path) -> None:
    logo = jupyter_path / "kernels" / "zz-logos" / "logo-64x64.png"
    expected = {"filename": "logo-64x64.png", "base64": base64.b64encode(b"big logo").decode()}
    assert api.call("editor.jupyterKernelLogo", "zz-logos", {"noCache": True}) == expected
    logo.write_bytes(b"new logo")
    # logo.ts caches a logo for an hour.
    assert api.call("editor.jupyterKernelLogo", "zz-logos") == expected
    fresh = api.call("editor.jupyterKernelLogo", "zz-logos", {"noCache": True})
    assert fresh["base64"] == base64.b64encode(b"new logo").decode()


def test_sdk_accepts_kernels_without_optional_keys(api: Api) -> None:
    folders = user_data_dir(api.server.root) / "kernels"
    with cocalc_api.Project(
        api_key=api.server.api_key, host=api.server.url, project_id=api.server.project_id
    ) as project:
        # Installed in the project's HOME, through the server.
        for name, spec in (("bare", {}), ("argv-only", {"argv": ["false"]})):
            project.system.write_text_file_to_project(
                path=f"{folders.relative_to(api.server.root)}/{name}/kernel.json",
                content=json.dumps(spec),
            )
        try:
            listed = project.editor.jupyter_kernels(no_cache=True)  # validated by the SDK
        finally:
            shutil.rmtree(folders)
    by_name = {k["name"]: k for k in listed}
    # kernel-data.ts: a key kernel.json lacks is undefined and left out of the JSON; only name,
    # env (`?? {}`) and resource_dir are always set.
    assert by_name["bare"] == {"name": "bare", "env": {}, "resource_dir": str(folders / "bare")}
    assert by_name["argv-only"] == {
        "name": "argv-only",
        "env": {},
        "resource_dir": str(folders / "argv-only"),
        "argv": ["false"],
    }


def test_kernel_installed_in_the_project_runs(api: Api) -> None:
    name = "installed-here"
    folder = user_data_dir(api.server.root) / "kernels" / name
    install = f"python3 -m ipykernel install --user --name {name}"
    try:
        assert api.exec(command=install)["exit_code"] == 0
        # kernel-data.ts caches the list for 15 s: a kernel installed meanwhile needs noCache.
        listed = api.call("editor.jupyterKernels", {"noCache": True})
        on_disk = json.loads((folder / "kernel.json").read_text())
        copied = ("display_name", "language", "interrupt_mode", "metadata", "argv")
        assert next(k for k in listed if k["name"] == name) == {
            "name": name,
            **{key: on_disk[key] for key in copied if key in on_disk},  # kernel-data.ts
            "env": {},
            "resource_dir": str(folder),
        }
        # logo.ts: the first logo-* file in reverse order, svg before png.
        assert api.call("editor.jupyterKernelLogo", name) == {
            "filename": "logo-svg.svg",
            "base64": base64.b64encode((folder / "logo-svg.svg").read_bytes()).decode(),
        }
        # Launching reads the kernelspecs afresh (launch-kernel.ts, findAll), cache or not.
        executed = api.call("system.jupyterExecute", {"input": "6 * 7", "kernel": name})
        assert executed == [{"data": {"text/plain": "42"}}]
        result = run_notebook(api, [code(["6 * 7"])], kernel=name)
        assert outputs_of(result) == [[{"data": {"text/plain": "42"}}]]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_kernel_without_logo(api: Api) -> None:
    assert api.call("editor.jupyterKernelLogo", "aa-plain") == {"base64": ""}


def test_logo_of_unknown_kernel(api: Api) -> None:
    assert api.call("editor.jupyterKernelLogo", "nope") == {"error": "Error: no such kernel 'nope'"}
    # Listed names are lower-cased but the lookup is not (logo.ts).
    assert api.call("editor.jupyterKernelLogo", "MixedCase") == {
        "error": "Error: no such kernel 'MixedCase'"
    }
    assert api.call("editor.jupyterKernelLogo", "mixedcase") == {"base64": ""}


# -- editor.jupyterNbconvert ----------------------------------------------------------------


def write_notebook(path: Path, *sources: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_nbconvert_to_html(api: Api) -> None:
    root = Path(api.server.root)
    write_notebook(root / "conv" / "my notebook.ipynb", "unique_marker_41 = 1")
    result = api.call(
        "editor.jupyterNbconvert",
        {"args": ["--to", "html", "my notebook.ipynb"], "directory": "conv"},
    )
    assert result is None
    html = (root / "conv" / "my notebook.html").read_text()
    assert "unique_marker_41" in html


def test_nbconvert_execute(api: Api) -> None:
    root = Path(api.server.root)
    write_notebook(root / "conv" / "calc.ipynb", "2 + 2")
    # A flag before the file would take the file as its value (see the next test).
    args = ["--to", "notebook", "calc.ipynb", "--execute"]
    assert api.call("editor.jupyterNbconvert", {"args": args, "directory": "conv"}) is None
    out = nbformat.read(root / "conv" / "calc.nbconvert.ipynb", as_version=4)
    assert out.cells[0].outputs[0]["data"]["text/plain"] == "4"


def test_nbconvert_runs_the_projects_jupyter() -> None:
    # convert/index.ts: command "jupyter", args ["nbconvert", ...args], through bash (so found
    # on the project's PATH), the last argument sanitized.
    steps = plan(["--to", "html", "a[1].ipynb"], None)
    assert (steps.command, steps.args) == (
        "jupyter",
        ("nbconvert", "--to", "html", "a[[]1[]].ipynb"),
    )


def test_nbconvert_failure_is_its_stderr(api: Api) -> None:
    root = Path(api.server.root)
    args = ["--to", "html", "missing.ipynb"]
    # convert/index.ts runs the project's `jupyter` (its PATH starts with the server's tools).
    path = f"{os.path.dirname(sys.executable)}:{os.environ.get('PATH', '')}"
    direct = subprocess.run(
        ["jupyter", "nbconvert", *args],
        check=False,
        cwd=root,
        env={**os.environ, "HOME": str(root), "PATH": path},
        capture_output=True,
        text=True,
    )
    assert direct.returncode != 0
    assert api.call("editor.jupyterNbconvert", {"args": args}) == {
        "error": "Error: " + direct.stderr
    }


@pytest.mark.parametrize(
    "args", [["--to", "html"], ["--to", "notebook", "--execute", "calc.ipynb"]]
)
def test_nbconvert_without_source(api: Api, args: list[str]) -> None:
    # convert/util.ts parseSource: every "--flag" without "=" takes the next argument as its
    # value, so neither has a source file.
    assert api.call("editor.jupyterNbconvert", {"args": args}) == {"error": "Error: no source"}


def test_nbconvert_is_killed_at_its_timeout(api: Api) -> None:
    root = Path(api.server.root)
    write_notebook(root / "conv" / "slow.ipynb", "import time; time.sleep(120)")
    args = ["--to", "notebook", "slow.ipynb", "--execute"]
    result = api.call("editor.jupyterNbconvert", {"args": args, "directory": "conv", "timeout": 2})
    # executeCode's timeout error (docs/wire-protocol.md, exec): the bash script it ran.
    assert re.fullmatch(r"killed command 'bash \S+/a\.sh'", result["error"])
    assert not (root / "conv" / "slow.nbconvert.ipynb").exists()


def test_nbconvert_stays_in_the_project(api: Api) -> None:
    result = api.call("editor.jupyterNbconvert", {"args": ["x.ipynb"], "directory": "../.."})
    assert result["error"].startswith("Error: path '../..' is outside")


@pytest.fixture
def outside_notebook(api: Api, tmp_path: Path) -> Iterator[Path]:
    """A notebook outside the project, its folder's contents checked unchanged afterwards."""
    assert not str(tmp_path).startswith(api.server.root)
    write_notebook(tmp_path / "secret.ipynb", "outside_marker_17 = 1")
    before = sorted(os.listdir(tmp_path))
    yield tmp_path / "secret.ipynb"
    assert sorted(os.listdir(tmp_path)) == before


def nbconvert_args_cases(outside: Path) -> list[list[str]]:
    # What nbconvert would write or read outside (nbconvert/nbconvertapp.py: its aliases,
    # flags and notebook globbing; writers/files.py: output goes to --output-dir, else next
    # to the notebook, named --output). traitlets' argparse takes abbreviations.
    return [
        ["--to", "html", "--output-dir", str(outside.parent), "my.ipynb"],
        ["--to", "html", "--output-d", str(outside.parent), "my.ipynb"],
        ["--to", "html", f"--FilesWriter.build_directory={outside.parent}", "my.ipynb"],
        ["--to", "html", "--output", "../../../x", "my.ipynb"],
        ["--to", "html", "--output-dir", "..", "--output", "../x", "my.ipynb"],
        ["--to", "html", "--output-dir", ".", str(outside)],  # then read back from inside
        # A flag: CoCalc's parseSource takes my.ipynb as its value (so the source is outside),
        # nbconvert takes both as notebooks.
        ["--to", "html", "--execute", "my.ipynb", str(outside)],
        # nbconvert expands the wildcard (through a link); CoCalc escapes only the last argument.
        ["--to", "html", "escape*/secret.ipynb", "my.ipynb"],
        # CoCalc's parseSource takes "-y" for the source; nbconvert, with no notebook
        # argument, converts the configured ones.
        ["-y", f"--NbConvertApp.notebooks=['{outside}']", "--to", "html"],
        ["--to", "html", "--template-file", str(outside), "my.ipynb"],
    ]


def test_nbconvert_refuses_files_outside_the_project(api: Api, outside_notebook: Path) -> None:
    root = Path(api.server.root)
    write_notebook(root / "conv" / "my.ipynb", "1")
    (root / "conv" / "escape1").symlink_to(outside_notebook.parent)
    try:
        for args in nbconvert_args_cases(outside_notebook):
            result = api.call("editor.jupyterNbconvert", {"args": args, "directory": "conv"})
            assert "is outside of the project folder" in result["error"], (args, result)
    finally:
        (root / "conv" / "escape1").unlink()
    assert not (root / "conv" / "secret.html").exists()


def test_nbconvert_refuses_an_option_it_does_not_have(api: Api) -> None:
    # nbconvert would ignore it with a warning and take the next argument as its value
    # (traitlets' KVArgParseConfigLoader), so that argument could never be checked.
    result = api.call("editor.jupyterNbconvert", {"args": ["--bogus", "/etc/passwd", "x.ipynb"]})
    assert result == {
        "error": "Error: nbconvert has no option '--bogus' (the local server refuses it)"
    }


def test_nbconvert_options_are_nbconverts_own() -> None:
    # The installed nbconvert's own tables, read from its source (importing it takes a second).
    spec = find_spec("nbconvert")
    assert spec is not None and spec.submodule_search_locations
    tree = ast.parse((Path(spec.submodule_search_locations[0]) / "nbconvertapp.py").read_text())
    updates: dict[str, set[str]] = {"nbconvert_aliases": set(), "nbconvert_flags": set()}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in updates
            and node.args
            and isinstance(node.args[0], ast.Dict)
        ):
            keys = node.args[0].keys
            updates[node.func.value.id] |= {k.value for k in keys if isinstance(k, ast.Constant)}
    aliases = updates["nbconvert_aliases"] | set(jupyter_core.application.base_aliases)
    flags = updates["nbconvert_flags"] | set(jupyter_core.application.base_flags)
    assert set(ALIASES) == aliases
    assert set(FLAGS) == flags


# -- editor.jupyterRunNotebook --------------------------------------------------------------


def code(source: Any, outputs: list[Any] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": outputs if outputs is not None else [],
        "source": source,
    }


def run_notebook(
    api: Api, cells: list[dict[str, Any]], kernel: str = "python3", **options: Any
) -> Any:
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": kernel, "display_name": "K", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    result = api.call(
        "editor.jupyterRunNotebook",
        {"path": options.pop("path", "runs"), "ipynb": json.dumps(notebook), **options},
    )
    assert isinstance(result, str), result
    return json.loads(result)


def outputs_of(notebook: Any) -> list[Any]:
    return [cell.get("outputs") for cell in notebook["cells"]]


def test_run_notebook_outputs(api: Api) -> None:
    markdown = {"cell_type": "markdown", "metadata": {}, "source": ["# title"]}
    cells = [
        code(["2 + ", "2"]),
        markdown,
        code(["print('hi')"], outputs=[{"name": "stdout", "text": "earlier\n"}]),
        code(["import os\n", "os.getcwd()"]),
    ]
    result = run_notebook(api, cells, path="runs/new/folder")
    folder = os.path.join(api.server.root, "runs", "new", "folder")
    assert outputs_of(result) == [
        # Message contents without output_type or execution_count (jupyter-run.ts).
        [{"data": {"text/plain": "4"}}],
        None,
        # Earlier outputs are kept and the new ones appended.
        [{"name": "stdout", "text": "earlier\n"}, {"name": "stdout", "text": "hi\n"}],
        [{"data": {"text/plain": repr(folder)}}],
    ]
    assert result["cells"][1] == markdown
    # The notebook is written next to the kernel while it runs and removed afterwards.
    assert os.listdir(folder) == []


def test_run_notebook_returns_javascript_json(api: Api) -> None:
    numbers = '"x":1.0,"y":1e21,"z":1e-7,"w":0.000001,"v":123456789012345678901,"u":-0.0'
    text = (
        '{"cells":[],"metadata":{"kernelspec":{"name":"python3"},"10":"b","2":"a",'
        + numbers
        + r',"s":"\ud800\u00e9\ud83d\ude00"},"nbformat":4,"nbformat_minor":5}'
    )
    result = api.call("editor.jupyterRunNotebook", {"path": "", "ipynb": text})
    # JSON.stringify (ECMA-262): compact, integer-like keys first, numbers as doubles printed
    # by Number::toString, a lone surrogate escaped, other characters written as they are.
    assert result == (
        '{"cells":[],"metadata":{"2":"a","10":"b","kernelspec":{"name":"python3"},'
        '"x":1,"y":1e+21,"z":1e-7,"w":0.000001,"v":123456789012345680000,"u":0,'
        '"s":"\\ud800\u00e9\U0001f600"},"nbformat":4,"nbformat_minor":5}'
    )


def test_run_notebook_cell_errors(api: Api) -> None:
    cells = [code(["a = 1"]), code(["1/0"]), code("a"), code(["a + 1"])]
    result = outputs_of(run_notebook(api, cells))
    assert result[0] == []
    [error] = result[1]
    assert set(error) == {"ename", "evalue", "traceback"}
    assert error["ename"] == "ZeroDivisionError"
    # source must be a list: jupyter-run.ts calls cell.source.join("").
    assert result[2] == [{"traceback": ["TypeError: cell.source.join is not a function"]}]
    # Same kernel afterwards: state survives.
    assert result[3] == [{"data": {"text/plain": "2"}}]


def test_run_notebook_unknown_kernel(api: Api) -> None:
    result = outputs_of(run_notebook(api, [code(["1"]), code(["2"])], kernel="nope"))
    for outputs in result:
        [item] = outputs
        [text] = item["traceback"]
        # kernel.ts setFailed and launch-kernel.ts texts.
        assert text.startswith(
            'Error: **Unable to Spawn Jupyter Kernel:**\n\nError: No spec available for kernel "nope".'
        )
        assert text.endswith(
            "`jupyter console --kernel=nope`\n\nOnce you fix the problem, "
            "explicitly restart this kernel to test here."
        )


def test_run_notebook_cell_time_limit_interrupts(api: Api) -> None:
    cells = [code(["import time\n", "time.sleep(120)"]), code(["2 + 2"])]
    result = outputs_of(run_notebook(api, cells, limits={"max_time_per_cell_ms": 500}))
    assert result[0][-1]["ename"] == "KeyboardInterrupt"
    assert result[1] == [{"data": {"text/plain": "4"}}]


def test_run_notebook_total_time_limit(api: Api) -> None:
    # The total time counts from before the kernel starts, and is checked before every cell.
    markdown = {"cell_type": "markdown", "metadata": {}, "source": []}
    result = outputs_of(run_notebook(api, [code(["1"]), markdown], limits={"max_total_time_ms": 1}))
    notice = [{"traceback": ["Error: Total time limit (=0 seconds) exceeded"]}]
    assert result == [notice, notice]


def test_run_notebook_output_limits(api: Api) -> None:
    # Two display messages: the limit notice replaces each message past the limit.
    cells = [code(["display('x' * 100)\n", "display('y')"]), code(["print('z' * 100)"])]
    per_cell = outputs_of(run_notebook(api, cells, limits={"max_output_per_cell": 50}))
    notice = {
        "name": "stdout",
        "output_type": "stream",
        "text": ["Output truncated since it exceeded the cell output limit of 50 characters"],
    }
    assert per_cell == [[notice, notice], [notice]]
    total = outputs_of(run_notebook(api, cells[:1], limits={"max_output": 50}))
    assert total[0][0]["text"] == [
        "Output truncated since it exceeded the global output limit of 50 characters"
    ]


def test_run_notebook_clear_output(api: Api) -> None:
    source = ["from IPython.display import clear_output\n", "print(1)\n", "clear_output()"]
    result = outputs_of(run_notebook(api, [code(source, outputs=[{"text": "old"}])]))
    # clear_output empties the list, then its own content is kept.
    assert result == [[{"wait": False}]]


def test_run_notebook_kernel_death(api: Api) -> None:
    cells = [code(["import os\n", "os._exit(3)"]), code(["2 + 2"])]
    # Without a total time limit there is no restart: the next cell finds the kernel closed.
    assert outputs_of(run_notebook(api, cells)) == [
        [{"traceback": ["Error: Kernel last exited with code 3."]}],
        [{"traceback": ["Error: closed"]}],
    ]
    # With one (not used up), the kernel is restarted for the next cell.
    restarted = outputs_of(run_notebook(api, cells, limits={"max_total_time_ms": 600_000}))
    assert restarted[1] == [{"data": {"text/plain": "4"}}]


def test_run_notebook_kernel_is_listed_and_has_no_ulimit(api: Api) -> None:
    # docs/wire-protocol.md §4a: listJupyterKernels lists every kernel the project launched. kernel.ts
    # (spawn) starts a notebook's kernel without the stateless API's ulimit, so the kernel
    # has the limits of the server, which it inherits from this process.
    source = ["import os, resource\n", "(os.getpid(), resource.getrlimit(resource.RLIMIT_CPU))"]
    [[item]] = outputs_of(run_notebook(api, [code(source)]))
    pid, cpu_limit = ast.literal_eval(item["data"]["text/plain"])
    assert pid in {kernel["pid"] for kernel in api.call("system.listJupyterKernels", {})}
    assert cpu_limit == resource.getrlimit(resource.RLIMIT_CPU)


def test_run_notebook_bad_input(api: Api) -> None:
    no_kernelspec = json.dumps({"cells": [], "metadata": {}})
    assert api.call("editor.jupyterRunNotebook", {"path": "", "ipynb": no_kernelspec}) == {
        "error": "TypeError: Cannot read properties of undefined (reading 'name')"
    }
    # jupyter-run.ts: JSON.parse first, in V8's words (v8/src/json/json-parser.cc).
    for ipynb, message in [
        ("nope", "Unexpected token 'o', \"nope\" is not valid JSON"),
        ("tru", "Unexpected end of JSON input"),
        ("{a:1}", "Expected property name or '}' in JSON at position 1"),
    ]:
        assert api.call("editor.jupyterRunNotebook", {"path": "", "ipynb": ipynb}) == {
            "error": f"SyntaxError: {message}"
        }


def test_run_notebook_in_a_file_is_nodes_mkdir_error(api: Api) -> None:
    # jupyter-run.ts: mkdir(dirname(join(path, uuid.ipynb)), {recursive: true}), node's words
    # with the path as given: EEXIST for the file itself, ENOTDIR below it.
    Path(api.server.root, "plain.txt").write_text("x")
    ipynb = json.dumps({"cells": [], "metadata": {"kernelspec": {"name": "python3"}}})
    for path, error in [
        ("plain.txt", "Error: EEXIST: file already exists, mkdir 'plain.txt'"),
        ("./plain.txt/", "Error: EEXIST: file already exists, mkdir 'plain.txt'"),
        ("plain.txt/sub", "Error: ENOTDIR: not a directory, mkdir 'plain.txt/sub'"),
    ]:
        answer = api.call("editor.jupyterRunNotebook", {"path": path, "ipynb": ipynb})
        assert answer == {"error": error}


def test_run_notebook_without_a_kernel_name_retries_past_a_short_timeout(api: Api) -> None:
    # kernel.ts refuses to spawn a kernel without a name, and jupyter-run.ts's init_jupyter
    # retries that for about 30 s: an envelope of 500 ms (15 s by default) ends first.
    subject = f"project.{api.server.project_id}.0.api.-"
    timeout = (
        f"timeout - callHub: subject='{subject}', name='editor.jupyterRunNotebook', code='408' "
    )

    def run(kernelspec: dict[str, Any]) -> Any:
        ipynb = json.dumps({"cells": [], "metadata": {"kernelspec": kernelspec}})
        return api.call("editor.jupyterRunNotebook", {"path": "", "ipynb": ipynb}, timeout=500)

    kernelspecs: list[dict[str, Any]] = [{}, {"name": ""}, {"name": None}]
    with concurrent.futures.ThreadPoolExecutor(len(kernelspecs)) as pool:
        assert list(pool.map(run, kernelspecs)) == [{"error": timeout}] * len(kernelspecs)


def test_run_notebook_cells_that_are_a_string_are_its_characters(api: Api) -> None:
    # jupyter-run.ts: for (const cell of notebook.cells) takes a string's characters; with the
    # total time used up, run_cell throws, and the strict-mode catch cannot give a string
    # `outputs`: TypeError, naming the first character.
    notebook = {"cells": "ab", "metadata": {"kernelspec": {"name": "python3"}}}
    answer = api.call(
        "editor.jupyterRunNotebook",
        {"path": "runs", "ipynb": json.dumps(notebook), "limits": {"max_total_time_ms": 1}},
    )
    assert answer == {"error": "TypeError: Cannot create property 'outputs' on string 'a'"}


def test_a_failed_run_leaves_no_temporary_notebook_behind(api: Api) -> None:
    # jupyter-run.ts writes the notebook to "<path>/<uuid>.ipynb" and unlinks it in a
    # `finally`, whatever the run throws.
    folder = Path(api.server.root) / "failed-runs"
    no_kernel = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    no_cells = {"metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4}
    for notebook in (no_kernel, no_cells):
        answer = api.call(
            "editor.jupyterRunNotebook", {"path": folder.name, "ipynb": json.dumps(notebook)}
        )
        assert "error" in answer, answer
    assert folder.is_dir()  # it was written there
    assert list(folder.iterdir()) == []


# -- editor.formatterString -----------------------------------------------------------------

MESSY_PYTHON = "def f( a,b ):\n  return {'a':a,\n   'b':b}\nx=[1,2,\n3]\n"


def format_string(api: Api, text: str, **options: Any) -> Any:
    return api.call("editor.formatterString", {"str": text, "options": options})


@pytest.mark.parametrize("parser", ["python", "yapf"])
def test_python_is_formatted_by_yapf(api: Api, parser: str) -> None:
    expected, _ = FormatCode(MESSY_PYTHON)
    assert expected != MESSY_PYTHON
    assert format_string(api, MESSY_PYTHON, parser=parser) == expected


def test_python_syntax_error(api: Api) -> None:
    result = format_string(api, "x = 1\ny = 'a\nz = 3\n", parser="python")
    # python-format.ts: yapf's stderr, then the lines around the error, then a stray quote.
    assert re.fullmatch(
        r"Error: Python formatter \"yapf\" exited with code 1:\n"
        r"yapf: \S+:2:\d+: [^\n]+\n"
        r"Error occurred at line 2:\n\n"
        r"  1 \| x = 1\n> 2 \| y = 'a\n  3 \| z = 3\n  4 \| '",
        result["error"],
    ), result


def test_python_formatter_other_than_yapf(api: Api) -> None:
    assert format_string(api, "x", parser="python", util="black") == {
        "error": "Error: This project only supports 'yapf' for formatting Python"
    }


@pytest.mark.parametrize("parser", ["black", "python3", "no-such-parser"])
def test_unknown_parser_is_prettiers_error(api: Api, parser: str) -> None:
    # index.ts hands unknown parsers to prettier 3, which throws a ConfigError.
    assert format_string(api, "x", parser=parser) == {
        "error": f'ConfigError: Couldn\'t resolve parser "{parser}".'
    }


@pytest.mark.parametrize("parser", ["json", "babel", "markdown"])
def test_prettier_parsers_are_not_available(api: Api, parser: str) -> None:
    assert format_string(api, "{}", parser=parser) == {"error": "Error: Could not load 'prettier'"}


def test_rust_parser_name_is_refused(api: Api) -> None:
    # rust-format.ts only accepts "rustfmt", although index.ts routes "rust" to it.
    assert format_string(api, "fn main() {}", parser="rust") == {
        "error": "Error: Unknown Rust code formatting utility 'rust'"
    }


def test_missing_tidy_and_biber_are_reported(api: Api) -> None:
    # xml-format.ts and bib-format.ts run them through executeCode, which reports the failed
    # spawn; they answer with their own texts.
    for parser, tool, error in [
        ("xml-tidy", "tidy", "XML formatter broken or not available. Is 'xml-tidy' installed?"),
        (
            "bib-biber",
            "biber",
            "Bibtex formatter broken or not available. Is 'bib-biber' installed?",
        ),
    ]:
        if not shutil.which(tool):
            assert format_string(api, "x", parser=parser) == {"error": f"Error: {error}"}


def test_other_missing_formatters_never_answer(api: Api) -> None:
    # gofmt.ts, rust-format.ts, clang-format.ts, r-format.ts and latex-format.ts have no listener
    # for spawn's "error" event, so "close" never fires: the envelope's timeout answers (here
    # 500 ms, not the 15 s default). generic-format.ts (zig) waits 30 s for "close" first.
    missing = [
        (parser, tool)
        for parser, tool in [
            ("gofmt", "gofmt"),
            ("rustfmt", "rustfmt"),
            ("clang-format", "clang-format"),
            ("r", "R"),
            ("latex", "latexindent"),
            ("zig", "zig"),
        ]
        if not shutil.which(tool)
    ]
    if not missing:
        pytest.skip("every formatter is installed here")
    subject = f"project.{api.server.project_id}.0.api.-"
    timeout = f"timeout - callHub: subject='{subject}', name='editor.formatterString', code='408' "

    def call(parser: str) -> Any:
        return api.call(
            "editor.formatterString", {"str": "x", "options": {"parser": parser}}, timeout=500
        )

    with concurrent.futures.ThreadPoolExecutor(len(missing)) as pool:
        answers = dict(zip(missing, pool.map(call, [parser for parser, _ in missing]), strict=True))
    assert answers == {key: {"error": timeout} for key in missing}
