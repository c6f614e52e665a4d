"""An MCP server for a CoCalc project, generated from the project API's method table.

Every method of the spec is a tool (name, description, input and output JSON Schemas and
annotations from the table, at run time); folders and text files are resources. Given an
account's hub too, every method of the hub API is a tool named `hub_*`. Needs the `mcp`
extra: `pip install 'cocalc-sdk[mcp]'`, then run `cocalc-mcp` (`--hub`; see docs/mcp.md).

>>> from cocalc_api import AsyncHub, AsyncProject
>>> from cocalc_mcp import build_server
>>> server = build_server(AsyncProject(), read_only=True)  # an mcp.server.Server
>>> account = build_server(None, hub=AsyncHub())  # the hub's tools alone
"""

from typing import TYPE_CHECKING, Any

from cocalc_mcp._tools import RESULT_KEY, Annotations, ToolSpec, tool_specs

if TYPE_CHECKING:
    from cocalc_mcp._server import build_server

__all__ = ["RESULT_KEY", "Annotations", "ToolSpec", "build_server", "tool_specs"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the mcp SDK takes about a second to import, which `cocalc-mcp`
    # spends only once its settings are known to be usable.
    if name == "build_server":
        from cocalc_mcp._server import build_server

        return build_server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
