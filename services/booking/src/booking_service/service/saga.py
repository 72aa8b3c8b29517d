"""Booking's side of the saga: payment and event messages, and the expiry sweeper.

Except for the sweeper, these run inside the consumer's transaction, next to its inbox claim.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking_service import domain, idempotency
from booking_service import repository as repo
from booking_service.domain import BookingStatus, PaymentOutcome
from booking_service.orm import BookedSeat, Booking, Ticket
from booking_service.service import messages
from booking_service.tickets import TicketClaims, TicketSigner
from shared.contracts.payment import PaymentFailedV1, PaymentSucceededV1
from shared.db import utcnow
from shared.logging import get_logger
from shared.messaging import outbox

log = get_logger("booking_service.service.saga")


async def cancel_locked(
    session: AsyncSession, booking: Booking, *, reason: str, producer: str
) -> bool:
    """Guarded move to cancelled plus ``booking.cancelled``, in the caller's transaction."""
    current = BookingStatus(booking.status)
    if not domain.can_cancel(current):
        return False
    moved = await repo.transition(
        session,
        booking.id,
        current=current,
        target=BookingStatus.CANCELLED,
        cancel_reason=reason,
        updated_at=utcnow(),
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
            producer=producer,
        )
    return moved


# --- reacting to payment and event (inside the consumer's transaction) ----------------------


async def confirm_paid_booking(
    session: AsyncSession, *, payment: PaymentSucceededV1, signer: TicketSigner, producer: str
) -> None:
    """Confirm and issue signed tickets (``booking.confirmed``); a paid booking that is gone is
    announced as cancelled with the payment id, so payment refunds it."""
    booking = await repo.lock_booking(session, payment.booking_id)
    if booking is None:
        log.warning("payment_for_unknown_booking", booking_id=str(payment.booking_id))
        return
    outcome = domain.payment_outcome(
        BookingStatus(booking.status),
        booking_payment_id=booking.payment_id,
        payment_id=payment.payment_id,
    )
    now = utcnow()
    if outcome is PaymentOutcome.DUPLICATE:
        return
    if outcome is PaymentOutcome.DOUBLE_PAYMENT:
        # Payment refuses to charge a paid booking; if it happens anyway a person must look.
        log.error(
            "booking_paid_twice",
            booking_id=str(booking.id),
            payment_id=str(payment.payment_id),
            kept_payment_id=str(booking.payment_id),
        )
        return
    if outcome is PaymentOutcome.REFUND:
        await repo.set_payment_if_unset(session, booking.id, payment_id=payment.payment_id, now=now)
        # The seats were released when the booking expired/was cancelled: announce no seats,
        # so event does not release seats someone else may hold by now.
        await outbox.add(
            session,
            messages.cancelled_message(
                booking,
                reason=domain.REASON_PAID_AFTER_EXPIRY,
                was_confirmed=False,
                payment_id=payment.payment_id,
                with_seats=False,
            ),
            producer=producer,
        )
        log.info("paid_after_expiry", booking_id=str(booking.id), status=booking.status)
        return

    moved = await repo.transition(
        session,
        booking.id,
        current=BookingStatus.PENDING_PAYMENT,
        target=BookingStatus.CONFIRMED,
        payment_id=payment.payment_id,
        confirmed_at=now,
        updated_at=now,
    )
    if not moved:  # unreachable while the row is locked; never confirm twice
        return
    tickets = [_issue_ticket(booking, seat, signer) for seat in booking.seats]
    booking.tickets.extend(tickets)
    await session.flush()
    await outbox.add(
        session,
        messages.confirmed_message(booking, tickets=tickets, payment_id=payment.payment_id),
        producer=producer,
    )


def _issue_ticket(booking: Booking, seat: BookedSeat, signer: TicketSigner) -> Ticket:
    ticket_id = uuid.uuid4()
    code = signer.sign(
        TicketClaims(
            ticket_id=ticket_id,
            booking_id=booking.id,
            event_id=booking.event_id,
            seat_id=seat.seat_id,
        )
    )
    return Ticket(
        id=ticket_id,
        booking_id=booking.id,
        position=seat.position,
        seat_id=seat.seat_id,
        tier=seat.tier,
        price=seat.price,
        code=code,
    )


async def cancel_unpaid_booking(
    session: AsyncSession, *, failure: PaymentFailedV1, producer: str
) -> None:
    """A final payment failure cancels the pending booking; a retryable one leaves it waiting."""
    if not domain.payment_failure_cancels(retryable=failure.retryable):
        return
    booking = await repo.lock_booking(session, failure.booking_id)
    if booking is None or booking.status != BookingStatus.PENDING_PAYMENT:
        return
    await cancel_locked(
        session, booking, reason=domain.payment_failed_reason(failure.reason), producer=producer
    )


async def cancel_event_bookings(
    session: AsyncSession, *, event_id: uuid.UUID, producer: str
) -> int:
    """The show is off: cancel every live booking of it (confirmed ones get refunded)."""
    cancelled = 0
    for booking in await repo.lock_active_bookings_of_event(session, event_id):
        if await cancel_locked(
            session, booking, reason=domain.REASON_EVENT_CANCELLED, producer=producer
        ):
            cancelled += 1
    return cancelled


# --- the sweeper ----------------------------------------------------------------------------


async def expire_overdue_bookings(
    sessionmaker: async_sessionmaker[AsyncSession], *, producer: str, batch_size: int
) -> int:
    """Unpaid bookings past their deadline become expired (``booking.expired``), batch by batch."""
    expired = 0
    while True:
        async with sessionmaker() as session, session.begin():
            now = utcnow()
            batch = await repo.lock_overdue_bookings(session, now=now, limit=batch_size)
            for booking in batch:
                moved = await repo.transition(
                    session,
                    booking.id,
                    current=BookingStatus.PENDING_PAYMENT,
                    target=BookingStatus.EXPIRED,
                    updated_at=now,
                )
                if moved:
                    await outbox.add(session, messages.expired_message(booking), producer=producer)
                    expired += 1
        if len(batch) < batch_size:
            if expired:
                log.info("bookings_expired", count=expired)
            return expired


async def purge_idempotency_keys(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Forget Idempotency-Keys older than their guaranteed lifetime."""
    async with sessionmaker() as session, session.begin():
        return await idempotency.purge(session, before=utcnow() - domain.IDEMPOTENCY_KEY_LIFETIME)
