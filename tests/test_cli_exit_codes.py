"""The command line's exit code of each SDK error, as docs/cli.md's table gives them.

One lookup along the error's MRO: a subclass gets the code of its nearest listed class, so
APITimeoutError (an APIConnectionError too) is a time limit, not an unreachable host.
"""

from __future__ import annotations

import pytest

import cocalc_api
from cocalc_api.cli._errors import exit_code_for

# docs/cli.md, "Exit codes"
DOCUMENTED = {
    "APIError": 1,
    "ExecError": 1,
    "InvalidArgumentError": 2,
    "AuthenticationError": 3,
    "PermissionDeniedError": 3,
    "UnknownFunctionError": 4,
    "AsyncJobNotFoundError": 4,
    "UnknownKernelError": 4,
    "APIConnectionError": 5,
    "HTTPStatusError": 5,
    "ProjectUnavailableError": 5,
    "ClientClosedError": 5,
    "ResponseValidationError": 6,
    "ServerTimeoutError": 124,
    "ExecTimeoutError": 124,
    "APITimeoutError": 124,
    "JobTimeoutError": 124,
    "CocalcError": 1,
}


@pytest.mark.parametrize(("name", "code"), DOCUMENTED.items())
def test_each_error_exits_with_its_documented_code(name: str, code: int) -> None:
    cls = getattr(cocalc_api, name)
    assert exit_code_for(cls.__new__(cls)) == code


def test_a_subclass_gets_its_nearest_listed_class_code() -> None:
    class ProxyTimeout(cocalc_api.APITimeoutError):
        pass

    class Mine(cocalc_api.AuthenticationError, cocalc_api.APIConnectionError):
        pass

    assert exit_code_for(ProxyTimeout("slow")) == 124
    assert exit_code_for(Mine.__new__(Mine)) == 3  # first in the MRO wins
    assert exit_code_for(KeyError("x")) == 1
