"""Booking's internal API: the booking to charge, when its booking.created is not here yet."""

from __future__ import annotations

import uuid

import httpx2

from shared.contracts.booking import BookingSnapshotV1
from shared.http import InternalClient
from shared.settings import ServiceSettings


class BookingClient:
    """``GET /internal/bookings/{id}`` through the shared internal client (retries, 503s)."""

    def __init__(self, http: httpx2.AsyncClient, settings: ServiceSettings) -> None:
        self._internal = InternalClient(
            http, settings, service="booking", base_url=settings.BOOKING_URL
        )

    async def get_booking(self, booking_id: uuid.UUID) -> BookingSnapshotV1 | None:
        """The booking as booking sees it now; None when booking says it does not exist."""
        return await self._internal.find(
            f"/internal/bookings/{booking_id}", answer=BookingSnapshotV1
        )
