"""What booking owns besides the shared connections: the ticket signer and key ring, and the
client of event's internal API; built once at start-up, with the expiry sweeper."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from booking_service import repository, service
from booking_service.clients import EventClient
from booking_service.settings import Settings
from booking_service.tickets import TicketKeyRing, TicketSigner, load_private_key, load_public_key
from booking_service.watch import status_watch
from shared.db import single_statements
from shared.http import InternalClient
from shared.observability import OVERSOLD
from shared.runtime import Runtime
from shared.watch import Watch


@dataclass(frozen=True)
class Context:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    # The same pool, for reads that are one statement: no transaction block around them.
    single: AsyncEngine
    ticket_signer: TicketSigner
    # the signer's key and the retired ones: codes issued before a rotation still verify
    ticket_keys: TicketKeyRing
    events: EventClient
    watch: Watch  # requests waiting for a booking to leave pending_payment


async def build_context(rt: Runtime[Settings, Context]) -> Context:
    """Load the ticket keys, connect the event client, start the expiry sweeper."""
    settings = rt.settings
    signer = TicketSigner(
        load_private_key(settings.TICKET_PRIVATE_KEY_PATH, create_if_missing=settings.is_dev)
    )
    retired = [load_public_key(path) for path in settings.TICKET_RETIRED_KEY_PATHS]
    single = single_statements(rt.engine)
    watch = rt.add_watch(status_watch(single))
    context = Context(
        settings=settings,
        sessionmaker=rt.sessionmaker,
        single=single,
        ticket_signer=signer,
        ticket_keys=TicketKeyRing([signer.public_key, *retired]),
        events=EventClient(
            InternalClient(rt.http, settings, service="event", base_url=settings.EVENT_URL)
        ),
        watch=watch,
    )
    rt.every(
        settings.SWEEP_INTERVAL_SECONDS,
        service.expire_overdue_bookings,
        name="booking-expiry-sweeper",
    )
    rt.every(settings.OVERSOLD_CHECK_SECONDS, count_oversold, name="booking-oversold-check")
    return context


async def count_oversold(ctx: Context) -> None:
    """``ticketing_oversold_seats``, recomputed from PostgreSQL."""
    async with ctx.sessionmaker() as session:
        seats = await repository.count_double_booked(session)
    OVERSOLD.labels(ctx.settings.SERVICE_NAME).set(seats)
