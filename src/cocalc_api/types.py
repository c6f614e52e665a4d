"""The shapes of results and arguments, as TypedDicts generated from the spec.

Import them for hints: `from cocalc_api.types import ExecuteCodeOutput, DirectoryListingEntry`.
The list is generated (cocalc_api_generated/types.py), so a schema added to the spec appears
here after `make generate`.
"""

from cocalc_api_generated.types import *
from cocalc_api_generated.types import __all__  # noqa: F401 (re-exported)
