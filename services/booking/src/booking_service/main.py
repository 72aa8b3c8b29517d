"""The composition root: settings, runtime, ticket key, sweeper and routes are wired here."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from booking_service import handlers, internal, routes, service, tickets
from booking_service.settings import Settings
from shared.runtime import Runtime, service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def on_start(rt: Runtime) -> None:
        signer = tickets.TicketSigner(
            tickets.load_private_key(
                settings.TICKET_PRIVATE_KEY_PATH, create_if_missing=settings.is_dev
            )
        )
        rt.state.ticket_signer = signer
        rt.state.ticket_keys = tickets.TicketKeyRing(
            [signer.public_key]
            + [tickets.load_public_key(path) for path in settings.TICKET_RETIRED_KEY_PATHS]
        )

        async def sweep() -> None:
            await service.expire_overdue_bookings(
                rt.sessionmaker,
                producer=settings.SERVICE_NAME,
                batch_size=settings.SWEEP_BATCH_SIZE,
            )
            await service.purge_idempotency_keys(rt.sessionmaker)

        rt.every(settings.SWEEP_INTERVAL_SECONDS, sweep, name="booking-expiry-sweeper")

    return service_app(
        settings,
        title="booking",
        description="Bookings, the saga's state machine, and signed tickets.",
        routers=[routes.router, internal.router],
        migrations_dir=MIGRATIONS_DIR,
        subscriptions=handlers.SUBSCRIPTIONS,
        on_start=on_start,
    )
