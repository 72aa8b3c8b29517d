"""Booking's internal API: the booking to charge, when its booking.created is not here yet."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx2
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import UpstreamUnavailable
from shared.http import internal_headers, with_retries
from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger("payment.clients")


class BookingSnapshot(BaseModel):
    """``GET /internal/bookings/{id}`` → 200 (the cross-service contract)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    id: uuid.UUID
    user_id: uuid.UUID
    event_id: uuid.UUID
    status: str
    amount: int
    currency: str
    expires_at: datetime | None = None


async def fetch_booking(
    http: httpx2.AsyncClient, settings: ServiceSettings, booking_id: uuid.UUID
) -> BookingSnapshot | None:
    """The booking as booking sees it now; None when booking says it does not exist."""
    url = f"{settings.BOOKING_URL}/internal/bookings/{booking_id}"

    async def call() -> httpx2.Response:
        response = await http.get(url, headers=internal_headers(settings))
        if response.status_code >= 500:
            response.raise_for_status()
        return response

    try:
        response = await with_retries(call)
    except httpx2.HTTPError as exc:
        log.warning("booking_lookup_failed", booking_id=str(booking_id), error=repr(exc))
        raise UpstreamUnavailable("The booking service is unavailable; try again.") from exc
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        log.warning(
            "booking_lookup_refused", booking_id=str(booking_id), status=response.status_code
        )
        raise UpstreamUnavailable("The booking service refused our lookup.")
    try:
        return BookingSnapshot.model_validate(response.json())
    except (ValueError, ValidationError) as exc:
        raise UpstreamUnavailable("The booking service answered something unreadable.") from exc
