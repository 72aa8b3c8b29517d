"""Public booking endpoints (``/api/bookings``). Thin: parse, call one use case, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from booking_service import service
from booking_service.deps import EventClientDep, IdempotencyKey, SettingsDep
from booking_service.domain import BookingStatus
from booking_service.schemas import BookingCreate, BookingDetail, BookingRead
from shared.pagination import Page, Pagination
from shared.runtime import SessionDep
from shared.security import CurrentUser

router = APIRouter(prefix="/api/bookings", tags=["bookings"])

REPLAY_HEADER = "Idempotent-Replayed"


@router.post(
    "",
    status_code=201,
    response_model=BookingRead,
    responses={409: {"description": "hold_expired, seats_unavailable, idempotency_conflict"}},
)
async def create_booking(
    body: BookingCreate,
    user: CurrentUser,
    session: SessionDep,
    events: EventClientDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book the caller's hold; it then waits for payment until ``expires_at``."""
    result = await service.create_booking(
        session,
        events=events,
        user=user,
        hold_id=body.hold_id,
        idempotency_key=idempotency_key,
        payment_window_seconds=settings.PAYMENT_WINDOW_SECONDS,
        producer=settings.SERVICE_NAME,
    )
    headers = {REPLAY_HEADER: "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status, headers=headers)


@router.get("")
async def list_bookings(
    user: CurrentUser,
    session: SessionDep,
    page: Pagination,
    status: BookingStatus | None = None,
) -> Page[BookingRead]:
    """The caller's bookings, newest first."""
    return await service.list_bookings(session, user=user, status=status, page=page)


@router.get("/{booking_id}")
async def get_booking(
    booking_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> BookingDetail:
    """One booking (owner or admin), with its tickets once confirmed."""
    return await service.get_booking(session, user=user, booking_id=booking_id)


@router.post("/{booking_id}/cancel")
async def cancel_booking(
    booking_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> BookingDetail:
    """Cancel (owner or admin): a pending booking frees its seats; a paid one is refunded."""
    return await service.cancel_booking(
        session, user=user, booking_id=booking_id, producer=settings.SERVICE_NAME
    )
