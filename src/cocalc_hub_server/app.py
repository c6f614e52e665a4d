"""The ASGI application of a hub: both routes, over one database and the running projects."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from cocalc_api_generated.hub.specs import BY_WIRE

from .accounts import SiteAdmin, ensure_site_admin
from .auth import KeyResolver
from .config import HUB_ENDPOINT, LOCK_FILE, PROJECT_ENDPOINT, PROJECTS_DIR, HubConfig
from .context import HubContext
from .control import ProjectControl
from .demo_course import DEMO_COURSE_FILE, seed_demo_course
from .handlers import HUB_METHODS, HubMethod, check_handlers
from .hub_dispatch import HubDispatcher
from .routes import Routes
from .store import Store

log = logging.getLogger(__name__)


class HubApp(Starlette):
    """The Starlette app, with the site's admin and the hook a server calls as it stops."""

    def __init__(self, ctx: HubContext, admin: SiteAdmin, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.admin = admin

    def stop_calls(self) -> None:
        """Answer the project calls in flight now, as the real site does when projects stop."""
        self.ctx.control.runners.stop_calls()


def open_site(config: HubConfig) -> tuple[Store, SiteAdmin]:
    """Open (or make) the site under ``config.root``: the database, and its admin (and the
    demo course, with ``config.demo_course`` students, unless the admin has one)."""
    config.root.mkdir(parents=True, exist_ok=True)
    (config.root / PROJECTS_DIR).mkdir(exist_ok=True)
    store = Store.open(config.database, config.root / LOCK_FILE)
    with store.transaction() as tx:
        admin = ensure_site_admin(tx, config.api_key)
        # Every project has its folder, whatever happened to the folders since.
        for project_id in tx.rows("projects", "SELECT project_id FROM projects"):
            config.project_home(project_id["project_id"]).mkdir(exist_ok=True)
        if config.demo_course:
            course_id = seed_demo_course(tx, config, admin.account_id, config.demo_course)
            admin = replace(admin, demo_course=f"{course_id}:{DEMO_COURSE_FILE}")
    return store, admin


def create_app(
    config: HubConfig,
    store: Store,
    admin: SiteAdmin,
    site_url: str = "",
    methods: dict[str, HubMethod] = HUB_METHODS,
) -> HubApp:
    """The app; :class:`MissingHandlerError` if a method of the hub spec has no handler."""
    check_handlers(BY_WIRE, methods)
    control = ProjectControl(config, store)
    ctx = HubContext(config=config, store=store, control=control, site_url=site_url)
    hub = HubDispatcher(ctx, methods)
    routes = Routes(ctx, KeyResolver(store), hub)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        control.forget_states()
        try:
            yield
        finally:
            await hub.close()
            await control.close()

    return HubApp(
        ctx,
        admin,
        routes=[
            Route(HUB_ENDPOINT, routes.hub_call, methods=["POST"]),
            Route(PROJECT_ENDPOINT, routes.project_call, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
