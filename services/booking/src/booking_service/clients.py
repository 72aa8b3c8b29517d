"""Calls to other services: event's internal hold claim and re-take (late payments)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
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
    organizer_id: uuid.UUID | None = None


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


# Event's final answers to a re-take: the seats are taken (409 seats_unavailable), the buyer
# would go past max_tickets_per_buyer (409 limit_exceeded), sales are closed or the event is
# cancelled (409 sales_closed), the event or the places are gone (404/410/422), the buyer may
# not buy (403). Asking again cannot change them, so the late payment is refunded at once.
# Anything else (5xx, a timeout, 401 from a wrong internal token) is worth asking again later.
_RETAKE_REFUSALS = {403, 404, 409, 410, 422}


class RetakeRefused(Exception):
    """Event would not re-take the seats (taken meanwhile, buyer limit, sales closed, …)."""

    def __init__(self, code: str, details: dict[str, object]) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


class EventClient:
    """Event's internal API, over the runtime's pooled HTTP client."""

    def __init__(self, http: httpx2.AsyncClient, settings: ServiceSettings) -> None:
        self.http = http
        self.settings = settings

    async def _post(self, url: str, body: dict[str, Any], *, what: str) -> httpx2.Response:
        """POST with the timeout, retried on transport faults and 502/503/504."""

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
            return await with_retries(call)
        except httpx2.HTTPError as exc:
            log.warning(f"{what}_unavailable", url=url, error=repr(exc))
            raise UpstreamUnavailable("The event service is unavailable; try again.") from exc

    async def claim_hold(
        self, hold_id: str, *, user_id: uuid.UUID, extend_seconds: int
    ) -> HoldClaim:
        """Claim ``hold_id`` for ``user_id``.

        Event answers a repeated claim by the owner like the first, so a retry after a timeout
        (the first call may have claimed the hold already) is safe.
        """
        url = f"{self.settings.EVENT_URL}/internal/holds/{quote(hold_id, safe='')}/claim"
        body = {"user_id": str(user_id), "extend_seconds": extend_seconds}
        response = await self._post(url, body, what="hold_claim")

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

    async def retake_seats(
        self,
        *,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        seats: list[tuple[str | None, str]],
        ttl_seconds: int,
        hold_id: str | None = None,
    ) -> HoldClaim:
        """A new, already claimed hold on exactly these places for ``user_id`` (all or nothing).

        :class:`RetakeRefused` when event refuses for good (409 ``seats_unavailable`` /
        ``limit_exceeded`` / ``sales_closed``, …); :class:`UpstreamUnavailable` when it cannot
        be asked or answers something else (the message is then redelivered).
        """
        url = f"{self.settings.EVENT_URL}/internal/holds/retake"
        body = {
            "event_id": str(event_id),
            "user_id": str(user_id),
            "seats": [{"seat_id": seat_id, "tier": tier} for seat_id, tier in seats],
            "ttl_seconds": ttl_seconds,
            # the booking's earlier hold: if still live, its places are not counted twice
            "hold_id": hold_id,
        }
        response = await self._post(url, body, what="hold_retake")
        if response.status_code in _RETAKE_REFUSALS:
            error = _error_of(response)
            raise RetakeRefused(str(error.get("error") or "seats_unavailable"), error["details"])
        if response.status_code not in {200, 201}:
            log.warning("hold_retake_refused", event_id=str(event_id), status=response.status_code)
            raise UpstreamUnavailable("The event service gave an unexpected answer.")
        try:
            claim = HoldClaim.model_validate_json(response.content)
        except ValidationError as exc:
            log.warning("hold_retake_unreadable", event_id=str(event_id), error=str(exc))
            raise UpstreamUnavailable("The event service gave an unreadable answer.") from exc
        if claim.user_id != user_id or claim.event_id != event_id:
            raise UpstreamUnavailable("The event service re-took the seats for someone else.")
        return claim


def _error_of(response: httpx2.Response) -> dict[str, Any]:
    """The contract's error body, tolerating anything else."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    details = body.get("details")
    return {"error": body.get("error"), "details": details if isinstance(details, dict) else {}}
