"""The error texts of the Jupyter methods, explained: a kernel the project does not have, an
nbconvert command line CoCalc reads no notebook from, a notebook that names no kernel."""

from __future__ import annotations

import json
import re

from cocalc_api._exceptions import APIError, CocalcError, UnknownKernelError
from cocalc_api._failure import Failure

# src/packages/jupyter/kernel/launch-kernel.ts, via stateless-api
UNKNOWN_KERNEL = re.compile(
    r'No spec available for kernel "(?P<kernel>[^"]*)"\.\s+Available specs: (?P<specs>\[.*?\])',
    re.DOTALL,
)
# src/packages/project/jupyter/convert/util.ts parseSource: the notebook is the first argument
# that neither starts with "--" nor follows an option without "=" (taken as its value).
NO_SOURCE = "Error: no source"
# src/packages/jupyter/nbgrader/jupyter-run.ts reads `notebook.metadata.kernelspec.name`;
# kernel.ts refuses an empty name ("cannot spawn since no kernel is set").
NO_KERNEL = re.compile(
    r"Cannot read properties of (?:undefined|null) \(reading '(?:metadata|kernelspec|name)'\)"
    r"|no kernel is set"
)
KERNELSPEC_EXAMPLE = (
    '"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", '
    '"language": "python"}}'
)


def unknown_kernel(failure: Failure) -> CocalcError | None:
    found = UNKNOWN_KERNEL.search(failure.message)
    if found is None:
        return None
    try:
        available = [str(name) for name in json.loads(found["specs"])]
    except ValueError:
        available = []
    return UnknownKernelError(
        failure.message,
        method=failure.method.wire_name,
        kernel=found["kernel"],
        available=available,
        explanation=(
            f"no Jupyter kernel named {found['kernel']!r}; the project has: "
            f"{', '.join(available) or 'none'}"
        ),
    )


def nbconvert_no_source(failure: Failure) -> CocalcError | None:
    if failure.message != NO_SOURCE:
        return None
    args = failure.options.get("args")
    sent = f" in {json.dumps(args)}" if isinstance(args, list) else ""
    return APIError(
        failure.message,
        method=failure.method.wire_name,
        explanation=(
            f"CoCalc found no notebook{sent}: it takes the first argument that is not an option "
            "as the notebook, and reads every --option without '=' as taking the next argument "
            "as its value (so in ['--execute', 'a.ipynb'] the notebook is taken as --execute's "
            "value). Put the notebook first (['a.ipynb', '--execute', '--to', 'html']) or "
            f"write options as --to=html (the server said: {failure.message})"
        ),
    )


def _names_a_kernel(ipynb: object) -> bool:
    try:
        notebook = json.loads(ipynb) if isinstance(ipynb, str) else None
        name = notebook["metadata"]["kernelspec"]["name"]  # type: ignore[index]
    except (ValueError, TypeError, KeyError):
        return False
    return isinstance(name, str) and bool(name)


def run_notebook_no_kernel(failure: Failure) -> CocalcError | None:
    if NO_KERNEL.search(failure.message) is None:
        return None
    if _names_a_kernel(failure.options.get("ipynb")):
        return None  # the text came from somewhere else
    return APIError(
        failure.message,
        method=failure.method.wire_name,
        explanation=(
            "the notebook names no kernel: CoCalc runs it with the kernel of its "
            f"metadata.kernelspec.name, so add {KERNELSPEC_EXAMPLE} (a name that "
            "editor.jupyter_kernels() lists) (the server said: "
            f"{failure.message})"
        ),
    )
