"""The shapes of the hub API's results and arguments, as TypedDicts generated from
spec/hub-api.yaml: `from cocalc_api.hub_types import ProjectState, Message`. Generated
(cocalc_api_generated/hub/types.py), so a schema added to the hub spec appears here after
`make generate`.
"""

from cocalc_api_generated.hub.types import *
from cocalc_api_generated.hub.types import __all__  # noqa: F401 (re-exported)
