"""Periodic jobs: fail charges a crash interrupted, forget old Idempotency-Keys."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import repository
from payment_service.domain import FailureReason, PaymentStatus
from payment_service.settings import Settings
from shared import idempotency
from shared.contracts.payment import PaymentFailedV1
from shared.db import utcnow
from shared.logging import get_logger
from shared.messaging import outbox

log = get_logger("payment.service")


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
