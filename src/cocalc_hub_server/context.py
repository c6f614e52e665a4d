"""What every hub method may use: the settings, the database, project control."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import HubConfig
from .control import ProjectControl
from .store import Store


@dataclass
class HubContext:
    config: HubConfig
    store: Store
    control: ProjectControl
    # The site's own URL (``http://127.0.0.1:PORT``), known once the socket is bound.
    site_url: str = ""
    # jupyter.kernels' 30 s cache (src/packages/server/jupyter/kernels.ts): key -> (expiry,
    # kernels).
    kernel_specs: dict[str, tuple[float, list[Any]]] = field(default_factory=dict)
