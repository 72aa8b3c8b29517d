"""Charging a booking: three short transactions, no row lock held while the processor is asked.

1. claim: lock the booking copy, check it is payable, insert a ``processing`` payment. The
   unique partial index (one processing/succeeded/refunded payment per booking) makes a
   second concurrent claim impossible; the loser answers 409.
2. charge the card (no transaction open).
3. record the outcome (guarded ``UPDATE ... WHERE status = 'processing'``) and its message,
   and the Idempotency-Key answer, in one transaction. A booking cancelled meanwhile gets a
   pending refund in that same transaction, settled right after it commits.

A process that dies between 1 and 3 leaves a ``processing`` row: ``fail_stale_payments``
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
from payment_service.service.refunds import open_refund, settle_quietly
from payment_service.settings import Settings
from shared import idempotency
from shared.contracts.payment import PaymentFailedV1, PaymentSucceededV1
from shared.db import utcnow
from shared.errors import InvalidState, NotFound
from shared.idempotency import StoredResponse
from shared.logging import get_logger
from shared.messaging import outbox
from shared.security import Principal

log = get_logger("payment.service")


class BookingNotPayable(InvalidState):
    message = "This booking cannot be paid now."


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
    attempt = _Attempt(session, http=http, settings=settings, processor=processor, user=user)
    if idempotency_key is None:
        return await attempt.pay(request, idempotency_key=None)
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
        return await attempt.pay(request, idempotency_key=idempotency_key)
    except Exception:
        with contextlib.suppress(Exception):
            await idempotency.release(session, user_id=user.id, key=idempotency_key)
        raise


class _Attempt:
    """One POST /api/payments: what every step of it needs."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        http: httpx2.AsyncClient,
        settings: Settings,
        processor: PaymentProcessor,
        user: Principal,
    ) -> None:
        self.session, self.http, self.settings = session, http, settings
        self.processor, self.user = processor, user

    async def pay(self, request: PaymentCreate, *, idempotency_key: str | None) -> StoredResponse:
        booking = await _booking_copy(
            self.session, http=self.http, settings=self.settings, booking_id=request.booking_id
        )
        if booking is None or booking.user_id != self.user.id:
            raise NotFound("No such booking.")
        payment = await _claim_charge(
            self.session, booking_id=booking.booking_id, user=self.user, card=request.card_number
        )
        card = Card(request.card_number, request.exp_month, request.exp_year, request.cvc)
        try:
            result = await self.processor.charge(
                payment.amount, payment.currency, card, idempotency_key=str(payment.id)
            )
        except Exception:
            log.exception("processor_charge_failed", payment_id=str(payment.id))
            result = ChargeResult(
                False, failure_reason=FailureReason.PROCESSING_ERROR, retryable=True
            )
        return await self.record(payment, result, idempotency_key=idempotency_key)

    async def record(
        self, payment: Payment, result: ChargeResult, *, idempotency_key: str | None
    ) -> StoredResponse:
        """Step 3, and the money back straight after it when the charge cannot stand."""
        async with self.session.begin():
            recorded, refund = await self._record_outcome(payment, result)
            response = None
            if recorded is not None and refund is None:
                response = await self._answer(recorded, idempotency_key)
        if refund is not None:
            await settle_quietly(
                self.session, processor=self.processor, settings=self.settings, refund=refund
            )
        if recorded is None:
            raise InvalidState("The payment attempt timed out and was not charged; try again.")
        if response is None:  # refunded just now: answer what it has become
            async with self.session.begin():
                current = await repository.get_payment(self.session, recorded.id)
                assert current is not None
                response = await self._answer(current, idempotency_key)
        return response

    async def _record_outcome(
        self, payment: Payment, result: ChargeResult
    ) -> tuple[Payment | None, Refund | None]:
        # The copy's lock orders us against booking.cancelled / .expired for the same booking.
        copy = await repository.lock_booking_copy(self.session, payment.booking_id)
        recorded = await repository.set_payment_outcome(
            self.session,
            payment_id=payment.id,
            status=PaymentStatus.SUCCEEDED if result.succeeded else PaymentStatus.FAILED,
            failure_reason=None if result.succeeded else result.failure_reason,
            retryable=result.retryable,
            processor_ref=result.reference,
        )
        if recorded is None:
            # The stale sweep gave up on this attempt meanwhile: a charge that went through
            # anyway is reversed (recorded first, like every refund).
            if not (result.succeeded and result.reference):
                return None, None
            failed = await repository.lock_payment(self.session, payment.id)
            assert failed is not None
            failed.processor_ref = result.reference
            return None, await self._refund(failed, "charge_after_timeout")
        if not result.succeeded:
            await self._failed(recorded, copy)
            return recorded, None
        await outbox.add(self.session, _succeeded(recorded), producer=self.settings.SERVICE_NAME)
        _log_recorded(recorded)
        if copy is not None and copy.status == BookingStatus.CANCELLED:
            # Cancelled while we were charging: the money goes straight back. (An expiry does
            # not: booking's late-payment rule decides what the money buys.)
            return recorded, await self._refund(recorded, "booking_cancelled")
        return recorded, None

    async def _failed(self, recorded: Payment, copy: BookingCopy | None) -> None:
        if not recorded.retryable and copy is not None:
            # booking cancels a booking whose payment failed for good (DESIGN's saga); our
            # copy follows now, so a second card is refused at once instead of charged and
            # then refunded when booking's cancellation arrives
            copy.status = BookingStatus.CANCELLED
        await outbox.add(
            self.session,
            PaymentFailedV1(
                payment_id=recorded.id,
                booking_id=recorded.booking_id,
                user_id=recorded.user_id,
                reason=recorded.failure_reason or FailureReason.PROCESSING_ERROR,
                retryable=recorded.retryable,
            ),
            producer=self.settings.SERVICE_NAME,
        )
        _log_recorded(recorded)

    async def _refund(self, payment: Payment, reason: str) -> Refund:
        return await open_refund(
            self.session,
            payment=payment,
            reason=reason,
            actor_id=None,
            settings=self.settings,
            lease=True,
        )

    async def _answer(self, payment: Payment, idempotency_key: str | None) -> StoredResponse:
        response = StoredResponse(201, PaymentRead.model_validate(payment).model_dump(mode="json"))
        if idempotency_key is not None:
            await idempotency.complete(
                self.session, user_id=self.user.id, key=idempotency_key, response=response
            )
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
        return await repository.get_booking_copy(session, booking_id)


async def _claim_charge(
    session: AsyncSession, *, booking_id: uuid.UUID, user: Principal, card: str
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
                card_last4=domain.last_four(card),
                card_brand=domain.card_brand(card),
                created_at=now,
                updated_at=now,
            )
            session.add(payment)
            await session.flush()
    except IntegrityError as exc:  # a concurrent claim won the unique partial index
        raise BookingNotPayable("This booking is already paid or being paid.") from exc
    return payment
