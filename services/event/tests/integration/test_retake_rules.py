"""The re-take of a late-paid booking (``/internal/holds/retake``) within the buyer limit and
the sales window (probe M6), and outside the hold rules meant for buyers picking seats."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from event_service.holds import HoldStore, Limits, Place
from event_service.settings import Settings
from shared.contracts.booking import BookedSeat, BookingConfirmedV1, EventSummary, IssuedTicket
from shared.http import internal_headers
from shared.runtime import Runtime
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


def holds_path(event: dict[str, Any]) -> str:
    return f"/api/events/{event['id']}/holds"


def sale_of(event: dict[str, Any], hold: dict[str, Any], user_id: uuid.UUID) -> BookingConfirmedV1:
    """booking.confirmed for ``hold`` as booking would send it."""
    seats = [BookedSeat(**s) for s in hold["seats"]]
    return BookingConfirmedV1(
        booking_id=uuid.uuid4(),
        hold_id=hold["hold_id"],
        user_id=user_id,
        user_email="buyer@example.test",
        event_id=uuid.UUID(event["id"]),
        event=EventSummary(
            title=event["title"],
            starts_at=datetime.fromisoformat(event["starts_at"]),
            location=event["location"],
        ),
        amount=hold["amount"],
        currency=hold["currency"],
        seats=seats,
        tickets=[
            IssuedTicket(
                ticket_id=uuid.uuid4(), seat_id=s.seat_id, tier=s.tier, price=s.price, code="x.y"
            )
            for s in seats
        ],
        payment_id=uuid.uuid4(),
    )


def _store_limits(event: dict[str, Any]) -> Limits:
    rules = event["hold_rules"]
    return Limits(
        max_per_order=10,
        max_per_buyer=10,
        address="127.0.0.1",
        max_per_address=rules["max_live_holds_per_address"],
        cooldown_seconds=rules["rehold_cooldown_seconds"],
        check_cooldown=True,
    )


async def _retake(
    client: httpx2.AsyncClient, settings: Settings, body: dict[str, Any]
) -> httpx2.Response:
    return await client.post(
        "/internal/holds/retake", json=body, headers=internal_headers(settings)
    )


async def test_retake_counts_the_buyers_live_holds_against_the_limit_but_not_its_own_hold(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, event_settings: Settings
) -> None:
    event = await make_event(max_tickets_per_buyer=2)
    me = buyer()
    live = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 2}, headers=me["headers"]
    )
    assert live.status_code == 201
    body = {"event_id": event["id"], "user_id": str(me["id"]), "seats": [{"tier": "floor"}] * 2}

    refused = await _retake(client, event_settings, body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "limit_exceeded"
    assert refused.json()["details"] == {
        "max_tickets_per_buyer": 2,
        "limit": 2,
        "current": 2,
        "requested": 2,
    }
    # naming the booking's earlier hold: its places are the ones re-taken, counted once
    ok = await _retake(client, event_settings, body | {"hold_id": live.json()["hold_id"]})
    assert ok.status_code == 201, ok.text


async def test_retake_counts_places_sold_to_the_buyer_against_the_limit(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, send: Any, event_settings: Settings
) -> None:
    event = await make_event(max_tickets_per_buyer=2)
    me = buyer()
    hold = (
        await client.post(
            holds_path(event), json={"seat_ids": ["B-C-1", "B-C-2"]}, headers=me["headers"]
        )
    ).json()
    await send(sale_of(event, hold, me["id"]))

    async def sold() -> int:
        detail = (await client.get(f"/api/events/{event['id']}")).json()
        return int(next(t["sold"] for t in detail["tiers"] if t["code"] == "standard"))

    await eventually(sold, until=lambda n: n == 2)

    body = {
        "event_id": event["id"],
        "user_id": str(me["id"]),
        "seats": [{"seat_id": "B-C-3", "tier": "standard"}],
    }
    refused = await _retake(client, event_settings, body)
    assert refused.status_code == 409, refused.text
    assert (refused.json()["error"], refused.json()["details"]["current"]) == ("limit_exceeded", 2)
    other = await _retake(client, event_settings, body | {"user_id": str(buyer()["id"])})
    assert other.status_code == 201, other.text


async def test_retake_is_409_sales_closed_when_the_sales_window_has_closed(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    buyer: Any,
    event_settings: Settings,
) -> None:
    event = await make_event()
    now = datetime.now(UTC)
    closed = {
        "sales_start_at": (now - timedelta(days=2)).isoformat(),
        "sales_end_at": (now - timedelta(minutes=1)).isoformat(),
    }
    patched = await client.patch(
        f"/api/events/{event['id']}", json=closed, headers=organizer["headers"]
    )
    assert patched.status_code == 200, patched.text
    body = {
        "event_id": event["id"],
        "user_id": str(buyer()["id"]),
        "seats": [{"seat_id": "A-A-1", "tier": "vip"}],
    }
    refused = await _retake(client, event_settings, body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "sales_closed"


async def test_retake_ignores_the_cooldown_and_the_address_cap_when_booking_asks(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    runtime: Runtime,
    event_settings: Settings,
) -> None:
    event = await make_event(
        hold_rules={"rehold_cooldown_seconds": 600, "max_live_holds_per_address": 1}
    )
    event_id = uuid.UUID(event["id"])
    me = buyer()
    store = HoldStore(runtime.redis, event_settings)
    lapsed = await store.hold_seats(
        event_id=event_id,
        user_id=me["id"],
        groups=[[Place("A-A-1", "vip", 8000)]],
        currency="USD",
        limits=_store_limits(event),
        ttl_seconds=1,
    )
    await eventually(lambda: store.get(event_id, lapsed.hold_id), until=lambda h: h is None)
    other = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-5"]}, headers=buyer()["headers"]
    )
    assert other.status_code == 201  # the one live hold this address may have

    body = {
        "event_id": event["id"],
        "user_id": str(me["id"]),
        "seats": [{"seat_id": "A-A-1", "tier": "vip"}],
    }
    response = await _retake(client, event_settings, body)
    assert response.status_code == 201, response.text
    cooled = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=me["headers"]
    )
    assert cooled.status_code == 429  # the buyer's own holds still wait
