"""Periodic jobs (registered in ``context.py``, each given the context): fail charges a crash
interrupted, settle refunds nobody is asking about."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from payment_service import metrics, repository
from payment_service.domain import FailureReason, PaymentStatus, RefundStatus
from payment_service.orm import Refund
from payment_service.service.refunds import lease_of, settle_quietly
from shared.contracts.payment import PaymentFailedV1
from shared.db import utcnow
from shared.logging import get_logger
from shared.messaging import outbox

if TYPE_CHECKING:
    from payment_service.context import Context

log = get_logger(__name__)


async def fail_stale_payments(ctx: Context) -> int:
    """Fail (retryable) payments stuck in ``processing`` after a crash or a bug mid-charge."""
    older_than = utcnow() - timedelta(seconds=ctx.settings.PROCESSING_TIMEOUT_SECONDS)
    async with ctx.sessionmaker() as session, session.begin():
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
            )
            metrics.count_failed(session)
            log.warning("payment_processing_interrupted", payment_id=str(payment.id))
    return len(stale)


async def settle_pending_refunds(ctx: Context) -> int:
    """Ask again for every pending refund nobody is asking about (crash, processor down, or
    opened by a consumer); returns how many were settled."""
    async with ctx.sessionmaker() as session:
        async with session.begin():
            ids = await repository.lease_pending_refunds(session, seconds=lease_of(ctx.settings))
        settled = 0
        for refund_id in ids:
            async with session.begin():
                refund = await session.get(Refund, refund_id, populate_existing=True)
            if refund is None or refund.status != RefundStatus.PENDING:
                continue
            if await settle_quietly(session, ctx=ctx, refund=refund):
                settled += 1
    return settled


async def settle_refunds_when_woken(ctx: Context) -> None:
    """One round of the refund settler: wait for a consumer's wake-up (or the sweep interval),
    then settle what is pending."""
    await ctx.refund_wake.wait(ctx.settings.SWEEP_INTERVAL_SECONDS)
    await settle_pending_refunds(ctx)
