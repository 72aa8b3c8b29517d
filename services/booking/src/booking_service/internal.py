"""Internal endpoints for other services (never routed by the gateway; internal token needed)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from booking_service import service
from shared.contracts.booking import BookingSnapshotV1
from shared.openapi import errors
from shared.runtime import SessionDep
from shared.security import InternalCaller

router = APIRouter(prefix="/internal", tags=["internal"], dependencies=[InternalCaller])


@router.get("/bookings/{booking_id}", responses=errors(401))
async def get_booking(booking_id: uuid.UUID, session: SessionDep) -> BookingSnapshotV1:
    """A booking as payment needs it to charge."""
    return await service.get_booking_for_service(session, booking_id=booking_id)
