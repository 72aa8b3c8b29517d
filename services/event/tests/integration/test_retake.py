"""The re-take of a late-paid booking (``/internal/holds/retake``): a new, claimed hold of the
same places — all or nothing, within the buyer limit and the sales window, outside the hold
rules meant for buyers picking seats; 422 for places that make no sense."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from event_service.settings import Settings
from shared.http import internal_headers
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


async def _retake(
    client: httpx2.AsyncClient, settings: Settings, body: dict[str, Any]
) -> httpx2.Response:
    return await client.post(
        "/internal/holds/retake", json=body, headers=internal_headers(settings)
    )


async def test_retake_answers_201_with_a_claimed_hold_when_the_seats_are_free(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, settings: Settings, holds_path: Any
) -> None:
    event = await make_event()
    me = buyer()
    response = await _retake(
        client,
        settings,
        {
            "event_id": event["id"],
            "user_id": str(me["id"]),
            "seats": [{"seat_id": "A-B-1", "tier": "vip"}, {"seat_id": "A-B-2", "tier": "vip"}],
            "ttl_seconds": 900,
        },
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user_id"] == str(me["id"]) and body["amount"] == 16000
    assert [s["seat_id"] for s in body["seats"]] == ["A-B-1", "A-B-2"]
    expires = datetime.fromisoformat(body["expires_at"])
    assert 850 < (expires - datetime.now(UTC)).total_seconds() <= 900
    # already claimed: booking's claim is idempotent and does not extend it again
    claim = await client.post(
        f"/internal/holds/{body['hold_id']}/claim",
        json={"user_id": str(me["id"]), "extend_seconds": 1500},
        headers=internal_headers(settings),
    )
    assert claim.status_code == 200 and claim.json()["expires_at"] == body["expires_at"]
    taken = await client.post(
        holds_path(event), json={"seat_ids": ["A-B-2"]}, headers=buyer()["headers"]
    )
    assert taken.status_code == 409


async def test_retake_of_general_admission_takes_the_places_when_some_are_left(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, settings: Settings
) -> None:
    event = await make_event()
    body = {
        "event_id": event["id"],
        "user_id": str(buyer()["id"]),
        "seats": [{"seat_id": None, "tier": "floor"}] * 3,
    }
    response = await _retake(client, settings, body)
    assert response.status_code == 201, response.text
    assert response.json()["quantity"] == 3
    # another buyer (the first would be over max_tickets_per_buyer): 3 + 8 > 10 places
    other = {"user_id": str(buyer()["id"]), "seats": [{"tier": "floor"}] * 8}
    too_many = await _retake(client, settings, body | other)
    assert too_many.status_code == 409 and too_many.json()["error"] == "seats_unavailable"


async def test_retake_is_409_seats_unavailable_when_a_seat_is_held_or_sold(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    publish: Any,
    settings: Settings,
    confirmed: Any,
    holds_path: Any,
    tier_of: Any,
) -> None:
    event = await make_event()
    await client.post(holds_path(event), json={"seat_ids": ["B-D-1"]}, headers=buyer()["headers"])
    sold_hold = (
        await client.post(
            holds_path(event), json={"seat_ids": ["B-D-2"]}, headers=buyer()["headers"]
        )
    ).json()
    await publish(confirmed(event, sold_hold))
    await eventually(lambda: tier_of(event, "standard"), until=lambda t: t["sold"] == 1)

    for seat in ("B-D-1", "B-D-2"):
        response = await _retake(
            client,
            settings,
            {
                "event_id": event["id"],
                "user_id": str(uuid.uuid4()),
                "seats": [
                    {"seat_id": seat, "tier": "standard"},
                    {"seat_id": "B-D-3", "tier": "standard"},
                ],
            },
        )
        assert response.status_code == 409
        assert response.json()["details"]["unavailable"] == [seat]
    free = await client.post(
        holds_path(event), json={"seat_ids": ["B-D-3"]}, headers=buyer()["headers"]
    )
    assert free.status_code == 201  # nothing half-taken


async def test_retake_is_409_sales_closed_when_the_event_was_cancelled(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], settings: Settings
) -> None:
    event = await make_event()
    assert (
        await client.post(f"/api/events/{event['id']}/cancel", headers=organizer["headers"])
    ).status_code == 200
    response = await _retake(
        client,
        settings,
        {
            "event_id": event["id"],
            "user_id": str(uuid.uuid4()),
            "seats": [{"seat_id": "A-A-1", "tier": "vip"}],
        },
    )
    assert response.status_code == 409 and response.json()["error"] == "sales_closed"


@pytest.mark.parametrize(
    "seats",
    [
        [{"seat_id": "A-A-1", "tier": "vip"}, {"seat_id": None, "tier": "floor"}],
        [{"seat_id": "Z-Z-9", "tier": "vip"}],
        [],
    ],
    ids=["mixed", "unknown-seat", "empty"],
)
async def test_retake_is_422_when_the_places_make_no_sense(
    client: httpx2.AsyncClient, make_event: Any, settings: Settings, seats: list[Any]
) -> None:
    event = await make_event()
    response = await _retake(
        client,
        settings,
        {"event_id": event["id"], "user_id": str(uuid.uuid4()), "seats": seats},
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"ttl_seconds": 86_401}, "ttl_seconds"),
        ({"hold_id": ""}, "hold_id"),
        ({"hold_id": "h" * 65}, "hold_id"),
        ({"hold_id": "a\u0000b"}, "hold_id"),
        ({"seats": [{"seat_id": "A-A-1\n", "tier": "vip"}]}, "seats.0.seat_id"),
        ({"seats": [{"seat_id": "s" * 65, "tier": "vip"}]}, "seats.0.seat_id"),
        ({"seats": [{"seat_id": "A-A-1", "tier": "v i p"}]}, "seats.0.tier"),
        ({"seats": [{"seat_id": "A-A-1", "tier": "vip"}] * 2}, "seats"),
        ({"seats": [{"seat_id": None, "tier": "floor"}, {"tier": "vip"}]}, "seats"),
        ({"seats": [{"seat_id": None, "tier": "floor"}] * 1001}, "seats"),
    ],
    ids=[
        "ttl-0",
        "ttl-over-a-day",
        "empty-hold-id",
        "long-hold-id",
        "nul-hold-id",
        "newline-seat-id",
        "long-seat-id",
        "bad-tier-code",
        "seat-twice",
        "two-ga-tiers",
        "over-1000-places",
    ],
)
async def test_retake_is_422_naming_the_field_when_the_body_breaks_a_bound(
    client: httpx2.AsyncClient,
    make_event: Any,
    settings: Settings,
    statuses: Any,
    change: dict[str, Any],
    field: str,
) -> None:
    """The body is the shared contract, which accepts more than event does: the service holds
    it to its bounds before anything else (and holds nothing)."""
    event = await make_event()
    body = {
        "event_id": event["id"],
        "user_id": str(uuid.uuid4()),
        "seats": [{"seat_id": "A-A-1", "tier": "vip"}],
    }
    response = await _retake(client, settings, body | change)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert field in {f["field"] for f in response.json()["details"]["fields"]}
    assert (await statuses(event))["A-A-1"] == "available"


async def test_retake_accepts_a_field_it_does_not_know_when_a_newer_booking_sends_one(
    client: httpx2.AsyncClient, make_event: Any, settings: Settings
) -> None:
    event = await make_event()
    body = {
        "event_id": event["id"],
        "user_id": str(uuid.uuid4()),
        "seats": [{"seat_id": "A-A-1", "tier": "vip", "row_hint": "front"}],
        "booking_ref": "B-17",
    }
    response = await _retake(client, settings, body)
    assert response.status_code == 201, response.text
    assert [s["seat_id"] for s in response.json()["seats"]] == ["A-A-1"]


async def test_retake_counts_the_buyers_live_holds_against_the_limit_but_not_its_own_hold(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, settings: Settings, holds_path: Any
) -> None:
    event = await make_event(max_tickets_per_buyer=2)
    me = buyer()
    live = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 2}, headers=me["headers"]
    )
    assert live.status_code == 201
    body = {"event_id": event["id"], "user_id": str(me["id"]), "seats": [{"tier": "floor"}] * 2}

    refused = await _retake(client, settings, body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "limit_exceeded"
    assert refused.json()["details"] == {
        "max_tickets_per_buyer": 2,
        "limit": 2,
        "current": 2,
        "requested": 2,
    }
    # naming the booking's earlier hold: its places are the ones re-taken, counted once
    ok = await _retake(client, settings, body | {"hold_id": live.json()["hold_id"]})
    assert ok.status_code == 201, ok.text


async def test_retake_counts_places_sold_to_the_buyer_against_the_limit(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    publish: Any,
    settings: Settings,
    confirmed: Any,
    holds_path: Any,
    tier_of: Any,
) -> None:
    event = await make_event(max_tickets_per_buyer=2)
    me = buyer()
    hold = (
        await client.post(
            holds_path(event), json={"seat_ids": ["B-C-1", "B-C-2"]}, headers=me["headers"]
        )
    ).json()
    await publish(confirmed(event, hold, user_id=me["id"]))

    await eventually(lambda: tier_of(event, "standard"), until=lambda t: t["sold"] == 2)

    body = {
        "event_id": event["id"],
        "user_id": str(me["id"]),
        "seats": [{"seat_id": "B-C-3", "tier": "standard"}],
    }
    refused = await _retake(client, settings, body)
    assert refused.status_code == 409, refused.text
    assert (refused.json()["error"], refused.json()["details"]["current"]) == ("limit_exceeded", 2)
    other = await _retake(client, settings, body | {"user_id": str(buyer()["id"])})
    assert other.status_code == 201, other.text


async def test_retake_is_409_sales_closed_when_the_sales_window_has_closed(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    buyer: Any,
    settings: Settings,
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
    refused = await _retake(client, settings, body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "sales_closed"


async def test_retake_ignores_the_cooldown_and_the_address_cap_when_booking_asks(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    settings: Settings,
    holds_path: Any,
    hold_of: Any,
    lapse: Any,
) -> None:
    event = await make_event(
        hold_rules={"rehold_cooldown_seconds": 600, "max_live_holds_per_address": 1}
    )
    me = buyer()
    await lapse(await hold_of(event, me, {"seat_ids": ["A-A-1"]}))  # the buyer let it lapse
    other = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-5"]}, headers=buyer()["headers"]
    )
    assert other.status_code == 201  # the one live hold this address may have

    body = {
        "event_id": event["id"],
        "user_id": str(me["id"]),
        "seats": [{"seat_id": "A-A-1", "tier": "vip"}],
    }
    response = await _retake(client, settings, body)
    assert response.status_code == 201, response.text
    cooled = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=me["headers"]
    )
    assert cooled.status_code == 429  # the buyer's own holds still wait
