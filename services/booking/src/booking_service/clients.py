"""Calls to other services: event's internal hold claim."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import quote

import httpx2
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import Conflict, Forbidden, UpstreamUnavailable
from shared.http import internal_headers, with_retries
from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger("booking_service.clients")

_TRANSIENT = {502, 503, 504}


class ClaimedSeat(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    seat_id: str | None
    tier: str
    price: int


class ClaimedEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    title: str
    starts_at: datetime
    location: str


class HoldClaim(BaseModel):
    """Event's answer to ``POST /internal/holds/{hold_id}/claim``."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    hold_id: str
    event_id: uuid.UUID
    user_id: uuid.UUID
    seats: list[ClaimedSeat]
    amount: int
    currency: str
    expires_at: datetime
    event: ClaimedEvent


class HoldExpired(Conflict):
    code, message = "hold_expired", "The hold has expired or does not exist."


class EventClient:
    """Event's internal API, over the runtime's pooled HTTP client."""

    def __init__(self, http: httpx2.AsyncClient, settings: ServiceSettings) -> None:
        self.http = http
        self.settings = settings

    async def claim_hold(
        self, hold_id: str, *, user_id: uuid.UUID, extend_seconds: int
    ) -> HoldClaim:
        """Claim ``hold_id`` for ``user_id`` (idempotent on event's side, so retries are safe)."""
        url = f"{self.settings.EVENT_URL}/internal/holds/{quote(hold_id, safe='')}/claim"
        body = {"user_id": str(user_id), "extend_seconds": extend_seconds}

        async def call() -> httpx2.Response:
            response = await self.http.post(
                url,
                json=body,
                headers=internal_headers(self.settings),
                timeout=self.settings.HTTP_TIMEOUT_SECONDS,
            )
            if response.status_code in _TRANSIENT:
                response.raise_for_status()
            return response

        try:
            response = await with_retries(call)
        except httpx2.HTTPError as exc:
            log.warning("hold_claim_unavailable", hold_id=hold_id, error=repr(exc))
            raise UpstreamUnavailable("The event service is unavailable; try again.") from exc

        if response.status_code in {404, 409, 410}:
            raise HoldExpired()
        if response.status_code == 403:
            raise Forbidden("This hold belongs to someone else.")
        if response.status_code != 200:
            log.warning("hold_claim_refused", hold_id=hold_id, status=response.status_code)
            raise UpstreamUnavailable("The event service gave an unexpected answer.")
        try:
            claim = HoldClaim.model_validate_json(response.content)
        except ValidationError as exc:
            log.warning("hold_claim_unreadable", hold_id=hold_id, error=str(exc))
            raise UpstreamUnavailable("The event service gave an unreadable answer.") from exc
        if claim.user_id != user_id or claim.hold_id != hold_id:
            raise Forbidden("This hold belongs to someone else.")
        if not claim.seats:
            raise UpstreamUnavailable("The event service answered a hold without seats.")
        return claim
