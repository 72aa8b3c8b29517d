"""A stand-in for event's internal API: a real HTTP server (uvicorn on a free 127.0.0.1 port)
that implements ``POST /internal/holds/{hold_id}/claim`` and ``POST /internal/holds/retake``
per the contract."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.settings import DEV_INTERNAL_TOKEN

VIP = ("vip", 8000)


@dataclass
class FakeHold:
    hold_id: str
    user_id: uuid.UUID
    event_id: uuid.UUID
    seats: list[dict[str, Any]]
    organizer_id: uuid.UUID
    currency: str = "USD"
    expires_at: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(hours=1))
    starts_at: datetime = datetime(2030, 6, 1, 20, 0, tzinfo=UTC)
    delay: float = 0.0
    # Seconds the FIRST claim answer takes (the claim itself happens at once, as in event).
    first_answer_delay: float = 0.0

    def answer(self) -> dict[str, Any]:
        """``HoldClaimedV1``, as event answers a claim or a re-take."""
        return {
            "hold_id": self.hold_id,
            "event_id": str(self.event_id),
            "user_id": str(self.user_id),
            "seats": self.seats,
            "tier": None,
            "quantity": len(self.seats),
            "amount": sum(s["price"] for s in self.seats),
            "currency": self.currency,
            "expires_at": self.expires_at.isoformat(),
            "event": {
                "title": "The Show",
                "starts_at": self.starts_at.isoformat(),
                "location": "Main Hall",
                "organizer_id": str(self.organizer_id),
            },
        }


@dataclass
class Retake:
    """One call to the retake stand-in, and what it answered."""

    body: dict[str, Any]
    status: int


class FakeEvent:
    """Event's internal claim and retake endpoints, as the contract describes them.

    ``claim_statuses[hold_id] = 410`` makes the claim of that hold answer that status. Retake
    answers per event: ``retake_refusals[event_id] = ("seats_unavailable", ["A-A-1"])``
    makes it refuse with a 409 (``retake_statuses[event_id] = 422`` with another status);
    otherwise it grants a new claimed hold on exactly the places asked for.
    """

    def __init__(self) -> None:
        self.holds: dict[str, FakeHold] = {}
        self.claims: list[str] = []
        self.retakes: list[Retake] = []
        self.retake_refusals: dict[uuid.UUID, tuple[str, list[str]]] = {}
        self.retake_statuses: dict[uuid.UUID, int] = {}
        self.claim_statuses: dict[str, int] = {}
        self.organizers: dict[uuid.UUID, uuid.UUID] = {}
        self.down = False
        self.url = ""
        self.app = FastAPI()
        self.app.add_api_route("/internal/holds/retake", self._retake, methods=["POST"])
        self.app.add_api_route("/internal/holds/{hold_id}/claim", self._claim, methods=["POST"])

    def add_hold(
        self,
        *,
        user_id: uuid.UUID,
        event_id: uuid.UUID | None = None,
        seats: list[tuple[str | None, str, int]] | None = None,
        hold_id: str | None = None,
        delay: float = 0.0,
        first_answer_delay: float = 0.0,
        organizer_id: uuid.UUID | None = None,
        starts_at: datetime | None = None,
    ) -> FakeHold:
        places = seats if seats is not None else [(f"A-A-{uuid.uuid4().int % 10_000}", *VIP)]
        event_id = event_id or uuid.uuid4()
        if organizer_id is not None:
            self.organizers[event_id] = organizer_id
        # every event has an organizer (a random one unless the test names it)
        self.organizers.setdefault(event_id, uuid.uuid4())
        hold = FakeHold(
            hold_id=hold_id or str(uuid.uuid4()),
            user_id=user_id,
            event_id=event_id,
            seats=[{"seat_id": s, "tier": t, "price": p} for s, t, p in places],
            organizer_id=self.organizers[event_id],
            delay=delay,
            first_answer_delay=first_answer_delay,
        )
        if starts_at is not None:
            hold.starts_at = starts_at
        self.holds[hold.hold_id] = hold
        return hold

    async def _retake(self, request: Request) -> JSONResponse:
        if request.headers.get("x-internal-token") != DEV_INTERNAL_TOKEN:
            return _error(401, "unauthorized")
        if self.down:
            return _error(503, "upstream_unavailable")
        body = await request.json()
        event_id = uuid.UUID(body["event_id"])
        refusal = self.retake_refusals.get(event_id)
        if refusal is not None:
            code, unavailable = refusal
            status = self.retake_statuses.get(event_id, 409)
            self.retakes.append(Retake(body, status))
            return _error(status, code, {"unavailable": unavailable})
        price = {"vip": VIP[1]}
        hold = FakeHold(
            hold_id=f"retake-{uuid.uuid4()}",
            user_id=uuid.UUID(body["user_id"]),
            event_id=event_id,
            seats=[
                {"seat_id": s["seat_id"], "tier": s["tier"], "price": price.get(s["tier"], 1000)}
                for s in body["seats"]
            ],
            organizer_id=self.organizers.setdefault(event_id, uuid.uuid4()),
            expires_at=datetime.now(UTC) + timedelta(seconds=body["ttl_seconds"]),
        )
        self.retakes.append(Retake(body, 201))
        return JSONResponse(hold.answer(), status_code=201)

    async def _claim(self, hold_id: str, request: Request) -> JSONResponse:
        if request.headers.get("x-internal-token") != DEV_INTERNAL_TOKEN:
            return _error(401, "unauthorized")
        self.claims.append(hold_id)
        if self.down:
            return _error(503, "upstream_unavailable")
        if hold_id in self.claim_statuses:
            return _error(self.claim_statuses[hold_id], "refused")
        body = await request.json()
        hold = self.holds.get(hold_id)
        if hold is None:
            return _error(409, "hold_expired")
        if body.get("user_id") != str(hold.user_id) or body.get("extend_seconds") != 900:
            return _error(403, "forbidden")
        if hold.delay:
            await asyncio.sleep(hold.delay)
        if hold.first_answer_delay:  # claimed already; only the answer is late (a timeout)
            delay, hold.first_answer_delay = hold.first_answer_delay, 0.0
            await asyncio.sleep(delay)
        return JSONResponse(hold.answer())


def _error(status: int, code: str, details: dict[str, Any] | None = None) -> JSONResponse:
    body = {
        "success": False,
        "error": code,
        "message": code,
        "details": details or {},
        "request_id": None,
    }
    return JSONResponse(body, status_code=status)
