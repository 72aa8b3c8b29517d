"""The composition root: one call to ``service_app``."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware import Middleware

from payment_service import handlers, routes
from payment_service.context import build_context
from payment_service.hot import HotPayments
from payment_service.processor import PaymentProcessor, build_processor
from payment_service.settings import Settings
from shared.runtime import service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(
    settings: Settings | None = None, *, processor: PaymentProcessor | None = None
) -> FastAPI:
    """The payment service; ``processor`` stands in for the card network (tests only: it is
    the one collaborator outside our walls)."""
    settings = settings or Settings()
    # Built now, so a misnamed PAYMENT_PROCESSOR fails at start-up, not at the first charge.
    chosen = processor if processor is not None else build_processor(settings)
    return service_app(
        settings,
        title="payment",
        description="Payments for bookings (simulated card processor), refunds.",
        routers=[routes.router],
        migrations_dir=MIGRATIONS_DIR,
        subscriptions=handlers.SUBSCRIPTIONS,
        build_context=partial(build_context, processor=chosen),
        idempotency_keys=True,
        middleware=[Middleware(HotPayments)],
    )
