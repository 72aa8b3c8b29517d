"""Use cases of the payment service; messages leave only through the outbox.

Charging a booking spans three short transactions, because the processor call must not
happen before the charge is claimed, and should not be made while holding row locks:

1. claim: lock the booking copy, check it is payable, insert a ``processing`` payment. The
   unique partial index (one processing/succeeded/refunded payment per booking) makes a
   second concurrent claim impossible; the loser answers 409.
2. charge the card (no transaction open).
3. record the outcome (guarded ``UPDATE ... WHERE status = 'processing'``) and its message,
   and the Idempotency-Key answer, in one transaction.

A process that dies between 1 and 3 leaves a ``processing`` row: :func:`fail_stale_payments`
fails it (retryable) after ``PROCESSING_TIMEOUT_SECONDS`` so the booking becomes payable again.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

import httpx2
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import domain, repository
from payment_service.clients import fetch_booking
from payment_service.domain import BookingStatus, FailureReason, PaymentStatus
from payment_service.orm import BookingCopy, Payment, Refund
from payment_service.processor import Card, ChargeResult, PaymentProcessor
from payment_service.schemas import PaymentCreate, PaymentRead
from payment_service.settings import Settings
from shared import idempotency
from shared.contracts.payment import PaymentFailedV1, PaymentRefundedV1, PaymentSucceededV1
from shared.db import utcnow
from shared.errors import InvalidState, NotFound, UpstreamUnavailable
from shared.idempotency import StoredResponse
from shared.logging import get_logger
from shared.messaging import outbox
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal

log = get_logger("payment.service")


class BookingNotPayable(InvalidState):
    message = "This booking cannot be paid now."


class PaymentNotRefundable(InvalidState):
    message = "Only a succeeded payment can be refunded."


async def pay_for_booking(
    session: AsyncSession,
    *,
    http: httpx2.AsyncClient,
    settings: Settings,
    processor: PaymentProcessor,
    user: Principal,
    request: PaymentCreate,
    idempotency_key: str | None,
) -> StoredResponse:
    """Charge the caller's pending booking, at most once (POST /api/payments)."""
    if idempotency_key is None:
        return await _pay(
            session, http=http, settings=settings, processor=processor, user=user, request=request
        )
    request_hash = idempotency.fingerprint(
        request.model_dump(mode="json"), secret=settings.IDEMPOTENCY_HASH_KEY.get_secret_value()
    )
    stored = await idempotency.claim(
        session,
        user_id=user.id,
        key=idempotency_key,
        request_hash=request_hash,
        stale_after=timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS),
    )
    if stored is not None:
        return stored
    try:
        return await _pay(
            session,
            http=http,
            settings=settings,
            processor=processor,
            user=user,
            request=request,
            idempotency_key=idempotency_key,
        )
    except Exception:
        with contextlib.suppress(Exception):
            await idempotency.release(session, user_id=user.id, key=idempotency_key)
        raise


async def _pay(
    session: AsyncSession,
    *,
    http: httpx2.AsyncClient,
    settings: Settings,
    processor: PaymentProcessor,
    user: Principal,
    request: PaymentCreate,
    idempotency_key: str | None = None,
) -> StoredResponse:
    booking = await _booking_copy(
        session, http=http, settings=settings, booking_id=request.booking_id
    )
    if booking is None or booking.user_id != user.id:
        raise NotFound("No such booking.")
    payment = await _claim_charge(
        session, booking_id=booking.booking_id, user=user, card_number=request.card_number
    )
    card = Card(request.card_number, request.exp_month, request.exp_year, request.cvc)
    try:
        result = await processor.charge(
            payment.amount, payment.currency, card, idempotency_key=str(payment.id)
        )
    except Exception:
        log.exception("processor_charge_failed", payment_id=str(payment.id))
        result = ChargeResult(False, failure_reason=FailureReason.PROCESSING_ERROR, retryable=True)

    async with session.begin():
        # The copy's lock orders us against booking.cancelled for the same booking.
        copy = await repository.lock_booking_copy(session, booking.booking_id)
        recorded = await repository.set_payment_outcome(
            session,
            payment_id=payment.id,
            status=PaymentStatus.SUCCEEDED if result.succeeded else PaymentStatus.FAILED,
            failure_reason=None if result.succeeded else result.failure_reason,
            retryable=result.retryable,
            processor_ref=result.reference,
        )
        if recorded is None:
            # The sweeper gave up on this attempt meanwhile: give the money back, if any.
            if result.succeeded and result.reference:
                await processor.refund(
                    result.reference, payment.amount, idempotency_key=str(payment.id)
                )
            raise InvalidState("The payment attempt timed out and was not charged; try again.")
        if result.succeeded:
            await outbox.add(
                session,
                PaymentSucceededV1(
                    payment_id=recorded.id,
                    booking_id=recorded.booking_id,
                    user_id=recorded.user_id,
                    amount=recorded.amount,
                    currency=recorded.currency,
                    card_last4=recorded.card_last4,
                ),
                producer=settings.SERVICE_NAME,
            )
            if copy is not None and copy.status == BookingStatus.CANCELLED:
                # Cancelled while we were charging: the money goes straight back.
                await _refund(
                    session,
                    processor=processor,
                    settings=settings,
                    payment=recorded,
                    reason="booking_cancelled",
                )
        else:
            if not recorded.retryable and copy is not None:
                # booking cancels a booking whose payment failed for good (DESIGN's saga); our
                # copy follows now, so a second card is refused at once instead of charged and
                # then refunded when booking's cancellation arrives
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
                producer=settings.SERVICE_NAME,
            )
        log.info(
            "payment_recorded",
            payment_id=str(recorded.id),
            booking_id=str(recorded.booking_id),
            status=recorded.status,
            card=f"•••• {recorded.card_last4}",
        )
        response = StoredResponse(201, PaymentRead.model_validate(recorded).model_dump(mode="json"))
        if idempotency_key is not None:
            await idempotency.complete(
                session, user_id=user.id, key=idempotency_key, response=response
            )
    return response


async def _booking_copy(
    session: AsyncSession, *, http: httpx2.AsyncClient, settings: Settings, booking_id: uuid.UUID
) -> BookingCopy | None:
    """Our copy of the booking; fetched from booking (and kept) when its message is not here yet."""
    async with session.begin():
        copy = await repository.get_booking_copy(session, booking_id)
    if copy is not None:
        return copy
    snapshot = await fetch_booking(http, settings, booking_id)
    if snapshot is None:
        return None
    if snapshot.status not in (BookingStatus.PENDING_PAYMENT, BookingStatus.CANCELLED):
        # Confirmed, expired, …: not payable, and not a state our copy tracks.
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
        return await repository.get_booking_copy(session, booking_id)


async def _claim_charge(
    session: AsyncSession, *, booking_id: uuid.UUID, user: Principal, card_number: str
) -> Payment:
    """Insert the ``processing`` payment that reserves the right to charge this booking."""
    try:
        async with session.begin():
            copy = await repository.lock_booking_copy(session, booking_id)
            if copy is None:
                raise NotFound("No such booking.")
            live = await repository.get_live_payment(session, booking_id)
            if not domain.payable(booking_status=copy.status, has_live_payment=live is not None):
                details = {"booking_status": copy.status}
                if live is not None:
                    details["payment_status"] = live.status
                raise BookingNotPayable(
                    "This booking is already paid or being paid."
                    if live is not None
                    else "This booking is not waiting for payment.",
                    details=details,
                )
            assert copy.amount is not None and copy.currency is not None
            now = utcnow()
            payment = Payment(
                id=uuid.uuid4(),
                booking_id=booking_id,
                user_id=user.id,
                amount=copy.amount,
                currency=copy.currency,
                status=PaymentStatus.PROCESSING,
                retryable=False,
                card_last4=domain.last_four(card_number),
                card_brand=domain.card_brand(card_number),
                created_at=now,
                updated_at=now,
            )
            session.add(payment)
            await session.flush()
    except IntegrityError as exc:  # a concurrent claim won the unique partial index
        raise BookingNotPayable("This booking is already paid or being paid.") from exc
    return payment


async def _refund(
    session: AsyncSession,
    *,
    processor: PaymentProcessor,
    settings: Settings,
    payment: Payment,
    reason: str,
) -> Refund:
    """Refund a locked, succeeded payment, in the caller's transaction.

    The payment id is the refund's idempotency key at the processor: if this transaction does
    not commit (crash, redelivered message), the next attempt gets the same refund back
    instead of a second one.
    """
    result = await processor.refund(
        payment.processor_ref or "", payment.amount, idempotency_key=str(payment.id)
    )
    if not result.succeeded:
        raise UpstreamUnavailable("The card processor refused the refund; try again.")
    now = utcnow()
    refund = Refund(
        id=uuid.uuid4(),
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        reason=reason,
        processor_ref=result.reference,
        created_at=now,
    )
    session.add(refund)
    payment.status = PaymentStatus.REFUNDED
    payment.updated_at = now
    await session.flush()
    await outbox.add(
        session,
        PaymentRefundedV1(
            refund_id=refund.id,
            payment_id=payment.id,
            booking_id=payment.booking_id,
            user_id=payment.user_id,
            amount=refund.amount,
            currency=refund.currency,
        ),
        producer=settings.SERVICE_NAME,
    )
    log.info("payment_refunded", payment_id=str(payment.id), reason=reason)
    return refund


async def refund_payment(
    session: AsyncSession,
    *,
    processor: PaymentProcessor,
    settings: Settings,
    payment_id: uuid.UUID,
    reason: str,
) -> Refund:
    """Give a succeeded payment's money back (admin)."""
    async with session.begin():
        payment = await repository.lock_payment(session, payment_id)
        if payment is None:
            raise NotFound("No such payment.")
        if not domain.refundable(payment.status):
            raise PaymentNotRefundable(details={"status": payment.status})
        return await _refund(
            session, processor=processor, settings=settings, payment=payment, reason=reason
        )


async def get_payment(session: AsyncSession, *, user: Principal, payment_id: uuid.UUID) -> Payment:
    """One payment, for its payer or an admin (404 for anyone else)."""
    async with session.begin():
        payment = await repository.get_payment(session, payment_id)
    if payment is None or (not user.is_admin and payment.user_id != user.id):
        raise NotFound("No such payment.")
    return payment


async def list_payments(
    session: AsyncSession, *, user: Principal, booking_id: uuid.UUID | None, page: PageParams
) -> Page[PaymentRead]:
    """The caller's payments, newest first; admins see everyone's."""
    stmt = repository.list_payments(
        user_id=None if user.is_admin else user.id, booking_id=booking_id
    )
    async with session.begin():
        rows, total = await paginate(session, stmt, page)
    items = [PaymentRead.model_validate(row) for row in rows]
    return Page(items=items, page=page.page, page_size=page.page_size, total=total)


async def record_booking_cancelled(
    session: AsyncSession,
    *,
    processor: PaymentProcessor,
    settings: Settings,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    reason: str,
) -> Refund | None:
    """booking.cancelled: the copy stops being payable; a succeeded payment is refunded.

    Runs in the consumer's transaction; a repeat finds nothing left to do.
    """
    await repository.cancel_booking_copy(
        session, booking_id=booking_id, user_id=user_id, event_id=event_id
    )
    payment = await repository.lock_succeeded_payment(session, booking_id)
    if payment is None:
        return None
    return await _refund(
        session,
        processor=processor,
        settings=settings,
        payment=payment,
        reason=f"booking_cancelled: {reason}",
    )


async def fail_stale_payments(session: AsyncSession, *, settings: Settings) -> int:
    """Fail (retryable) payments stuck in ``processing`` after a crash mid-charge."""
    older_than = utcnow() - timedelta(seconds=settings.PROCESSING_TIMEOUT_SECONDS)
    async with session.begin():
        stale = await repository.lock_stale_processing(session, older_than=older_than)
        for payment in stale:
            payment.status = PaymentStatus.FAILED
            payment.failure_reason = FailureReason.PROCESSING_INTERRUPTED
            payment.retryable = True
            payment.updated_at = utcnow()
            await outbox.add(
                session,
                PaymentFailedV1(
                    payment_id=payment.id,
                    booking_id=payment.booking_id,
                    user_id=payment.user_id,
                    reason=FailureReason.PROCESSING_INTERRUPTED,
                    retryable=True,
                ),
                producer=settings.SERVICE_NAME,
            )
            log.warning("payment_processing_interrupted", payment_id=str(payment.id))
    return len(stale)


async def purge_idempotency_keys(session: AsyncSession, *, settings: Settings) -> int:
    """Forget Idempotency-Keys past their keeping time."""
    async with session.begin():
        return await idempotency.purge(
            session, older_than=timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
        )
