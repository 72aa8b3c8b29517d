"""The composition root: settings, runtime, hold store, cache, sweeper, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from event_service import handlers, internal, routes, service
from event_service.cache import EventCache
from event_service.holds import HoldStore
from event_service.service import Ctx
from event_service.service.facts import FactsCache
from event_service.settings import Settings
from shared.runtime import Runtime, readiness_of
from shared.web import build_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def on_start(rt: Runtime) -> None:
        holds = HoldStore(rt.redis, settings)
        ctx = Ctx(
            holds=holds,
            cache=EventCache(rt.redis, settings),
            settings=settings,
            facts=FactsCache(holds, rt.sessionmaker, settings),
            sessions=rt.sessionmaker,
        )
        rt.state.settings = settings
        rt.state.ctx = ctx

        async def sweep() -> None:
            await service.sweep_holds(ctx)

        rt.every(settings.HOLD_SWEEP_SECONDS, sweep, name="event-hold-sweeper")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime.start(
            settings,
            migrations_dir=MIGRATIONS_DIR,
            subscriptions=handlers.SUBSCRIPTIONS,
            on_start=on_start,
        ) as rt:
            app.state.runtime = rt
            app.state.verifier = rt.verifier
            yield

    return build_app(
        settings,
        title="event",
        description="Events, ticket tiers, seat maps and seat holds.",
        routers=[routes.router, internal.router],
        lifespan=lifespan,
        readiness=readiness_of,
    )
