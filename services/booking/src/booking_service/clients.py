"""Calls to other services: event's internal hold claim and re-take (late payments)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from booking_service.domain import HoldExpired, HoldForbidden, RetakeRefused
from shared.contracts.event import HoldClaimedV1, HoldClaimRequestV1, HoldRetakeRequestV1
from shared.errors import UpstreamUnavailable
from shared.http import InternalClient, Refusal, RefusalMap


def _hold_expired(_refusal: Refusal) -> Exception:
    return HoldExpired()


def _hold_forbidden(_refusal: Refusal) -> Exception:
    return HoldForbidden()


def _retake_refused(refusal: Refusal) -> Exception:
    return RetakeRefused(refusal.code or "seats_unavailable", dict(refusal.details))


_CLAIM_REFUSALS: RefusalMap = {
    404: _hold_expired,
    409: _hold_expired,
    410: _hold_expired,
    403: _hold_forbidden,
}

# Event's final answers to a re-take: the seats are taken (409 seats_unavailable), the buyer
# would go past max_tickets_per_buyer (409 limit_exceeded), sales are closed or the event is
# cancelled (409 sales_closed), the event or the places are gone (404/410/422), the buyer may
# not buy (403). Asking again cannot change them, so the late payment is refunded at once.
# Anything else (5xx, a timeout, 401 from a wrong internal token) is UpstreamUnavailable: the
# message fails and is delivered again later.
_RETAKE_REFUSALS: RefusalMap = dict.fromkeys((403, 404, 409, 410, 422), _retake_refused)


class EventClient:
    """Event's internal API (``InternalClient`` owns retries, status mapping and parsing)."""

    def __init__(self, internal: InternalClient) -> None:
        self.internal = internal

    async def claim_hold(
        self, hold_id: str, *, user_id: uuid.UUID, extend_seconds: int
    ) -> HoldClaimedV1:
        """Claim ``hold_id`` for ``user_id``: :class:`HoldExpired`, :class:`HoldForbidden`.

        Event answers a repeated claim by the owner like the first, so a retry after a timeout
        (the first call may have claimed the hold already) is safe.
        """
        claimed = await self.internal.post(
            f"/internal/holds/{quote(hold_id, safe='')}/claim",
            HoldClaimRequestV1(user_id=user_id, extend_seconds=extend_seconds),
            answer=HoldClaimedV1,
            refusals=_CLAIM_REFUSALS,
        )
        if claimed.user_id != user_id or claimed.hold_id != hold_id:
            raise HoldForbidden()
        if not claimed.seats:
            raise UpstreamUnavailable("The event service answered a hold without seats.")
        return claimed

    async def retake_seats(self, request: HoldRetakeRequestV1) -> HoldClaimedV1:
        """A new, already claimed hold on exactly these places for the buyer (all or nothing).

        :class:`RetakeRefused` when event refuses for good; :class:`UpstreamUnavailable` when it
        cannot be asked or answers something else (the message is then redelivered).
        """
        claimed = await self.internal.post(
            "/internal/holds/retake",
            request,
            answer=HoldClaimedV1,
            refusals=_RETAKE_REFUSALS,
        )
        if claimed.user_id != request.user_id or claimed.event_id != request.event_id:
            raise UpstreamUnavailable("The event service re-took the seats for someone else.")
        return claimed
