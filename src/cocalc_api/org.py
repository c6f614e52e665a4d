"""`cocalc_api.org.Organizations`: the `org.*` methods of the hub API (`hub.org`), at the
import path the reference client has them."""

from cocalc_api.hub import AsyncOrganizations, Organizations

__all__ = ["AsyncOrganizations", "Organizations"]
