"""The composition root: one ``service_app`` call wires settings, context, routes and handlers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.middleware import Middleware

from booking_service import handlers, internal, routes
from booking_service.context import build_context
from booking_service.hot import HotBookings
from booking_service.settings import Settings
from shared.runtime import service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return service_app(
        settings or Settings(),
        title="booking",
        description="Bookings, the saga's state machine, and signed tickets.",
        routers=[routes.router, internal.router],
        migrations_dir=MIGRATIONS_DIR,
        subscriptions=handlers.SUBSCRIPTIONS,
        build_context=build_context,
        idempotency_keys=True,
        middleware=[Middleware(HotBookings)],
    )
