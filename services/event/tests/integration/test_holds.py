"""Seat holds: all or nothing, one winner under contention, release, expiry, limits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from event_service.holds import HoldStore, Limits, Place
from event_service.settings import Settings
from shared.runtime import Runtime
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


def holds_path(event: dict[str, Any]) -> str:
    return f"/api/events/{event['id']}/holds"


async def seat_status(client: httpx2.AsyncClient, event: dict[str, Any]) -> dict[str, str]:
    seats = (await client.get(f"/api/events/{event['id']}/seats")).json()
    return {s["seat_id"]: s["status"] for s in seats}


async def test_hold_answers_201_with_seats_amount_and_expiry_when_seats_are_free(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    before = datetime.now(UTC)

    response = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1", "B-C-1"]}, headers=buyer()["headers"]
    )

    assert response.status_code == 201, response.text
    hold = response.json()
    assert hold["event_id"] == event["id"]
    assert hold["seats"] == [
        {"seat_id": "A-A-1", "tier": "vip", "price": 8000},
        {"seat_id": "B-C-1", "tier": "standard", "price": 2500},
    ]
    assert hold["amount"] == 10500 and hold["currency"] == "USD" and hold["quantity"] == 2
    expires = datetime.fromisoformat(hold["expires_at"])
    assert before + timedelta(seconds=590) < expires < before + timedelta(seconds=610)


async def test_overlapping_hold_is_409_naming_the_taken_seats_when_another_holds_them(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    first = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1", "A-A-2"]}, headers=buyer()["headers"]
    )
    second = await client.post(
        holds_path(event),
        json={"seat_ids": ["A-A-2", "A-A-3", "A-A-1"]},
        headers=buyer()["headers"],
    )

    assert first.status_code == 201
    assert second.status_code == 409
    body = second.json()
    assert body["error"] == "seats_unavailable"
    assert sorted(body["details"]["unavailable"]) == ["A-A-1", "A-A-2"]
    assert (await seat_status(client, event))["A-A-3"] == "available"  # nothing half-held


async def test_exactly_one_of_20_concurrent_holds_wins_when_they_race_for_two_seats(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    responses = await asyncio.gather(
        *(
            client.post(
                holds_path(event), json={"seat_ids": ["B-D-4", "B-D-5"]}, headers=buyer()["headers"]
            )
            for _ in range(20)
        )
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 19
    assert all(r.json()["details"]["unavailable"] for r in responses if r.status_code == 409)


async def test_release_frees_seats_at_once_when_owner_deletes_the_hold(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    owner = buyer()
    hold = (
        await client.post(holds_path(event), json={"seat_ids": ["A-B-1"]}, headers=owner["headers"])
    ).json()
    path = f"{holds_path(event)}/{hold['hold_id']}"

    assert (await client.get(path, headers=owner["headers"])).json()["hold_id"] == hold["hold_id"]
    stranger = buyer()["headers"]
    assert (await client.get(path, headers=stranger)).status_code == 404
    assert (await client.delete(path, headers=stranger)).status_code == 404

    assert (await client.delete(path, headers=owner["headers"])).status_code == 204

    assert (await seat_status(client, event))["A-B-1"] == "available"
    assert (await client.get(path, headers=owner["headers"])).status_code == 404
    again = await client.post(holds_path(event), json={"seat_ids": ["A-B-1"]}, headers=stranger)
    assert again.status_code == 201


async def test_hold_is_401_when_no_token(client: httpx2.AsyncClient, make_event: Any) -> None:
    event = await make_event()
    response = await client.post(holds_path(event), json={"seat_ids": ["A-A-1"]})
    assert response.status_code == 401


async def test_hold_expires_and_seat_is_free_again_when_its_ttl_lapses(
    client: httpx2.AsyncClient, make_event: Any, runtime: Runtime, event_settings: Settings
) -> None:
    event = await make_event()
    event_id = uuid.UUID(event["id"])
    store = HoldStore(runtime.redis, event_settings)
    await client.get(f"/api/events/{event['id']}")  # the sold mirror exists from here on

    hold = await store.hold_seats(
        event_id=event_id,
        user_id=uuid.uuid4(),
        groups=[[Place("A-A-5", "vip", 8000)]],
        currency="USD",
        limits=Limits.none(),
        ttl_seconds=1,
    )
    assert (await seat_status(client, event))["A-A-5"] == "held"

    await eventually(
        lambda: seat_status(client, event),
        until=lambda s: s["A-A-5"] == "available",
        timeout=5,
        what="hold expiry",
    )
    assert await store.get(event_id, hold.hold_id) is None


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"sales_start_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "not yet"),
        (
            {
                "sales_end_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
                "sales_start_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
            },
            "over",
        ),
    ],
    ids=["before-window", "after-window"],
)
async def test_hold_is_409_sales_closed_when_outside_the_sales_window(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    overrides: dict[str, Any],
    expected: str,
) -> None:
    event = await make_event(**overrides)
    if expected == "over":
        await asyncio.sleep(1.1)
    response = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert response.status_code == 409
    assert response.json()["error"] == "sales_closed"


async def test_hold_is_409_sales_closed_when_event_is_a_draft(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any]
) -> None:
    event = await make_event(publish=False)
    response = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=organizer["headers"]
    )
    assert response.status_code == 409
    assert response.json()["error"] == "sales_closed"


async def test_hold_is_409_limit_exceeded_when_over_max_tickets_per_order(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event(max_tickets_per_order=2)
    seats = await client.post(
        holds_path(event),
        json={"seat_ids": ["A-A-1", "A-A-2", "A-A-3"]},
        headers=buyer()["headers"],
    )
    places = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 3}, headers=buyer()["headers"]
    )
    for response in (seats, places):
        assert response.status_code == 409
        assert response.json()["error"] == "limit_exceeded"


@pytest.mark.parametrize(
    "body",
    [
        {"seat_ids": ["A-A-1", "Z-Z-99"]},
        {"tier": "vip", "quantity": 1},
        {"tier": "nope", "quantity": 1},
        {"seat_ids": ["A-A-1", "A-A-1"]},
        {"seat_ids": ["A-A-1"], "tier": "floor", "quantity": 1},
        {},
    ],
    ids=["unknown-seat", "reserved-tier-by-quantity", "unknown-tier", "repeat", "both", "empty"],
)
async def test_hold_is_422_when_body_names_nothing_holdable(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, body: dict[str, Any]
) -> None:
    event = await make_event()
    response = await client.post(holds_path(event), json=body, headers=buyer()["headers"])
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert (await seat_status(client, event))["A-A-1"] == "available"


async def test_exactly_ten_of_15_concurrent_ga_holds_win_when_tier_has_ten_places(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    responses = await asyncio.gather(
        *(
            client.post(
                holds_path(event),
                json={"tier": "floor", "quantity": 1},
                headers=buyer()["headers"],
            )
            for _ in range(15)
        )
    )

    codes = [r.status_code for r in responses]
    assert codes.count(201) == 10 and codes.count(409) == 5
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"seats_unavailable"}
    won = next(r.json() for r in responses if r.status_code == 201)
    assert won["tier"] == "floor" and won["quantity"] == 1 and won["amount"] == 3000
    assert won["seats"] == [{"seat_id": None, "tier": "floor", "price": 3000}]
    floor = next(
        t
        for t in (await client.get(f"/api/events/{event['id']}")).json()["tiers"]
        if t["code"] == "floor"
    )
    assert (floor["held"], floor["available"]) == (10, 0)


async def test_ga_release_gives_the_place_back_when_owner_deletes_the_hold(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    owner = buyer()
    hold = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 10}, headers=owner["headers"]
    )
    assert hold.status_code == 201
    refused = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 1}, headers=buyer()["headers"]
    )
    assert refused.status_code == 409

    path = f"{holds_path(event)}/{hold.json()['hold_id']}"
    assert (await client.delete(path, headers=owner["headers"])).status_code == 204

    again = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 10}, headers=buyer()["headers"]
    )
    assert again.status_code == 201


async def test_lapsed_ga_hold_is_returned_by_the_sweeper_when_its_ttl_passes(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    runtime: Runtime,
    event_settings: Settings,
) -> None:
    event = await make_event()
    event_id = uuid.UUID(event["id"])
    store = HoldStore(runtime.redis, event_settings)
    await client.get(f"/api/events/{event['id']}")  # the sold mirror exists from here on

    await store.hold_general(
        event_id=event_id,
        user_id=uuid.uuid4(),
        tier="floor",
        price=3000,
        quantity=10,
        capacity=10,
        currency="USD",
        limits=Limits.none(),
        ttl_seconds=1,
    )
    refused = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 1}, headers=buyer()["headers"]
    )
    assert refused.status_code == 409

    async def try_hold() -> int:
        response = await client.post(
            holds_path(event), json={"tier": "floor", "quantity": 10}, headers=buyer()["headers"]
        )
        return response.status_code

    await eventually(try_hold, until=lambda code: code == 201, timeout=8, what="GA places back")
