"""Refunds: no money goes back before its record is written.

A refund spans three steps, and no row lock is held while the processor is asked:

1. open: the refund is inserted ``pending`` (reason, amount, the admin who asked) and committed
   — by the caller's transaction (a cancellation, a charge that lost its race) or by
   :func:`refund_payment`. A record that cannot be written stops here: nothing was refunded.
2. ask the processor, with the refund's id as idempotency key, holding a lease
   (``leased_until``) instead of a lock.
3. record the outcome with a guarded ``UPDATE … WHERE status = 'pending'``; a succeeded refund
   turns its succeeded payment ``refunded`` and publishes ``payment.refunded``.

A process that dies between 2 and 3 leaves a pending refund whose lease runs out;
:func:`~payment_service.service.sweeps.settle_pending_refunds` asks again under the same key
and gets the first answer back, so the money goes back once. Whatever the processor raises —
:class:`ProcessorUnavailable` (logged as a warning) or a bug (logged as an error) — the refund
stays pending and is asked again: a refund is idempotent by its id, so that is always safe.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import domain, metrics, repository
from payment_service.domain import (
    PaymentNotFound,
    PaymentNotRefundable,
    PaymentStatus,
    ProcessorUnavailable,
    RefundPending,
    RefundRefused,
    RefundStatus,
    RefundUnderWay,
)
from payment_service.orm import Payment, Refund
from payment_service.processor import RefundResult
from payment_service.repository import ChargeRow
from payment_service.settings import Settings
from shared.contracts.payment import PaymentRefundedV1
from shared.db import utcnow
from shared.errors import DomainError
from shared.logging import get_logger
from shared.messaging import outbox

if TYPE_CHECKING:
    from payment_service.context import Context

log = get_logger(__name__)


def lease_of(settings: Settings) -> float:
    """How long one asker holds a pending refund, in seconds."""
    return float(settings.REFUND_LEASE_SECONDS)


async def open_refund(
    session: AsyncSession,
    *,
    payment: Payment | ChargeRow,
    reason: str,
    actor_id: uuid.UUID | None,
    leased_for: float | None,
) -> Refund:
    """In the caller's transaction (the payment locked or just updated): the payment's live
    refund, recorded ``pending`` if it has none; ``leased_for`` seconds when the caller settles
    it next, None when the settler will."""
    existing = await repository.get_live_refund(session, payment.id)
    if existing is not None:
        return existing
    now = utcnow()
    refund = Refund(
        id=uuid.uuid4(),
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        reason=reason,
        status=RefundStatus.PENDING,
        actor_id=actor_id,
        leased_until=None if leased_for is None else now + timedelta(seconds=leased_for),
        created_at=now,
        updated_at=now,
    )
    session.add(refund)
    await session.flush()
    log.info("refund_recorded", refund_id=str(refund.id), payment_id=str(payment.id))
    return refund


async def refund_payment(
    session: AsyncSession, *, ctx: Context, actor_id: uuid.UUID, payment_id: uuid.UUID, reason: str
) -> Refund:
    """Give a succeeded payment's money back (admin): recorded first, then the processor."""
    lease = lease_of(ctx.settings)
    async with session.begin():
        payment = await repository.lock_payment(session, payment_id)
        if payment is None:
            raise PaymentNotFound()
        refund = await repository.get_live_refund(session, payment_id)
        if refund is None:
            if not domain.refundable(payment.status):
                raise PaymentNotRefundable(details={"status": payment.status})
            refund = await open_refund(
                session,
                payment=payment,
                reason=reason,
                actor_id=actor_id,
                leased_for=lease,
            )
        elif refund.status != RefundStatus.PENDING:
            raise PaymentNotRefundable(details={"status": payment.status})
        elif await repository.lease_refund(session, refund.id, seconds=lease) is None:
            raise RefundUnderWay(details={"refund_id": str(refund.id), "status": refund.status})
        # else: an earlier attempt was left pending; this request completes it
    return await settle_refund(session, ctx=ctx, refund=refund)


async def settle_refund(session: AsyncSession, *, ctx: Context, refund: Refund) -> Refund:
    """Ask the processor for a pending refund this caller holds the lease of, and record it.

    Raises :class:`RefundPending` (the processor did not answer; the lease is given up so a
    retry may start at once) or :class:`RefundRefused` (recorded ``failed``)."""
    async with session.begin():
        payment = await repository.get_known_payment(session, refund.payment_id)
    try:
        result = await ctx.processor.refund(
            payment.processor_ref or "", refund.amount, idempotency_key=str(refund.id)
        )
    except Exception as exc:
        if isinstance(exc, ProcessorUnavailable):
            log.warning("processor_unavailable", refund_id=str(refund.id))
        else:
            log.exception("processor_refund_crashed", refund_id=str(refund.id))
        async with session.begin():
            await repository.release_refund(session, refund.id)
        raise RefundPending(details={"refund_id": str(refund.id), "status": "pending"}) from exc
    async with session.begin():
        settled = await _record_refund(session, refund=refund, result=result)
    if settled.status == RefundStatus.FAILED:
        raise RefundRefused(
            details={"refund_id": str(settled.id), "failure_reason": settled.failure_reason}
        )
    return settled


async def _record_refund(session: AsyncSession, *, refund: Refund, result: RefundResult) -> Refund:
    """The processor's answer, once; a succeeded payment becomes refunded and says so."""
    # the payment first, as everywhere else a payment and its refund are both locked
    payment = await repository.lock_known_payment(session, refund.payment_id)
    recorded = await repository.set_refund_outcome(
        session,
        refund_id=refund.id,
        status=RefundStatus.SUCCEEDED if result.succeeded else RefundStatus.FAILED,
        processor_ref=result.reference,
        failure_reason=None if result.succeeded else result.failure_reason,
    )
    if recorded is None:  # another attempt recorded it meanwhile
        return await repository.get_known_refund(session, refund.id)
    if recorded.status == RefundStatus.FAILED:
        log.warning("refund_refused", refund_id=str(recorded.id), reason=recorded.failure_reason)
        return recorded
    # A charge the stale sweep had already failed is reversed without a message: booking
    # never heard it succeed.
    if payment.status == PaymentStatus.SUCCEEDED:
        payment.status = PaymentStatus.REFUNDED
        payment.updated_at = utcnow()
        await outbox.add(
            session,
            PaymentRefundedV1(
                refund_id=recorded.id,
                payment_id=payment.id,
                booking_id=payment.booking_id,
                user_id=payment.user_id,
                amount=recorded.amount,
                currency=recorded.currency,
                actor_id=recorded.actor_id,
                reason=recorded.reason,
                event_id=await repository.event_of_booking(session, payment.booking_id),
            ),
        )
        metrics.count_refunded(session, amount=recorded.amount, currency=recorded.currency)
    log.info("payment_refunded", payment_id=str(payment.id), reason=recorded.reason)
    return recorded


async def settle_quietly(session: AsyncSession, *, ctx: Context, refund: Refund) -> bool:
    """Settle a refund this caller has leased; a failure is left to the settler (logged).
    True when it was settled."""
    try:
        await settle_refund(session, ctx=ctx, refund=refund)
    except DomainError as exc:
        log.warning("refund_left_pending", refund_id=str(refund.id), error=exc.code)
        return False
    return True
