"""What the payment service owns besides the shared connections, and its periodic jobs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from payment_service import service
from payment_service.clients import BookingClient
from payment_service.copies import copy_watch
from payment_service.processor import PaymentProcessor
from payment_service.settings import Settings
from shared.db import WakeUp, single_statements
from shared.runtime import Runtime
from shared.watch import Watch


@dataclass(frozen=True)
class Context:
    """The card processor, booking's client, and what the use cases and jobs need with them."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    # The same pool, for the charge's claim: one statement, no transaction block around it.
    single: AsyncEngine
    processor: PaymentProcessor
    bookings: BookingClient
    # Payment requests waiting for their booking's copy, rung when a consumer committed it.
    copies: Watch
    # Rung once a consumer has committed a pending refund: settled at once, not at the next
    # sweep (``after_commit(session, ctx.refund_wake.ring)``).
    refund_wake: WakeUp = field(default_factory=WakeUp)


async def build_context(rt: Runtime[Settings, Context], *, processor: PaymentProcessor) -> Context:
    """The context around the processor ``create_app`` chose; the sweeps as periodic jobs."""
    single = single_statements(rt.engine)
    copies = rt.add_watch(copy_watch(single))
    ctx = Context(
        settings=rt.settings,
        sessionmaker=rt.sessionmaker,
        single=single,
        processor=processor,
        bookings=BookingClient(rt.http, rt.settings),
        copies=copies,
    )
    rt.every(
        rt.settings.SWEEP_INTERVAL_SECONDS,
        service.fail_stale_payments,
        name="payment-stale-sweeper",
    )
    # no pause of its own: each round waits for a wake-up or the sweep interval
    rt.every(0, service.settle_refunds_when_woken, name="payment-refund-settler")
    return ctx
