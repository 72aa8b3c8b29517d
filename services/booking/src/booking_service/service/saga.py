"""Booking's side of the saga: cancelling, event.cancelled, and the expiry sweeper.

Payment's messages are in ``payments.py``. Except for the sweeper, these run inside the
consumer's (or the route's) transaction.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from booking_service import domain
from booking_service import repository as repo
from booking_service.domain import BookingStatus
from booking_service.repository import BookingRow
from booking_service.service import messages
from shared.db import utcnow
from shared.logging import get_logger
from shared.messaging import outbox

if TYPE_CHECKING:  # the context registers the sweeper: a run-time import would be circular
    from booking_service.context import Context

log = get_logger(__name__)


async def cancel_locked(session: AsyncSession, booking: BookingRow, *, reason: str) -> bool:
    """Guarded move to cancelled plus ``booking.cancelled``, in the caller's transaction."""
    current = BookingStatus(booking.status)
    if not domain.can_cancel(current):
        return False
    moved = await repo.transition(
        session,
        booking.id,
        current=current,
        target=BookingStatus.CANCELLED,
        now=utcnow(),
        cancel_reason=reason,
    )
    if moved:
        await outbox.add(
            session,
            messages.cancelled_message(
                booking,
                reason=reason,
                was_confirmed=current is BookingStatus.CONFIRMED,
                payment_id=booking.payment_id,
            ),
        )
    return moved


# --- reacting to event (inside the consumer's transaction) ---------------------------------


async def cancel_event_bookings(session: AsyncSession, *, event_id: uuid.UUID) -> int:
    """The show is off: cancel every live booking of it (confirmed ones get refunded)."""
    cancelled = 0
    for booking in await repo.lock_active_bookings_of_event(session, event_id):
        if await cancel_locked(session, booking, reason=domain.REASON_EVENT_CANCELLED):
            cancelled += 1
    return cancelled


# --- the sweeper ----------------------------------------------------------------------------


async def expire_overdue_bookings(ctx: Context) -> int:
    """Unpaid bookings past their deadline become expired (``booking.expired``), batch by batch."""
    batch_size = ctx.settings.SWEEP_BATCH_SIZE
    expired = 0
    while True:
        async with ctx.sessionmaker() as session, session.begin():
            now = utcnow()
            batch = await repo.lock_overdue_bookings(session, now=now, limit=batch_size)
            for booking in batch:
                moved = await repo.transition(
                    session,
                    booking.id,
                    current=BookingStatus.PENDING_PAYMENT,
                    target=BookingStatus.EXPIRED,
                    now=now,
                )
                if moved:
                    await outbox.add(session, messages.expired_message(booking))
                    expired += 1
        if len(batch) < batch_size:
            if expired:
                log.info("bookings_expired", count=expired)
            return expired
