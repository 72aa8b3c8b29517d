"""The composition root: settings, runtime, processor, routes, periodic jobs."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from fastapi import FastAPI

from payment_service import handlers, routes, service
from payment_service.processor import PaymentProcessor, build_processor
from payment_service.settings import Settings
from shared.runtime import Runtime, service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(
    settings: Settings | None = None, *, processor: PaymentProcessor | None = None
) -> FastAPI:
    settings = settings or Settings()
    # Built now, so a misnamed PAYMENT_PROCESSOR fails at start-up, not at the first charge.
    chosen = processor if processor is not None else build_processor(settings)

    async def on_start(rt: Runtime) -> None:
        rt.state.processor = chosen
        # Set after a consumer commits a pending refund: settled at once, not at the next sweep.
        rt.state.refund_wake = wake = asyncio.Event()

        async def sweep_stale() -> None:
            async with rt.sessionmaker() as session:
                await service.fail_stale_payments(session, settings=settings)

        async def settle_refunds() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=settings.SWEEP_INTERVAL_SECONDS)
            wake.clear()
            async with rt.sessionmaker() as session:
                await service.settle_pending_refunds(session, processor=chosen, settings=settings)

        async def purge_keys() -> None:
            async with rt.sessionmaker() as session:
                await service.purge_idempotency_keys(session, settings=settings)

        rt.every(settings.SWEEP_INTERVAL_SECONDS, sweep_stale, name="payment-stale-sweeper")
        # no pause of its own: each round waits for a wake-up or the sweep interval
        rt.every(0, settle_refunds, name="payment-refund-settler")
        rt.every(3600, purge_keys, name="payment-idempotency-purge")

    return service_app(
        settings,
        title="payment",
        description="Payments for bookings (simulated card processor), refunds.",
        routers=[routes.router],
        migrations_dir=MIGRATIONS_DIR,
        subscriptions=handlers.SUBSCRIPTIONS,
        on_start=on_start,
    )
