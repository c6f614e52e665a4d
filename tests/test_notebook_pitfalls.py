"""Notebook calls that the real service answers cryptically, and what the SDK does about them
(docs/errors.md, "Jupyter").

- `editor.jupyterRunNotebook` joins each cell's `source` as a list
  (src/packages/jupyter/nbgrader/jupyter-run.ts: `cell.source.join("")`), while nbformat lets
  it be one string: the SDK sends such a notebook with its sources as lists of lines. The
  expected lists come from nbformat itself, which writes a string source that way.
- A notebook without `metadata.kernelspec.name` fails there with a TypeError; nbconvert's
  arguments with the notebook after an option fail with "Error: no source"
  (src/packages/project/jupyter/convert/util.ts parseSource). `str()` explains both.
- A cell's error is an output item, not an error: `raise_for_cell_error` raises it on request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import nbformat
import pytest

import cocalc_api
from cocalc_api.testing import FakeProject
from cocalc_project_server.testing import running_server

PROJECT = "6e75dbf1-0342-4249-9dce-6b21648656e9"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook(*sources: str | list[str], kernelspec: dict[str, str] | None = KERNELSPEC) -> str:
    cells = [
        {
            "id": f"cell-{n}",
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": source,
        }
        for n, source in enumerate(sources)
    ]
    metadata = {"kernelspec": kernelspec} if kernelspec else {}
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})


def sent_by(call: Any) -> dict[str, Any]:
    """The wire body `call(project)` sends (answered with an empty notebook)."""
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        return httpx2.Response(200, json="{}")

    http = httpx2.Client(transport=httpx2.MockTransport(answer))
    with cocalc_api.Project("sk-test", project_id=PROJECT, http_client=http) as project:
        call(project)
    [body] = bodies
    return body


def test_string_sources_are_sent_as_nbformats_lists_of_lines() -> None:
    text = notebook("import os\nprint(1)\n", "x = 1", "", "a\r\nb")
    body = sent_by(lambda p: p.editor.jupyter_run_notebook(path="", ipynb=text))
    sent = json.loads(body["args"][0]["ipynb"])
    # nbformat writes a string source as its list of lines (nbformat.v4.rwbase.split_lines).
    written = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
    assert [c["source"] for c in sent["cells"]] == [c["source"] for c in written["cells"]]
    # The same notebook: joined, each source is the text it was.
    assert nbformat.reads(json.dumps(sent), as_version=4) == nbformat.reads(text, as_version=4)
    # A source that is already a list is left as it is.
    mixed = notebook("x = 1", ["already ", "a list"])
    body = sent_by(lambda p: p.editor.jupyter_run_notebook(path="", ipynb=mixed))
    sent = json.loads(body["args"][0]["ipynb"])
    assert [c["source"] for c in sent["cells"]] == [["x = 1"], ["already ", "a list"]]


def test_a_notebook_of_list_sources_is_sent_exactly_as_given() -> None:
    text = notebook(["print(1)"]) + "  "
    body = sent_by(lambda p: p.editor.jupyter_run_notebook(path="", ipynb=text))
    assert body["args"][0]["ipynb"] == text
    not_json = "{ not a notebook"
    body = sent_by(lambda p: p.editor.jupyter_run_notebook(path="", ipynb=not_json))
    assert body["args"][0]["ipynb"] == not_json


@pytest.fixture(scope="module")
def project() -> Iterator[cocalc_api.Project]:
    with (
        running_server(kernel_pool_size=0) as server,
        cocalc_api.Project(
            api_key=server.api_key, host=server.url, project_id=server.project_id
        ) as project,
    ):
        yield project


def test_a_notebook_with_string_sources_runs(project: cocalc_api.Project) -> None:
    text = notebook("a = 6\nb = 7\n", "print(a * b)")
    result = json.loads(project.editor.jupyter_run_notebook(path="", ipynb=text))
    outputs = [cell["outputs"] for cell in result["cells"]]
    assert outputs == [[], [{"name": "stdout", "text": "42\n"}]]
    cocalc_api.raise_for_cell_error(result)  # no cell failed


def test_a_notebook_without_a_kernelspec_is_explained(project: cocalc_api.Project) -> None:
    text = notebook("1", kernelspec=None)
    with pytest.raises(cocalc_api.APIError) as raised:
        project.editor.jupyter_run_notebook(path="", ipynb=text)
    error = raised.value
    # jupyter-run.ts reads notebook.metadata.kernelspec.name of an absent kernelspec.
    assert "Cannot read properties of undefined (reading 'name')" in error.message
    assert str(error).startswith("the notebook names no kernel")
    assert '"kernelspec": {"name": "python3"' in str(error)


def test_nbconvert_with_the_notebook_after_an_option_is_explained(
    project: cocalc_api.Project,
) -> None:
    with pytest.raises(cocalc_api.APIError) as raised:
        project.editor.jupyter_nbconvert(args=["--execute", "a.ipynb", "--to", "html"])
    error = raised.value
    assert error.message == "Error: no source"
    assert "found no notebook" in str(error) and "Put the notebook first" in str(error)
    assert '["--execute", "a.ipynb", "--to", "html"]' in str(error)


# -- raise_for_cell_error --------------------------------------------------------------------

# What a cell interrupted at its time limit leaves (docs/wire-protocol.md §4a: "usually ending with a
# KeyboardInterrupt error item"), as IPython's error message content carries it.
INTERRUPTED = {
    "ename": "KeyboardInterrupt",
    "evalue": "",
    "traceback": ["\x1b[0;31mKeyboardInterrupt\x1b[0m: "],
}


def test_an_interrupted_cell_raises_a_cell_error_that_says_why() -> None:
    fake = FakeProject()
    fake.stub("system.jupyter_execute", [{"name": "stdout", "text": "start\n"}, INTERRUPTED])
    outputs = fake.system.jupyter_execute(input="import time; time.sleep(99)", kernel="python3")
    with pytest.raises(cocalc_api.CellError) as raised:
        cocalc_api.raise_for_cell_error(outputs)
    error = raised.value
    assert (error.ename, error.interrupted, error.cell) == ("KeyboardInterrupt", True, None)
    assert "time limit" in str(error) and "timeout_ms_per_cell" in str(error)


def test_the_first_error_of_a_notebook_names_its_cell() -> None:
    ran = json.loads(notebook("1", "1/0"))
    ran["cells"][1]["outputs"] = [
        {"ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": ["..."]}
    ]
    with pytest.raises(cocalc_api.CellError) as raised:
        cocalc_api.raise_for_cell_error(json.dumps(ran))
    assert str(raised.value) == "cell 1: ZeroDivisionError: division by zero"
    # jupyter-run.ts: a cell the run itself failed gets {traceback: [`${err}`]}.
    ran["cells"][1]["outputs"] = [{"traceback": ["Error: Total time limit (=0 seconds) exceeded"]}]
    with pytest.raises(cocalc_api.CellError, match="cell 1: Error: Total time limit"):
        cocalc_api.raise_for_cell_error(ran)


def test_outputs_without_errors_are_returned() -> None:
    outputs = [{"data": {"text/plain": "4950"}}]
    assert cocalc_api.raise_for_cell_error(outputs) is outputs
    with pytest.raises(cocalc_api.InvalidArgumentError):
        cocalc_api.raise_for_cell_error(42)
