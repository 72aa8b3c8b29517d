"""Charging a booking (POST /api/payments): claim → charge → record.

1. claim: one statement, atomic on its own — lock the booking copy, check it is the caller's
   and payable, insert a ``processing`` payment. The unique partial index (one
   processing/succeeded/refunded payment per booking) makes a second concurrent claim fail;
   the loser answers 409. No copy yet (the buyer paid before ``booking.created`` arrived): wait
   a moment for our consumer to store it, and only then ask booking over HTTP.
2. charge the card, with no transaction open and no row locked.
3. record the outcome (lock the copy, then a guarded ``UPDATE ... WHERE status =
   'processing'``: one statement), its message and the Idempotency-Key answer in one
   transaction. A booking cancelled meanwhile gets a pending refund in that same transaction,
   settled right after it commits.

When the processor did not answer (:class:`ProcessorUnavailable`: a card-network timeout) the
attempt is recorded as a retryable ``processing_error``. Anything else it raises is a bug, ours
or the adapter's, not a card problem: it is logged as an error, the payment stays
``processing`` and the buyer gets 503 — and the stale sweep (``sweeps.fail_stale_payments``)
closes the attempt as it closes one a crash interrupted, since nobody knows if money moved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import domain, metrics, repository
from payment_service.clients import BookingClient
from payment_service.copies import FLOWING_WITHIN
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
from payment_service.orm import Payment, Refund
from payment_service.processor import Card, ChargeResult, PaymentProcessor
from payment_service.repository import ChargeRow
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


@dataclass(frozen=True, slots=True)
class _Claimed:
    """The ``processing`` payment a claim inserted: the right to charge the booking."""

    id: uuid.UUID
    booking_id: uuid.UUID
    amount: int
    currency: str


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
        payment = await _claim(session, ctx=ctx, user=user, request=request)
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
    session: AsyncSession, *, ctx: Context, user: Principal, request: PaymentCreate
) -> _Claimed:
    """Insert the ``processing`` payment that reserves the right to charge the booking."""
    claimed = await _claim_when_copied(ctx=ctx, user=user, request=request)
    if claimed is None:  # no copy came: ask booking itself and keep its answer as the copy
        await _copy_from_booking(
            session, bookings=ctx.bookings, booking_id=request.booking_id, user=user
        )
        claimed = await _claim_once(ctx, user=user, request=request)
        if claimed is None:  # cannot happen: the copy was just stored
            raise BookingNotFound()
    return claimed


async def _claim_once(ctx: Context, *, user: Principal, request: PaymentCreate) -> _Claimed | None:
    """One statement: None when there is no copy of the booking (yet); 404/409 when it may not
    be charged now."""
    try:
        claim = await repository.claim_payment(
            ctx.single,
            payment_id=uuid.uuid4(),
            booking_id=request.booking_id,
            user_id=user.id,
            card_last4=domain.last_four(request.card_number),
            card_brand=domain.card_brand(request.card_number),
            now=utcnow(),
        )
    except IntegrityError as exc:  # a concurrent claim won the unique partial index
        raise BookingNotPayable("This booking is already paid or being paid.") from exc
    if claim is None:
        return None
    if claim.user_id != user.id:
        raise BookingNotFound()
    if claim.payment_id is None or claim.amount is None or claim.currency is None:
        raise _not_payable(claim)
    return _Claimed(claim.payment_id, request.booking_id, claim.amount, claim.currency)


def _not_payable(claim: repository.Claim) -> BookingNotPayable:
    if claim.live_status is not None:
        return BookingNotPayable(
            "This booking is already paid or being paid.",
            details={"booking_status": claim.booking_status, "payment_status": claim.live_status},
        )
    # not pending, or a tombstone whose booking.created has not arrived (no price)
    return BookingNotPayable(
        "This booking is not waiting for payment.",
        details={"booking_status": claim.booking_status},
    )


async def _claim_when_copied(
    *, ctx: Context, user: Principal, request: PaymentCreate
) -> _Claimed | None:
    """Claim now if our copy of the booking is here (usually: booking.created came first);
    otherwise once it is (``ctx.copies`` rings), waiting ``BOOKING_COPY_WAIT_SECONDS`` — or,
    while copies of other bookings keep arriving, ``BOOKING_COPY_BACKLOG_WAIT_SECONDS``
    (``copies.py`` says why). None: no copy came."""
    claimed: _Claimed | None = None

    async def claimed_now() -> bool:
        nonlocal claimed
        claimed = await _claim_once(ctx, user=user, request=request)
        return claimed is not None

    if await ctx.copies.wait(request.booking_id, _patience(ctx), claimed_now):
        await claimed_now()  # rung, found by the recheck, or the time is up: the last look
    return claimed


def _patience(ctx: Context) -> float:
    """Decided when the wait starts: copies that stop coming during a stretched wait (RabbitMQ
    stopped mid-on-sale) cost the payments then waiting ``BOOKING_COPY_BACKLOG_WAIT_SECONDS``."""
    settings = ctx.settings
    if ctx.copies.rung_within(FLOWING_WITHIN):
        return max(settings.BOOKING_COPY_WAIT_SECONDS, settings.BOOKING_COPY_BACKLOG_WAIT_SECONDS)
    return settings.BOOKING_COPY_WAIT_SECONDS


async def _copy_from_booking(
    session: AsyncSession, *, bookings: BookingClient, booking_id: uuid.UUID, user: Principal
) -> None:
    """Keep a copy of the booking from booking itself (booking.created is late)."""
    snapshot = await bookings.get_booking(booking_id)
    if snapshot is None or snapshot.user_id != user.id:
        raise BookingNotFound()
    if snapshot.status not in _COPYABLE:
        # Confirmed, expired, …: not payable (an expired copy only comes from booking.expired,
        # which also lets a charge already in flight land).
        raise BookingNotPayable(details={"booking_status": snapshot.status})
    log.info("booking_copy_fetched", booking_id=str(booking_id))
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
            now=utcnow(),
        )


# --- 2. charge --------------------------------------------------------------------------------


async def _charge(
    processor: PaymentProcessor, *, payment: _Claimed, request: PaymentCreate
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
    session: AsyncSession, *, ctx: Context, payment: _Claimed, result: ChargeResult, key: KeyClaim
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
        return await _answer(session, await repository.get_known_payment(session, payment.id), key)


async def _record_outcome(
    session: AsyncSession, *, ctx: Context, payment: _Claimed, result: ChargeResult
) -> tuple[ChargeRow | None, Refund | None]:
    """The recorded payment (None: the stale sweep failed it meanwhile) and the refund the
    charge needs, if any, opened in this transaction."""
    # The copy's lock (taken first) orders us against booking.cancelled / .expired.
    recorded = await repository.record_charge(
        session,
        payment_id=payment.id,
        booking_id=payment.booking_id,
        status=PaymentStatus.SUCCEEDED if result.succeeded else PaymentStatus.FAILED,
        failure_reason=None if result.succeeded else result.failure_reason,
        retryable=result.retryable,
        processor_ref=result.reference,
        now=utcnow(),
    )
    if recorded is None:
        return None, await _reverse_late_charge(session, ctx=ctx, payment=payment, result=result)
    if not result.succeeded:
        await _record_failure(session, recorded)
        return recorded, None
    await outbox.add(session, _succeeded(recorded))
    metrics.count_charged(session, amount=recorded.amount, currency=recorded.currency)
    _log_recorded(recorded)
    if recorded.copy_status == BookingStatus.CANCELLED:
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
    session: AsyncSession, *, ctx: Context, payment: _Claimed, result: ChargeResult
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


async def _record_failure(session: AsyncSession, recorded: ChargeRow) -> None:
    if not recorded.retryable:
        # booking cancels a booking whose payment failed for good (DESIGN's saga); our copy
        # (locked) follows now, so a second card is refused at once instead of charged and
        # then refunded when booking's cancellation arrives
        await repository.close_booking_copy(session, recorded.booking_id, now=utcnow())
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
    metrics.count_failed(session)
    _log_recorded(recorded)


async def _answer(
    session: AsyncSession, payment: ChargeRow | Payment, key: KeyClaim
) -> StoredResponse:
    """The 201 for this payment, kept for replays of its Idempotency-Key."""
    response = StoredResponse(201, PaymentRead.model_validate(payment).model_dump(mode="json"))
    await key.record(session, response)
    return response


def _succeeded(payment: ChargeRow) -> PaymentSucceededV1:
    return PaymentSucceededV1(
        payment_id=payment.id,
        booking_id=payment.booking_id,
        user_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        card_last4=payment.card_last4,
    )


def _log_recorded(payment: ChargeRow) -> None:
    log.info(
        "payment_recorded",
        payment_id=str(payment.id),
        booking_id=str(payment.booking_id),
        status=payment.status,
        card=f"•••• {payment.card_last4}",
    )
