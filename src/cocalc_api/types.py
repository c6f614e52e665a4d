"""The shapes of the results, as TypedDicts generated from the spec (import them for hints)."""

from cocalc_api_generated.typeddicts import (
    ExecStat,
    ExecuteCodeOutput,
    JupyterDataOutput,
    JupyterErrorOutput,
    JupyterKernel,
    JupyterOutputItem,
    JupyterStreamOutput,
    PingResult,
    SuccessResult,
    TestResult,
)

__all__ = [
    "ExecStat",
    "ExecuteCodeOutput",
    "JupyterDataOutput",
    "JupyterErrorOutput",
    "JupyterKernel",
    "JupyterOutputItem",
    "JupyterStreamOutput",
    "PingResult",
    "SuccessResult",
    "TestResult",
]
