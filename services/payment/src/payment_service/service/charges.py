"""Charging a booking (POST /api/payments): claim → charge → record.

1. claim: lock the booking copy, check it is the caller's and payable, insert a ``processing``
   payment, in one transaction. The unique partial index (one processing/succeeded/refunded
   payment per booking) makes a second concurrent claim fail; the loser answers 409.
2. charge the card, with no transaction open and no row locked.
3. record the outcome (guarded ``UPDATE ... WHERE status = 'processing'``), its message and the
   Idempotency-Key answer in one transaction. A booking cancelled meanwhile gets a pending
   refund in that same transaction, settled right after it commits.

When the processor did not answer (:class:`ProcessorUnavailable`: a card-network timeout) the
attempt is recorded as a retryable ``processing_error``. Anything else it raises is a bug, ours
or the adapter's, not a card problem: it is logged as an error, the payment stays
``processing`` and the buyer gets 503 — and the stale sweep (``sweeps.fail_stale_payments``)
closes the attempt as it closes one a crash interrupted, since nobody knows if money moved.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import domain, repository
from payment_service.clients import BookingClient
from payment_service.domain import (
    BookingNotFound,
    BookingNotPayable,
    BookingStatus,
    ChargeOutcomeUnknown,
    ChargeTimedOut,
    FailureReason,
    PaymentStatus,
    ProcessorUnavailable,
)
from payment_service.orm import BookingCopy, Payment, Refund
from payment_service.processor import Card, ChargeResult, PaymentProcessor
from payment_service.schemas import PaymentCreate, PaymentRead
from payment_service.service.refunds import lease_of, open_refund, settle_quietly
from shared import idempotency
from shared.contracts.payment import PaymentFailedV1, PaymentSucceededV1
from shared.db import utcnow
from shared.idempotency import KeyClaim, StoredResponse
from shared.logging import get_logger
from shared.messaging import outbox
from shared.security import Principal

if TYPE_CHECKING:
    from payment_service.context import Context

log = get_logger(__name__)

# A booking.created not here yet: booking is asked; these of its states may still be copied.
_COPYABLE = (BookingStatus.PENDING_PAYMENT, BookingStatus.CANCELLED)


async def pay_for_booking(
    session: AsyncSession,
    *,
    ctx: Context,
    user: Principal,
    request: PaymentCreate,
    idempotency_key: str | None,
) -> StoredResponse:
    """Charge the caller's pending booking, at most once per Idempotency-Key."""

    async def run(key: KeyClaim) -> StoredResponse:
        payment = await _claim(session, bookings=ctx.bookings, user=user, request=request)
        result = await _charge(ctx.processor, payment=payment, request=request)
        return await _record(session, ctx=ctx, payment=payment, result=result, key=key)

    return await idempotency.run_once(
        session,
        user_id=user.id,
        key=idempotency_key,
        # the body holds the card number: its fingerprint is a keyed hash
        body=request.model_dump(mode="json"),
        secret=ctx.settings.IDEMPOTENCY_HASH_KEY.get_secret_value(),
        settings=ctx.settings,
        run=run,
    )


# --- 1. claim ---------------------------------------------------------------------------------


async def _claim(
    session: AsyncSession, *, bookings: BookingClient, user: Principal, request: PaymentCreate
) -> Payment:
    """Insert the ``processing`` payment that reserves the right to charge the booking."""
    await _copy_booking_if_missing(
        session, bookings=bookings, booking_id=request.booking_id, user_id=user.id
    )
    try:
        async with session.begin():
            copy = await repository.lock_booking_copy(session, request.booking_id)
            if copy is None or copy.user_id != user.id:
                raise BookingNotFound()
            live = await repository.get_live_payment(session, copy.booking_id)
            payment = _processing_payment(copy, live=live, card=request.card_number)
            session.add(payment)
            await session.flush()
    except IntegrityError as exc:  # a concurrent claim won the unique partial index
        raise BookingNotPayable("This booking is already paid or being paid.") from exc
    return payment


async def _copy_booking_if_missing(
    session: AsyncSession, *, bookings: BookingClient, booking_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Keep a copy of the booking from booking itself when its booking.created is not here yet."""
    async with session.begin():
        if await repository.get_booking_copy(session, booking_id) is not None:
            return
    snapshot = await bookings.get_booking(booking_id)
    if snapshot is None or snapshot.user_id != user_id:
        raise BookingNotFound()
    if snapshot.status not in _COPYABLE:
        # Confirmed, expired, …: not payable (an expired copy only comes from booking.expired,
        # which also lets a charge already in flight land).
        raise BookingNotPayable(details={"booking_status": snapshot.status})
    async with session.begin():
        await repository.add_booking_copy(
            session,
            booking_id=snapshot.id,
            user_id=snapshot.user_id,
            event_id=snapshot.event_id,
            amount=snapshot.amount,
            currency=snapshot.currency,
            status=snapshot.status,
            expires_at=snapshot.expires_at,
        )


def _processing_payment(copy: BookingCopy, *, live: Payment | None, card: str) -> Payment:
    """The claim's new payment; 409 when the copy may not be charged now."""
    if live is not None:
        raise BookingNotPayable(
            "This booking is already paid or being paid.",
            details={"booking_status": copy.status, "payment_status": live.status},
        )
    payable = domain.payable(booking_status=copy.status, has_live_payment=False)
    # a copy without a price is a tombstone whose booking.created has not arrived
    if not payable or copy.amount is None or copy.currency is None:
        raise BookingNotPayable(
            "This booking is not waiting for payment.", details={"booking_status": copy.status}
        )
    now = utcnow()
    return Payment(
        id=uuid.uuid4(),
        booking_id=copy.booking_id,
        user_id=copy.user_id,
        amount=copy.amount,
        currency=copy.currency,
        status=PaymentStatus.PROCESSING,
        retryable=False,
        card_last4=domain.last_four(card),
        card_brand=domain.card_brand(card),
        created_at=now,
        updated_at=now,
    )


# --- 2. charge --------------------------------------------------------------------------------


async def _charge(
    processor: PaymentProcessor, *, payment: Payment, request: PaymentCreate
) -> ChargeResult:
    """Ask the processor, under the payment's id, with no transaction open."""
    card = Card(request.card_number, request.exp_month, request.exp_year, request.cvc)
    try:
        return await processor.charge(
            payment.amount, payment.currency, card, idempotency_key=str(payment.id)
        )
    except ProcessorUnavailable as exc:
        log.warning("processor_unavailable", payment_id=str(payment.id), error=type(exc).__name__)
        return ChargeResult(False, failure_reason=FailureReason.PROCESSING_ERROR, retryable=True)
    except Exception as exc:
        # Not a card problem: telling booking "retryable failure" would hide the bug. The
        # payment stays `processing` for the stale sweep, as after a crash mid-charge.
        log.exception("processor_charge_crashed", payment_id=str(payment.id))
        raise ChargeOutcomeUnknown(
            details={"payment_id": str(payment.id), "status": PaymentStatus.PROCESSING.value}
        ) from exc


# --- 3. record --------------------------------------------------------------------------------


async def _record(
    session: AsyncSession, *, ctx: Context, payment: Payment, result: ChargeResult, key: KeyClaim
) -> StoredResponse:
    """Record the outcome and answer; a charge that cannot stand goes back right after."""
    async with session.begin():
        recorded, refund = await _record_outcome(session, ctx=ctx, payment=payment, result=result)
        if recorded is not None and refund is None:
            return await _answer(session, recorded, key)
    if refund is not None:  # asked of the processor only now: the transaction is over
        await settle_quietly(session, ctx=ctx, refund=refund)
    if recorded is None:
        raise ChargeTimedOut()
    async with session.begin():  # refunded just now: answer what it has become
        await session.refresh(recorded)
        return await _answer(session, recorded, key)


async def _record_outcome(
    session: AsyncSession, *, ctx: Context, payment: Payment, result: ChargeResult
) -> tuple[Payment | None, Refund | None]:
    """The recorded payment (None: the stale sweep failed it meanwhile) and the refund the
    charge needs, if any, opened in this transaction."""
    # The copy's lock orders us against booking.cancelled / .expired for the same booking.
    copy = await repository.lock_booking_copy(session, payment.booking_id)
    recorded = await repository.set_payment_outcome(
        session,
        payment_id=payment.id,
        status=PaymentStatus.SUCCEEDED if result.succeeded else PaymentStatus.FAILED,
        failure_reason=None if result.succeeded else result.failure_reason,
        retryable=result.retryable,
        processor_ref=result.reference,
    )
    if recorded is None:
        return None, await _reverse_late_charge(session, ctx=ctx, payment=payment, result=result)
    if not result.succeeded:
        await _record_failure(session, recorded, copy)
        return recorded, None
    await outbox.add(session, _succeeded(recorded))
    _log_recorded(recorded)
    if copy is not None and copy.status == BookingStatus.CANCELLED:
        # Cancelled while we were charging: the money goes straight back. (An expiry does
        # not: booking's late-payment rule decides what the money buys.)
        return recorded, await open_refund(
            session,
            payment=recorded,
            reason="booking_cancelled",
            actor_id=None,
            leased_for=lease_of(ctx.settings),
        )
    return recorded, None


async def _reverse_late_charge(
    session: AsyncSession, *, ctx: Context, payment: Payment, result: ChargeResult
) -> Refund | None:
    """The stale sweep gave up on this attempt meanwhile: a charge that went through anyway
    is reversed (recorded first, like every refund), without a message — booking only ever
    heard that the attempt failed."""
    if not (result.succeeded and result.reference):
        return None
    failed = await repository.lock_known_payment(session, payment.id)
    failed.processor_ref = result.reference
    return await open_refund(
        session,
        payment=failed,
        reason="charge_after_timeout",
        actor_id=None,
        leased_for=lease_of(ctx.settings),
    )


async def _record_failure(
    session: AsyncSession, recorded: Payment, copy: BookingCopy | None
) -> None:
    if not recorded.retryable and copy is not None:
        # booking cancels a booking whose payment failed for good (DESIGN's saga); our copy
        # follows now, so a second card is refused at once instead of charged and then
        # refunded when booking's cancellation arrives
        copy.status = BookingStatus.CANCELLED
    await outbox.add(
        session,
        PaymentFailedV1(
            payment_id=recorded.id,
            booking_id=recorded.booking_id,
            user_id=recorded.user_id,
            reason=recorded.failure_reason or FailureReason.PROCESSING_ERROR,
            retryable=recorded.retryable,
        ),
    )
    _log_recorded(recorded)


async def _answer(session: AsyncSession, payment: Payment, key: KeyClaim) -> StoredResponse:
    """The 201 for this payment, kept for replays of its Idempotency-Key."""
    response = StoredResponse(201, PaymentRead.model_validate(payment).model_dump(mode="json"))
    await key.record(session, response)
    return response


def _succeeded(payment: Payment) -> PaymentSucceededV1:
    return PaymentSucceededV1(
        payment_id=payment.id,
        booking_id=payment.booking_id,
        user_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        card_last4=payment.card_last4,
    )


def _log_recorded(payment: Payment) -> None:
    log.info(
        "payment_recorded",
        payment_id=str(payment.id),
        booking_id=str(payment.booking_id),
        status=payment.status,
        card=f"•••• {payment.card_last4}",
    )
