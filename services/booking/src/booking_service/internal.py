"""Internal endpoints for other services (never routed by the gateway; internal token needed)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from booking_service import service
from booking_service.deps import ContextDep
from shared.contracts.booking import BookingSnapshotV1
from shared.openapi import errors
from shared.security import InternalCaller

router = APIRouter(prefix="/internal", tags=["internal"], dependencies=[InternalCaller])


@router.get("/bookings/{booking_id}", response_model=BookingSnapshotV1, responses=errors(401))
async def get_booking(booking_id: uuid.UUID, ctx: ContextDep) -> Response:
    """A booking as payment needs it to charge (the body comes finished from PostgreSQL)."""
    body = await service.get_booking_for_service(ctx.single, booking_id=booking_id)
    return Response(body, media_type="application/json")
