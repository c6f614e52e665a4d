"""``editor.jupyterRunNotebook`` (:mod:`cocalc_project_server.run_notebook`), in process, with a
fake kernel pool and fake cell runs, so nothing here starts a kernel or waits.

The oracle is src/packages/jupyter/nbgrader/jupyter-run.ts: ``JSON.parse(ipynb)``; the notebook
written to ``join(path, uuid + ".ipynb")`` (``mkdir`` of its folder, recursive) and unlinked in
a ``finally``; the kernel named ``notebook.metadata.kernelspec.name`` spawned (retried with
``retry_until_success``: start_delay 1000, max_delay 5000, factor 1.4, max_time 30000) with
``PYTHONWARNINGS: "ignore"`` (kernel.ts adds ``PLOTLY_RENDERER: "colab"``,
``COCALC_JUPYTER_KERNELNAME`` and ``COCALC_JUPYTER_FILENAME``); for each cell ``run_cell``
(total time checked first, then non-code cells skipped, ``cell.source.join("")`` run with the
per-cell time limit, outputs appended); a cell that throws gets ``{traceback: ["${err}"]}`` and
the kernel is restarted unless the total time is used up (always, with no total limit); the
kernel closed at the end; ``JSON.stringify(notebook)`` returned. JavaScript's own TypeErrors
(V8's words) where the notebook is not what the code expects.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cocalc_project_server import run_notebook as rn
from cocalc_project_server.errors import ProjectError, WireError, wire_message
from cocalc_project_server.jupyter_cell import KernelMessage
from cocalc_project_server.kernel_slots import KernelCapReached
from cocalc_project_server.kernel_specs import KernelSpawnError


class FakeHandle:
    def __init__(self, name: str) -> None:
        self.name = name
        self.killed = False

    def death_message(self) -> str:
        return "Kernel last terminated by signal SIGKILL."


class FakePool:
    """Launches fake kernels; ``fail`` makes the next launches raise it."""

    def __init__(self) -> None:
        self.launched: list[tuple[str, str, dict[str, str]]] = []
        self.handles: list[FakeHandle] = []
        self.discarded: list[FakeHandle] = []
        self.fail: list[BaseException] = []

    async def launch(self, name: str, *, cwd: str, env: Any = None) -> FakeHandle:
        self.launched.append((name, cwd, dict(env)))
        if self.fail:
            raise self.fail.pop(0)
        handle = FakeHandle(name)
        self.handles.append(handle)
        return handle

    def discard(self, handle: FakeHandle) -> None:
        self.discarded.append(handle)


class Runs:
    """The fake ``execute_code``: a cell's code says what its kernel does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, FakeHandle]] = []
        self.seen_files: list[dict[str, str]] = []
        self.folder = ""

    async def __call__(self, handle: FakeHandle, code: str, timeout_ms: float, sink: Any) -> None:
        self.calls.append((code, timeout_ms, handle))
        if self.folder:
            self.seen_files.append(
                {name: Path(self.folder, name).read_text() for name in os.listdir(self.folder)}
            )
        for part in code.split(";"):
            if part == "die":
                raise ProjectError("Kernel last exited with code 3.")
            if part == "kill":
                handle.killed = True
            if part == "clear":
                sink(KernelMessage("clear_output", {"wait": False}))
            if part.startswith("print "):
                sink(KernelMessage("stream", {"name": "stdout", "text": part[6:]}))


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    runs = Runs()
    monkeypatch.setattr(rn, "execute_code", runs)
    return runs


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = Path(os.path.realpath(tmp_path)) / "project"
    project.mkdir()
    return project


def code(source: Any, **extra: Any) -> dict[str, Any]:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "source": source, **extra}


def notebook(cells: Any, kernel: Any = "python3") -> dict[str, Any]:
    return {"cells": cells, "metadata": {"kernelspec": {"name": kernel}}, "nbformat": 4}


async def run(
    root: Path,
    pool: FakePool,
    nb: Any,
    *,
    path: str = "runs",
    limits: Any = None,
    max_output: int = 1_000_000,
) -> Any:
    options: dict[str, Any] = {"path": path, "ipynb": json.dumps(nb)}
    if limits is not None:
        options["limits"] = limits
    text = await rn.run_notebook(options, root=str(root), pool=pool, max_output=max_output)
    return json.loads(text)


def outputs_of(result: Any) -> list[Any]:
    return [cell.get("outputs") if isinstance(cell, dict) else cell for cell in result["cells"]]


async def test_code_cells_run_in_order_and_their_outputs_are_appended(
    root: Path, runs: Runs
) -> None:
    pool = FakePool()
    markdown = {"cell_type": "markdown", "metadata": {}, "source": ["# title"]}
    cells = [
        code(["print ", "one"], outputs=[{"name": "stdout", "text": "earlier"}]),
        markdown,
        code(["print two"], outputs=None),
        {"cell_type": "code", "source": ["print three"]},
    ]
    result = await run(root, pool, notebook(cells), limits={"max_time_per_cell_ms": 250})
    assert [(c, t) for c, t, _ in runs.calls] == [
        ("print one", 250),
        ("print two", 250),
        ("print three", 250),
    ]
    assert outputs_of(result) == [
        [{"name": "stdout", "text": "earlier"}, {"name": "stdout", "text": "one"}],
        None,
        [{"name": "stdout", "text": "two"}],
        [{"name": "stdout", "text": "three"}],
    ]
    assert result["cells"][1] == markdown
    # One kernel, closed at the end.
    assert pool.discarded == pool.handles and len(pool.handles) == 1


async def test_the_kernel_is_the_notebooks_in_its_folder_with_its_environment(
    root: Path, runs: Runs
) -> None:
    pool = FakePool()
    runs.folder = str(root / "runs" / "sub")
    ipynb = notebook([code(["print x"])], kernel="ir")
    await run(root, pool, ipynb, path="runs/sub")
    ((name, cwd, env),) = pool.launched
    assert (name, cwd) == ("ir", str(root / "runs" / "sub"))
    ((written, text),) = runs.seen_files[0].items()
    assert written.endswith(".ipynb") and text == json.dumps(ipynb)
    assert env == {
        "PYTHONWARNINGS": "ignore",
        "PLOTLY_RENDERER": "colab",
        "COCALC_JUPYTER_KERNELNAME": "ir",
        "COCALC_JUPYTER_FILENAME": f"runs/sub/{written}",
    }
    assert os.listdir(root / "runs" / "sub") == []  # unlinked afterwards


async def test_the_result_is_javascripts_json(root: Path, runs: Runs) -> None:
    options = {"path": "", "ipynb": '{"cells":[],"metadata":{"kernelspec":{"name":"k"}},"x":1.0}'}
    text = await rn.run_notebook(options, root=str(root), pool=FakePool(), max_output=100)
    assert text == '{"cells":[],"metadata":{"kernelspec":{"name":"k"}},"x":1}'


async def test_a_clear_output_replaces_the_earlier_outputs(root: Path, runs: Runs) -> None:
    result = await run(root, FakePool(), notebook([code(["clear"], outputs=[{"text": "old"}])]))
    assert outputs_of(result) == [[{"wait": False}]]


@pytest.mark.parametrize(
    ("cell", "error"),
    [
        (
            {"cell_type": "code", "outputs": []},
            "TypeError: Cannot read properties of undefined (reading 'join')",
        ),
        (
            {"cell_type": "code", "source": None},
            "TypeError: Cannot read properties of null (reading 'join')",
        ),
        (
            {"cell_type": "code", "source": "print x"},
            "TypeError: cell.source.join is not a function",
        ),
    ],
)
async def test_a_source_that_is_no_array_is_javascripts_type_error(
    root: Path, runs: Runs, cell: dict[str, Any], error: str
) -> None:
    result = await run(root, FakePool(), notebook([cell]))
    assert outputs_of(result) == [[{"traceback": [error]}]]
    assert runs.calls == []


async def test_a_dead_kernel_without_a_total_limit_is_not_restarted(root: Path, runs: Runs) -> None:
    pool = FakePool()
    result = await run(root, pool, notebook([code(["die"]), code(["print x"])]))
    assert outputs_of(result) == [
        [{"traceback": ["Error: Kernel last exited with code 3."]}],
        [{"traceback": ["Error: closed"]}],
    ]
    assert len(pool.launched) == 1 and pool.discarded == pool.handles


async def test_a_dead_kernel_within_the_total_limit_is_restarted(root: Path, runs: Runs) -> None:
    pool = FakePool()
    cells = [code(["print a"]), code(["die"]), code(["print x"])]
    result = await run(root, pool, notebook(cells), limits={"max_total_time_ms": 600_000})
    assert outputs_of(result) == [
        [{"name": "stdout", "text": "a"}],
        [{"traceback": ["Error: Kernel last exited with code 3."]}],
        [{"name": "stdout", "text": "x"}],
    ]
    assert len(pool.handles) == 2 and pool.discarded == pool.handles
    assert runs.calls[2][2] is pool.handles[1]


async def test_a_kernel_killed_at_its_cell_limit_is_closed(root: Path, runs: Runs) -> None:
    pool = FakePool()
    result = await run(root, pool, notebook([code(["kill"]), code(["print x"])]))
    # kernel.ts's exit handler closes it; the next cell finds it closed.
    assert outputs_of(result) == [[], [{"traceback": ["Error: closed"]}]]
    assert pool.discarded == pool.handles


async def test_a_kernel_that_cannot_be_spawned_fails_each_cell(root: Path, runs: Runs) -> None:
    pool = FakePool()
    pool.fail = [
        KernelSpawnError("**Unable to Spawn Jupyter Kernel:** no spec"),
        RuntimeError("boom"),
    ]
    cells = [code(["print a"]), code(["print b"]), code(["print c"])]
    result = await run(
        root, pool, notebook(cells, kernel="nope"), limits={"max_total_time_ms": 1e9}
    )
    failure = (
        "Error: **Unable to Spawn Jupyter Kernel:**\n\nError: boom \n\n"
        "Try this in a terminal to help debug this (or contact support): "
        "`jupyter console --kernel=nope`\n\n"
        "Once you fix the problem, explicitly restart this kernel to test here."
    )
    assert outputs_of(result) == [
        [{"traceback": ["Error: **Unable to Spawn Jupyter Kernel:** no spec"]}],
        [{"traceback": [failure]}],
        [{"name": "stdout", "text": "c"}],
    ]
    assert len(pool.launched) == 3


async def test_the_servers_kernel_cap_fails_the_whole_call(root: Path, runs: Runs) -> None:
    pool = FakePool()
    pool.fail = [KernelCapReached("too many kernels")]
    with pytest.raises(KernelCapReached):
        await run(root, pool, notebook([code(["print a"])]))
    assert os.listdir(root / "runs") == []


class Clock:
    """The monotonic clock, moved on by tests (RunLimits takes its start from the real one)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(rn, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


async def test_a_used_up_total_time_fails_every_later_cell(
    root: Path, runs: Runs, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def slow(handle: FakeHandle, code: str, timeout_ms: float, sink: Any) -> None:
        clock.offset += 2.5  # each cell takes 2.5 s

    monkeypatch.setattr(rn, "execute_code", slow)
    markdown = {"cell_type": "markdown", "source": []}
    cells = [code(["a"]), code(["b"]), markdown, code(["c"])]
    result = await run(root, FakePool(), notebook(cells), limits={"max_total_time_ms": 5000})
    # Checked before each cell (markdown included); Math.round(5000 / 1000) seconds.
    notice = [{"traceback": ["Error: Total time limit (=5 seconds) exceeded"]}]
    assert outputs_of(result) == [[], [], notice, notice]


def test_the_total_time_is_used_up_at_exactly_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(rn, "time", SimpleNamespace(monotonic=lambda: now[0]))
    limits = rn.RunLimits(timeout_ms=1500, start=100.0)
    now[0] = 101.499
    assert not limits.total_time_used_up()
    now[0] = 101.5
    assert limits.total_time_used_up()


def test_limits_absent_or_null_are_no_limits() -> None:
    for raw in (None, {}, {"max_total_time_ms": None, "max_output": 0}):
        limits = rn.RunLimits.from_options(raw)
        assert (
            limits.timeout_ms,
            limits.timeout_ms_per_cell,
            limits.max_output,
            limits.max_output_per_cell,
        ) == (0, 0, 0, 0)
    given = rn.RunLimits.from_options(
        {
            "max_total_time_ms": 1,
            "max_time_per_cell_ms": 2,
            "max_output": 3,
            "max_output_per_cell": 4,
        }
    )
    assert (
        given.timeout_ms,
        given.timeout_ms_per_cell,
        given.max_output,
        given.max_output_per_cell,
    ) == (1, 2, 3, 4)
    assert rn.RunLimits().total_time_used_up()  # global_timeout_exceeded with no limit


async def test_output_limits_are_counted_per_cell(root: Path, runs: Runs) -> None:
    long = "x" * 60
    cells = [code([f"print {long}"]), code([f"print {long}"])]
    per_cell = await run(root, FakePool(), notebook(cells), limits={"max_output_per_cell": 50})
    notice = {
        "name": "stdout",
        "output_type": "stream",
        "text": ["Output truncated since it exceeded the cell output limit of 50 characters"],
    }
    assert outputs_of(per_cell) == [[notice], [notice]]
    total = await run(root, FakePool(), notebook(cells), limits={"max_output": 50})
    assert [o[0]["text"] for o in outputs_of(total)] == [
        ["Output truncated since it exceeded the global output limit of 50 characters"]
    ] * 2


async def test_a_run_at_the_servers_output_bound_ends_there(root: Path, runs: Runs) -> None:
    cells = [code(["print " + "x" * 100]), code(["print y"]), code(["print z"])]
    result = await run(root, FakePool(), notebook(cells), max_output=50)
    first, *rest = outputs_of(result)
    assert first and all("x" * 100 != item.get("text") for item in first)
    assert rest == [[], []]  # left as they were
    assert [c for c, _, _ in runs.calls] == ["print " + "x" * 100]


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({}, "TypeError: Cannot read properties of undefined (reading 'name')"),
        (None, "TypeError: Cannot read properties of null (reading 'kernelspec')"),
        ({"kernelspec": None}, "TypeError: Cannot read properties of null (reading 'name')"),
    ],
)
async def test_a_notebook_without_a_kernelspec_is_javascripts_type_error(
    root: Path, runs: Runs, metadata: Any, error: str
) -> None:
    with pytest.raises(WireError) as failure:
        await run(root, FakePool(), {"cells": [], "metadata": metadata})
    assert wire_message(failure.value) == error
    assert os.listdir(root / "runs") == []  # written, then unlinked


async def test_a_notebook_that_is_null_or_has_no_metadata(root: Path, runs: Runs) -> None:
    with pytest.raises(WireError) as failure:
        await run(root, FakePool(), None)
    assert wire_message(failure.value) == (
        "TypeError: Cannot read properties of null (reading 'metadata')"
    )
    with pytest.raises(WireError) as failure:
        await run(root, FakePool(), {"cells": []})
    assert wire_message(failure.value) == (
        "TypeError: Cannot read properties of undefined (reading 'kernelspec')"
    )
    # A kernelspec that is no object has no "name": undefined, a falsy name.
    assert rn._kernel_name({"metadata": {"kernelspec": 5}}) is rn._UNDEFINED


@pytest.mark.parametrize("name", [None, "", 0, False, "missing"])
async def test_a_falsy_kernel_name_retries_the_refused_spawn_for_30_s(
    root: Path, runs: Runs, monkeypatch: pytest.MonkeyPatch, name: Any
) -> None:
    asked: list[dict[str, Any]] = []

    async def retry(attempt: Any, **options: Any) -> None:
        asked.append(options)
        try:
            await attempt()
        except ProjectError as error:
            raise ProjectError(f"gave up: {error}") from None

    monkeypatch.setattr(rn, "retry_until_success", retry)
    kernelspec = {} if name == "missing" else {"name": name}
    with pytest.raises(ProjectError) as failure:
        await run(root, FakePool(), {"cells": [], "metadata": {"kernelspec": kernelspec}})
    # kernel.ts spawn(): "cannot spawn since no kernel is set"; jupyter-run.ts's options.
    assert str(failure.value) == "gave up: cannot spawn since no kernel is set"
    assert asked == [
        {"start_delay_ms": 1000, "max_delay_ms": 5000, "factor": 1.4, "max_time_ms": 30000}
    ]


@pytest.mark.parametrize("name", ["0", 1, True, "python3"])
def test_a_truthy_kernel_name_is_not_falsy(name: Any) -> None:
    assert not rn._falsy(name)


@pytest.mark.parametrize("name", [0.0, -0.0, 0])
def test_zero_is_falsy(name: Any) -> None:
    assert rn._falsy(name)


async def test_a_numeric_kernel_name_is_its_string(root: Path, runs: Runs) -> None:
    pool = FakePool()
    await run(root, pool, notebook([], kernel=7))
    assert pool.launched[0][0] == "7"


@pytest.mark.parametrize("cells", [None, 5, {"a": 1}, "missing"])
async def test_cells_that_are_not_iterable(root: Path, runs: Runs, cells: Any) -> None:
    nb = notebook(cells)
    if cells == "missing":
        del nb["cells"]
    with pytest.raises(WireError) as failure:
        await run(root, FakePool(), nb)
    assert wire_message(failure.value) == "TypeError: notebook.cells is not iterable"


@pytest.mark.parametrize(
    ("cell", "text"),
    [("ab", "string 'a'"), (1.5, "number '1.5'"), (2, "number '2'"), (True, "boolean 'true'")],
)
async def test_a_failing_primitive_cell_cannot_take_outputs(
    root: Path, runs: Runs, cell: Any, text: str
) -> None:
    # for...of gives a string's characters; run_cell throws (total time used up), and the
    # strict-mode catch cannot set `outputs` on a primitive.
    cells = cell if isinstance(cell, str) else [cell]
    with pytest.raises(WireError) as failure:
        await run(root, FakePool(), notebook(cells), limits={"max_total_time_ms": 1e-6})
    assert wire_message(failure.value) == f"TypeError: Cannot create property 'outputs' on {text}"


async def test_primitive_cells_are_skipped_when_nothing_fails(root: Path, runs: Runs) -> None:
    result = await run(root, FakePool(), notebook([1, "s", True, [], code(["print a"])]))
    assert outputs_of(result)[:4] == [1, "s", True, []]


async def test_a_null_cell_is_javascripts_type_error(root: Path, runs: Runs) -> None:
    with pytest.raises(WireError) as failure:
        await run(root, FakePool(), notebook([code(["print a"]), None]))
    assert wire_message(failure.value) == (
        "TypeError: Cannot read properties of null (reading 'outputs')"
    )


async def test_a_failed_cell_with_outputs_null_gets_a_list(root: Path, runs: Runs) -> None:
    cells = [code(["a"], outputs=None), {"cell_type": "code"}]
    result = await run(root, FakePool(), notebook(cells), limits={"max_total_time_ms": 1e-6})
    notice = [{"traceback": ["Error: Total time limit (=0 seconds) exceeded"]}]
    assert outputs_of(result) == [notice, notice]


async def test_a_failed_cell_whose_outputs_is_no_array(root: Path, runs: Runs) -> None:
    with pytest.raises(WireError) as failure:
        await run(root, FakePool(), notebook([code(["die"], outputs={})]))
    assert wire_message(failure.value) == "TypeError: cell.outputs.push is not a function"


async def test_a_folder_in_place_of_a_file_is_mkdirs_error(root: Path, runs: Runs) -> None:
    (root / "plain.txt").write_text("x")
    with pytest.raises(ProjectError) as failure:
        await run(root, FakePool(), notebook([]), path="plain.txt/sub")
    assert str(failure.value) == "ENOTDIR: not a directory, mkdir 'plain.txt/sub'"


async def test_a_notebook_that_cannot_be_written_is_opens_error(
    root: Path, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(rn.Beneath, "open", refuse)
    with pytest.raises(ProjectError) as failure:
        await run(root, FakePool(), notebook([]), path="runs")
    assert str(failure.value).startswith("EACCES: permission denied, open 'runs/")
    assert str(failure.value).endswith(".ipynb'")


async def test_a_lone_surrogate_is_written_as_node_writes_it(root: Path, runs: Runs) -> None:
    # writeFile encodes the string as UTF-8, a lone surrogate as U+FFFD.
    runs.folder = str(root / "runs")
    nb = notebook([code(["x"])])
    ipynb = json.dumps(nb)[:-1] + ', "s": "\ud800"}'
    options = {"path": "runs", "ipynb": ipynb}
    await rn.run_notebook(options, root=str(root), pool=FakePool(), max_output=99)
    ((text,),) = [list(files.values()) for files in runs.seen_files]
    assert text == ipynb.replace("\ud800", "\ufffd")


async def test_retry_until_success_sleeps_for_real_by_default() -> None:
    tries: list[float] = []

    async def attempt() -> str:
        tries.append(time.monotonic())
        if len(tries) < 3:
            raise ProjectError("not yet")
        return "done"

    result = await rn.retry_until_success(
        attempt, start_delay_ms=1, max_delay_ms=2, factor=2, max_time_ms=10_000
    )
    assert result == "done" and len(tries) == 3


async def test_retry_until_success_gives_up_at_once_past_its_time() -> None:
    async def attempt() -> None:
        raise ProjectError("never")

    with pytest.raises(ProjectError) as failure:
        await rn.retry_until_success(
            attempt, start_delay_ms=1000, max_delay_ms=5000, factor=1.4, max_time_ms=1000
        )
    # async-utils.ts: no error before the last one: "maximum time exceeded -- undefined".
    assert str(failure.value) == "maximum time exceeded -- undefined"


async def test_a_cell_cleared_then_stopped_at_the_bound_keeps_only_what_came_after(
    root: Path, runs: Runs
) -> None:
    cells = [code(["clear;print " + "x" * 100], outputs=[{"text": "old"}]), code(["print y"])]
    result = await run(root, FakePool(), notebook(cells), max_output=50)
    first, second = outputs_of(result)
    assert first[0] == {"wait": False} and {"text": "old"} not in first
    assert second == []


async def test_a_folder_swapped_for_a_link_outside_is_refused_by_its_given_name(
    root: Path, tmp_path: Path, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process swaps "out" for a link to outside after the path was checked: the
    # folder is made from the project folder's descriptor, which refuses, naming the folder
    # as the call gave it (README, "Sandboxed paths").
    (tmp_path / "elsewhere").mkdir()
    (root / "out").mkdir()
    real_confine = rn.confine

    def confine_then_swap(*args: Any) -> str:
        checked = real_confine(*args)
        (root / "out").rmdir()
        (root / "out").symlink_to(tmp_path / "elsewhere")
        return checked

    monkeypatch.setattr(rn, "confine", confine_then_swap)
    with pytest.raises(ProjectError) as failure:
        await run(root, FakePool(), notebook([]), path="out/sub")
    assert str(failure.value) == f"path 'out/sub' is outside of the project folder '{root}'"
    assert os.listdir(tmp_path / "elsewhere") == []


async def test_a_notebook_whose_folder_was_swapped_for_a_link_outside_is_still_answered(
    root: Path, tmp_path: Path, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # jupyter-run.ts: `try { await unlink(path) } catch {}`: the temporary notebook's removal
    # never fails the run; here it is refused (the folder now leads outside) and nothing
    # outside is removed.
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    async def swap_then_run(handle: FakeHandle, code: str, timeout_ms: float, sink: Any) -> None:
        folder = root / "runs"
        (written,) = os.listdir(folder)
        os.rename(folder / written, outside / written)
        folder.rmdir()
        folder.symlink_to(outside)
        sink(KernelMessage("stream", {"name": "stdout", "text": "ran"}))

    monkeypatch.setattr(rn, "execute_code", swap_then_run)
    result = await run(root, FakePool(), notebook([code(["x"])]))
    assert outputs_of(result) == [[{"name": "stdout", "text": "ran"}]]
    assert len(os.listdir(outside)) == 1  # the notebook moved there stays


async def test_a_folder_swapped_before_the_notebook_is_written_is_refused_by_its_given_name(
    root: Path, tmp_path: Path, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    real_make_folders = rn.Beneath.make_folders

    def make_then_swap(self: Any, *args: Any, **kwargs: Any) -> None:
        real_make_folders(self, *args, **kwargs)
        (root / "runs").rmdir()
        (root / "runs").symlink_to(tmp_path / "elsewhere")

    monkeypatch.setattr(rn.Beneath, "make_folders", make_then_swap)
    with pytest.raises(ProjectError) as failure:
        await run(root, FakePool(), notebook([]), path="runs")
    pattern = rf"path 'runs/[0-9a-f-]{{36}}\.ipynb' is outside of the project folder '{root}'"
    assert re.fullmatch(pattern, str(failure.value)), str(failure.value)
    assert os.listdir(tmp_path / "elsewhere") == []
