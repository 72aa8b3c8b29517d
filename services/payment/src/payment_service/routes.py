"""Public payment routes (/api/payments): thin — parse, call one use case, return a schema."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from payment_service import service
from payment_service.deps import IdempotencyKey, ProcessorDep, SettingsDep
from payment_service.schemas import PaymentCreate, PaymentRead, RefundCreate, RefundRead
from shared.pagination import Page, Pagination
from shared.runtime import RuntimeDep, SessionDep
from shared.security import AdminUser, CurrentUser

router = APIRouter(prefix="/api/payments", tags=["payments"])


@router.post("", status_code=201, response_model=PaymentRead)
async def create_payment(
    body: PaymentCreate,
    user: CurrentUser,
    session: SessionDep,
    rt: RuntimeDep,
    settings: SettingsDep,
    processor: ProcessorDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    outcome = await service.pay_for_booking(
        session,
        http=rt.http,
        settings=settings,
        processor=processor,
        user=user,
        request=body,
        idempotency_key=key,
    )
    return JSONResponse(outcome.body, status_code=outcome.status)


@router.get("", response_model=Page[PaymentRead])
async def list_payments(
    user: CurrentUser, session: SessionDep, page: Pagination, booking_id: uuid.UUID | None = None
) -> Page[PaymentRead]:
    return await service.list_payments(session, user=user, booking_id=booking_id, page=page)


@router.get("/{payment_id}", response_model=PaymentRead)
async def get_payment(payment_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PaymentRead:
    return PaymentRead.model_validate(
        await service.get_payment(session, user=user, payment_id=payment_id)
    )


@router.post("/{payment_id}/refund", response_model=RefundRead)
async def refund_payment(
    payment_id: uuid.UUID,
    _admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    processor: ProcessorDep,
    body: RefundCreate | None = None,
) -> RefundRead:
    refund = await service.refund_payment(
        session,
        processor=processor,
        settings=settings,
        payment_id=payment_id,
        reason=(body or RefundCreate()).reason,
    )
    return RefundRead.model_validate(refund)
