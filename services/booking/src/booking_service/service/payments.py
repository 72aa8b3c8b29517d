"""Payment's messages in: confirm (or re-take and confirm, or refund), fail, refunded.

These run inside the consumer's transaction, next to its inbox claim; the booking row is locked
first, so messages about one booking are applied one after another, and every state change is a
guarded ``UPDATE … WHERE status = <from>``: a duplicate or late message finds nothing to do.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking_service import domain
from booking_service import repository as repo
from booking_service.clients import EventClient
from booking_service.domain import BookingStatus, PaymentOutcome, RefundOutcome, RetakeRefused
from booking_service.repository import BookingRow, SeatRow, TicketRow
from booking_service.service import messages
from booking_service.service.saga import cancel_locked
from booking_service.tickets import TicketClaims, TicketSigner
from shared.contracts.event import HoldRetakeRequestV1, RetakeSeatV1
from shared.contracts.payment import PaymentFailedV1, PaymentRefundedV1, PaymentSucceededV1
from shared.db import utcnow
from shared.logging import get_logger
from shared.messaging import outbox

log = get_logger(__name__)


async def confirm_paid_booking(
    session: AsyncSession,
    *,
    payment: PaymentSucceededV1,
    signer: TicketSigner,
    events: EventClient,
    retake_ttl_seconds: int,
) -> None:
    """Confirm and issue signed tickets (``booking.confirmed``). A payment for an expired booking
    re-takes its seats and confirms, or cancels it at once; one for a cancelled booking is
    announced with the payment id. Either way payment refunds what cannot stand."""
    booking = await repo.lock_booking(session, payment.booking_id)
    if booking is None:
        log.warning("payment_for_unknown_booking", booking_id=str(payment.booking_id))
        return
    outcome = domain.payment_outcome(
        BookingStatus(booking.status),
        booking_payment_id=booking.payment_id,
        payment_id=payment.payment_id,
    )
    if outcome is PaymentOutcome.DUPLICATE:
        return
    if outcome is PaymentOutcome.DOUBLE_PAYMENT:
        # Payment allows one succeeded payment per booking, so this should never happen. If it
        # does, nothing is published: a booking.cancelled would cancel the real, paid booking.
        # The extra payment needs a person (an admin refund through payment's API).
        log.critical(
            "booking_paid_twice",
            booking_id=str(booking.id),
            payment_id=str(payment.payment_id),
            kept_payment_id=str(booking.payment_id),
        )
        return
    if outcome is PaymentOutcome.REFUND:
        await _announce_paid_after_cancel(session, booking, payment.payment_id)
        return
    if outcome is PaymentOutcome.RETAKE:
        await _confirm_late(
            session,
            booking,
            payment.payment_id,
            signer=signer,
            events=events,
            ttl_seconds=retake_ttl_seconds,
        )
        return
    await _confirm(
        session,
        booking,
        payment.payment_id,
        current=BookingStatus.PENDING_PAYMENT,
        signer=signer,
    )


async def _confirm(
    session: AsyncSession,
    booking: BookingRow,
    payment_id: uuid.UUID,
    *,
    current: BookingStatus,
    signer: TicketSigner,
    hold_id: str | None = None,
) -> bool:
    """Move to confirmed with one signed ticket per seat, and announce it (one statement and
    the outbox row)."""
    tickets = [_issue_ticket(booking, seat, signer) for seat in booking.seats]
    moved = await repo.confirm(
        session,
        booking.id,
        current=current,
        payment_id=payment_id,
        now=utcnow(),
        tickets=tickets,
        hold_id=hold_id,
    )
    if not moved:  # unreachable while the row is locked; never confirm twice
        return False
    await outbox.add(
        session,
        messages.confirmed_message(
            booking, tickets=tickets, payment_id=payment_id, hold_id=hold_id or booking.hold_id
        ),
    )
    return True


async def _confirm_late(
    session: AsyncSession,
    booking: BookingRow,
    payment_id: uuid.UUID,
    *,
    signer: TicketSigner,
    events: EventClient,
    ttl_seconds: int,
) -> None:
    """The late-payment rule: the same seats again if they are free, else cancel and refund.

    Event is asked while the booking row is locked (a short call with timeouts); when it cannot
    be reached the error rolls the message back and it is delivered again later.
    """
    try:
        retaken = await events.retake_seats(_retake_request(booking, ttl_seconds=ttl_seconds))
    except RetakeRefused as refused:
        log.info(
            "late_payment_refunded",
            booking_id=str(booking.id),
            payment_id=str(payment_id),
            refused=refused.code,
            details=refused.details,
        )
        await _cancel_paid_after_expiry(session, booking, payment_id)
        return
    try:
        async with session.begin_nested():
            confirmed = await _confirm(
                session,
                booking,
                payment_id,
                current=BookingStatus.EXPIRED,
                signer=signer,
                hold_id=retaken.hold_id,
            )
    except IntegrityError:
        # Event gave the seats back but this database still has a live booking on one of them
        # (the unique partial index is the last word): refund, and release event's new hold.
        log.error("late_payment_seat_taken", booking_id=str(booking.id), hold_id=retaken.hold_id)
    else:
        if confirmed:
            log.info("late_payment_confirmed", booking_id=str(booking.id), hold_id=retaken.hold_id)
        return
    # The savepoint is rolled back and the row is still locked: the booking is as read.
    await _cancel_paid_after_expiry(session, booking, payment_id, release_hold_id=retaken.hold_id)


def _retake_request(booking: BookingRow, *, ttl_seconds: int) -> HoldRetakeRequestV1:
    """The same places again for the same buyer."""
    return HoldRetakeRequestV1(
        event_id=booking.event_id,
        user_id=booking.user_id,
        seats=[RetakeSeatV1(seat_id=seat.seat_id, tier=seat.tier) for seat in booking.seats],
        ttl_seconds=ttl_seconds,
        # the booking's earlier hold: if still live, its places are not counted twice
        hold_id=booking.hold_id,
    )


async def _cancel_paid_after_expiry(
    session: AsyncSession,
    booking: BookingRow,
    payment_id: uuid.UUID,
    *,
    release_hold_id: str | None = None,
) -> None:
    """expired → cancelled with the payment id: payment refunds at once. The seats were released
    when the booking expired, so the message lists none — unless event just handed us a new hold
    (``release_hold_id``) that must be given back."""
    moved = await repo.transition(
        session,
        booking.id,
        current=BookingStatus.EXPIRED,
        target=BookingStatus.CANCELLED,
        now=utcnow(),
        payment_id=payment_id,
        cancel_reason=domain.REASON_PAID_AFTER_EXPIRY,
    )
    if not moved:
        return
    await outbox.add(
        session,
        messages.cancelled_message(
            booking,
            reason=domain.REASON_PAID_AFTER_EXPIRY,
            was_confirmed=False,
            payment_id=payment_id,
            with_seats=release_hold_id is not None,
            hold_id=release_hold_id,
        ),
    )


async def _announce_paid_after_cancel(
    session: AsyncSession, booking: BookingRow, payment_id: uuid.UUID
) -> None:
    """A payment for a booking that is already cancelled (or refunded): tell payment to refund
    it. No seats are listed: they were released with the cancellation."""
    await repo.set_payment_if_unset(session, booking.id, payment_id=payment_id, now=utcnow())
    await outbox.add(
        session,
        messages.cancelled_message(
            booking,
            reason=domain.REASON_PAID_AFTER_CANCEL,
            was_confirmed=False,
            payment_id=payment_id,
            with_seats=False,
        ),
    )
    log.info("paid_after_cancel", booking_id=str(booking.id), status=booking.status)


def _issue_ticket(booking: BookingRow, seat: SeatRow, signer: TicketSigner) -> TicketRow:
    ticket_id = uuid.uuid4()
    code = signer.sign(
        TicketClaims(
            ticket_id=ticket_id,
            booking_id=booking.id,
            event_id=booking.event_id,
            seat_id=seat.seat_id,
        )
    )
    return TicketRow(
        id=ticket_id,
        position=seat.position,
        seat_id=seat.seat_id,
        tier=seat.tier,
        price=seat.price,
        code=code,
    )


async def cancel_unpaid_booking(session: AsyncSession, *, failure: PaymentFailedV1) -> None:
    """A final payment failure cancels the pending booking; a retryable one leaves it waiting."""
    if not domain.payment_failure_cancels(retryable=failure.retryable):
        return
    booking = await repo.lock_booking(session, failure.booking_id)
    if booking is None or booking.status != BookingStatus.PENDING_PAYMENT:
        return
    await cancel_locked(session, booking, reason=domain.payment_failed_reason(failure.reason))


async def settle_refund(session: AsyncSession, *, refund: PaymentRefundedV1) -> None:
    """The money for a booking went back: the booking becomes ``refunded``. One that still held
    seats (an admin refund of a confirmed booking) also announces them free."""
    booking = await repo.lock_booking(session, refund.booking_id)
    if booking is None:
        log.warning("refund_for_unknown_booking", booking_id=str(refund.booking_id))
        return
    current = BookingStatus(booking.status)
    outcome = domain.refund_outcome(
        current, booking_payment_id=booking.payment_id, payment_id=refund.payment_id
    )
    if outcome is RefundOutcome.DUPLICATE:
        return
    if outcome is RefundOutcome.FOREIGN:
        # e.g. the refund of a late second payment: the booking stands on its own payment.
        log.warning(
            "refund_of_another_payment",
            booking_id=str(booking.id),
            payment_id=str(refund.payment_id),
            kept_payment_id=str(booking.payment_id),
        )
        return
    moved = await repo.transition(
        session,
        booking.id,
        current=current,
        target=BookingStatus.REFUNDED,
        now=utcnow(),
        payment_id=refund.payment_id,
        cancel_reason=(
            domain.REASON_PAYMENT_REFUNDED if outcome is RefundOutcome.RELEASE else None
        ),
    )
    if moved and outcome is RefundOutcome.RELEASE:
        await outbox.add(
            session,
            messages.cancelled_message(
                booking,
                reason=domain.REASON_PAYMENT_REFUNDED,
                was_confirmed=current is BookingStatus.CONFIRMED,
                payment_id=refund.payment_id,
            ),
        )
