"""What is done in each project once it runs: a command, a file handed out or collected, a
notebook run. Each is a callable `(project) -> Outcome`; the engine does the rest."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cocalc_api._client import AsyncProject
from cocalc_api.course._records import Outcome

Operation = Callable[[AsyncProject], Awaitable[Outcome]]


@dataclass(frozen=True)
class RunCommand:
    """exec as the web app runs it in every student project: `err_on_exit: false`, so a
    non-zero exit is a result, not an error (run-in-all-projects.ts)."""

    command: str
    args: list[str] | None
    timeout: float | None

    async def __call__(self, project: AsyncProject) -> Outcome:
        result = await project.system.exec(
            command=self.command, args=self.args, timeout=self.timeout, err_on_exit=False
        )
        return Outcome(
            stdout=str(result.get("stdout", "")),
            stderr=str(result.get("stderr", "")),
            exit_code=int(result.get("exit_code", 0)),
        )


async def already_running(project: AsyncProject) -> Outcome:
    """Nothing more to do: the engine started the project and saw it running."""
    return Outcome(stdout="running", stderr="", exit_code=0)


@dataclass(frozen=True)
class WriteFile:
    """Hand out: the same text written to `path` in every project."""

    path: str
    content: str

    async def __call__(self, project: AsyncProject) -> Outcome:
        await project.system.write_text_file_to_project(path=self.path, content=self.content)
        return Outcome(stdout="", stderr="", exit_code=0)


@dataclass(frozen=True)
class ReadFile:
    """Collect: the text of `path` in every project, as the record's stdout, or saved under
    `dest/<folder of the project>/` (then stdout is the local file's path)."""

    path: str
    dest: Path | None
    folder_of: Callable[[str], str]

    async def __call__(self, project: AsyncProject) -> Outcome:
        text = await project.system.read_text_file_from_project(path=self.path)
        if self.dest is None:
            return Outcome(stdout=text, stderr="", exit_code=0)
        assert project.project_id is not None
        target = self.dest / self.folder_of(project.project_id) / posixpath.basename(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return Outcome(stdout=str(target), stderr="", exit_code=0)


@dataclass(frozen=True)
class RunNotebook:
    """Every cell of the notebook at `path`, run in its folder with
    `editor.jupyter_run_notebook` (the call behind nbgrader's runs), optionally saved with
    its outputs to `output_path`. stdout: the cells' text outputs; a cell that raised makes
    exit code 1, with its traceback in stderr."""

    path: str
    output_path: str | None
    timeout: float | None

    async def __call__(self, project: AsyncProject) -> Outcome:
        ipynb = await project.system.read_text_file_from_project(path=self.path)
        folder = posixpath.dirname(self.path) or "."
        runner = project if self.timeout is None else project.with_options(timeout=self.timeout)
        limits: dict[str, Any] = {}
        if self.timeout is not None:
            limits["max_total_time_ms"] = self.timeout * 1000
        ran = await runner.editor.jupyter_run_notebook(
            path=folder,
            ipynb=ipynb,
            limits=limits,  # type: ignore[arg-type]  # RunNotebookLimits, as a plain dict
        )
        if self.output_path is not None:
            await project.system.write_text_file_to_project(path=self.output_path, content=ran)
        return notebook_outcome(ran)


def notebook_outcome(ipynb: str) -> Outcome:
    """The text a notebook's outputs show (streams and text/plain), and its errors."""
    stdout: list[str] = []
    stderr: list[str] = []
    failed = False
    for cell in json.loads(ipynb).get("cells", []):
        for output in cell.get("outputs") or []:
            if "traceback" in output or output.get("output_type") == "error":
                failed = True
                stderr.append("\n".join(map(str, output.get("traceback") or [])) + "\n")
            elif "text" in output:
                text = output["text"]
                (stderr if output.get("name") == "stderr" else stdout).append(_joined(text))
            elif "text/plain" in (output.get("data") or {}):
                stdout.append(_joined(output["data"]["text/plain"]) + "\n")
    return Outcome(stdout="".join(stdout), stderr="".join(stderr), exit_code=1 if failed else 0)


def _joined(text: Any) -> str:
    return "".join(map(str, text)) if isinstance(text, list) else str(text)
