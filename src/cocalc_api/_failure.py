"""What an error rule reads: the call as it was sent, the client's settings, and the server's
text. The rules themselves are in `_errors.py` (shared), `_exec_errors.py` and
`_notebook_errors.py` (a method's own)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cocalc_api._timeouts import CallLimits
from cocalc_api_generated._runtime import MethodSpec

if TYPE_CHECKING:
    from cocalc_api._exceptions import CocalcError
    from cocalc_api._settings import Settings


@dataclass(frozen=True, slots=True)
class Failure:
    """The call as sent, the client's settings (None where unknown) and the server's
    (redacted) text."""

    method: MethodSpec[Any]
    args: list[Any]
    limits: CallLimits
    message: str
    settings: Settings | None = None

    @property
    def options(self) -> Mapping[str, Any]:
        first = self.args[0] if self.args else None
        return first if isinstance(first, dict) else {}


Rule = Callable[[Failure], "CocalcError | None"]
