"""Public payment routes (/api/payments): thin — parse, call one use case, return a schema."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from payment_service import service
from payment_service.deps import ContextDep, IdempotencyKey
from payment_service.schemas import PaymentCreate, PaymentRead, RefundCreate, RefundRead
from shared.idempotency import REPLAY_HEADER
from shared.openapi import errors
from shared.pagination import Page, Pagination
from shared.runtime import SessionDep
from shared.security import AdminUser, CurrentUser

router = APIRouter(prefix="/api/payments", tags=["payments"])

_REPLAYED = {
    "description": "The payment (``status`` succeeded, failed or refunded).",
    "headers": {
        REPLAY_HEADER: {
            "description": "``true`` when this answer replays an earlier request's "
            "(same Idempotency-Key and body); absent otherwise.",
            "schema": {"type": "string", "enum": ["true"]},
        }
    },
}


@router.post(
    "",
    status_code=201,
    response_model=PaymentRead,
    # 404: not the caller's booking; 409: not payable, or idempotency_conflict
    responses={201: _REPLAYED, **errors(404, 409)},
)
async def create_payment(
    body: PaymentCreate,
    user: CurrentUser,
    session: SessionDep,
    ctx: ContextDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Charge the caller's pending booking (the same Idempotency-Key and body replay it)."""
    outcome = await service.pay_for_booking(
        session,
        ctx=ctx,
        user=user,
        request=body,
        idempotency_key=key,
    )
    return outcome.answer()


@router.get("", response_model=Page[PaymentRead])
async def list_payments(
    user: CurrentUser, session: SessionDep, page: Pagination, booking_id: uuid.UUID | None = None
) -> Page[PaymentRead]:
    """The caller's payments, newest first (admins: everyone's)."""
    return await service.list_payments(session, user=user, booking_id=booking_id, page=page)


@router.get("/{payment_id}", response_model=PaymentRead)
async def get_payment(payment_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PaymentRead:
    """One payment, for its payer or an admin."""
    return PaymentRead.model_validate(
        await service.get_payment(session, user=user, payment_id=payment_id)
    )


@router.post(
    "/{payment_id}/refund",
    response_model=RefundRead,
    # 409: not succeeded, or a refund of it is being processed right now
    responses=errors(409),
)
async def refund_payment(
    payment_id: uuid.UUID,
    admin: AdminUser,
    session: SessionDep,
    ctx: ContextDep,
    body: RefundCreate | None = None,
) -> RefundRead:
    """Give a succeeded payment's money back (admin)."""
    refund = await service.refund_payment(
        session,
        ctx=ctx,
        actor_id=admin.id,
        payment_id=payment_id,
        reason=(body or RefundCreate()).reason,
    )
    return RefundRead.model_validate(refund)
