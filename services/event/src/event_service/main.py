"""The event service's app: routes, message handlers and context on the shared runtime."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.middleware import Middleware

from event_service import handlers, internal, routes
from event_service.context import Context, build_context
from event_service.hot import HotHolds
from event_service.service import waitlist
from event_service.settings import Settings
from shared.runtime import Runtime, service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


async def _build_context(rt: Runtime[Settings, Context]) -> Context:
    """The context, and the job handing out returned places to the waiting lists (here, not in
    ``context.py``: that use case reads through the context's stores)."""
    ctx = await build_context(rt)
    rt.every(ctx.settings.WAITLIST_TICK_SECONDS, waitlist.hand_out, name="event-waitlist")
    return ctx


def create_app(settings: Settings | None = None) -> FastAPI:
    return service_app(
        settings or Settings(),
        title="event",
        description="Events, ticket tiers, seat maps and seat holds.",
        routers=[routes.router, internal.router],
        migrations_dir=MIGRATIONS_DIR,
        subscriptions=handlers.SUBSCRIPTIONS,
        build_context=_build_context,
        middleware=[Middleware(HotHolds)],
    )
