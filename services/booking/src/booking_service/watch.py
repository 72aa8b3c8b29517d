"""Buyers waiting for their booking to leave ``pending_payment`` (``GET
/api/bookings/{id}?wait=N``; how waiting works: ``shared.watch``)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from booking_service.domain import BookingStatus
from shared.watch import Watch

_MOVED_ON = text("SELECT id FROM booking WHERE id = ANY(:ids) AND status <> :pending")


def status_watch(single: AsyncEngine) -> Watch:
    """Rung by the payment consumer once it confirmed; the recheck finds every other change."""
    return Watch(single, _MOVED_ON, params={"pending": BookingStatus.PENDING_PAYMENT})
