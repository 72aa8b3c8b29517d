"""Seat holds: all or nothing, one winner under contention, release, expiry, sales window, order
limit; the scripts survive Redis forgetting them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from redis.asyncio import Redis

from event_service.clock import Clock
from event_service.context import Context
from shared.testing.infra import InfraUrls

pytestmark = pytest.mark.integration


async def test_hold_answers_201_with_seats_amount_and_expiry_when_seats_are_free(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
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
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any, statuses: Any
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
    assert (await statuses(event))["A-A-3"] == "available"  # nothing half-held


async def test_exactly_one_of_20_concurrent_holds_wins_when_they_race_for_two_seats(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
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
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any, statuses: Any
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

    assert (await statuses(event))["A-B-1"] == "available"
    assert (await client.get(path, headers=owner["headers"])).status_code == 404
    again = await client.post(holds_path(event), json={"seat_ids": ["A-B-1"]}, headers=stranger)
    assert again.status_code == 201


async def test_hold_is_401_when_no_token(
    client: httpx2.AsyncClient, make_event: Any, holds_path: Any
) -> None:
    event = await make_event()
    response = await client.post(holds_path(event), json={"seat_ids": ["A-A-1"]})
    assert response.status_code == 401


async def test_hold_expires_and_seat_is_free_again_when_its_time_is_up(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    context: Context,
    hold_of: Any,
    statuses: Any,
    lapse: Any,
) -> None:
    event = await make_event()
    hold = await hold_of(event, buyer(), {"seat_ids": ["A-A-5"]})
    event_id, expires = uuid.UUID(event["id"]), datetime.fromisoformat(hold["expires_at"])
    keys, redis = context.holds.keys, context.holds.redis
    assert (await statuses(event))["A-A-5"] == "held"
    # the keys Redis lets go of when the hold's time is up, exactly then
    for key in (keys.seat(event_id, "A-A-5"), keys.record(event_id, hold["hold_id"])):
        assert await redis.pexpiretime(key) == int(expires.timestamp() * 1000)

    await lapse(hold)

    assert (await statuses(event))["A-A-5"] == "available"
    assert await context.holds.get(event_id, hold["hold_id"]) is None
    again = await client.post(
        f"/api/events/{event['id']}/holds", json={"seat_ids": ["A-A-5"]}, headers=buyer()["headers"]
    )
    assert again.status_code == 201, again.text


async def test_hold_is_409_sales_closed_when_the_sales_window_has_not_opened(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
) -> None:
    event = await make_event(sales_start_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    response = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert response.status_code == 409
    assert response.json()["error"] == "sales_closed"


async def test_hold_is_409_sales_closed_when_the_sales_window_has_closed(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any, clock: Clock
) -> None:
    now = datetime.now(UTC)
    event = await make_event(
        sales_start_at=(now - timedelta(days=1)).isoformat(),
        sales_end_at=(now + timedelta(hours=1)).isoformat(),
    )
    opened = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert opened.status_code == 201, opened.text

    clock.advance(timedelta(hours=1, seconds=1))

    response = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=buyer()["headers"]
    )
    assert response.status_code == 409
    assert response.json()["error"] == "sales_closed"


async def test_hold_is_409_sales_closed_when_event_is_a_draft(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], holds_path: Any
) -> None:
    event = await make_event(publish=False)
    response = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=organizer["headers"]
    )
    assert response.status_code == 409
    assert response.json()["error"] == "sales_closed"


async def test_hold_is_409_limit_exceeded_when_over_max_tickets_per_order(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
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
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    body: dict[str, Any],
    holds_path: Any,
    statuses: Any,
) -> None:
    event = await make_event()
    response = await client.post(holds_path(event), json=body, headers=buyer()["headers"])
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert (await statuses(event))["A-A-1"] == "available"


async def test_exactly_ten_of_15_concurrent_ga_holds_win_when_tier_has_ten_places(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
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
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
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


async def test_holds_keep_working_when_redis_forgets_its_scripts(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, infra: InfraUrls, holds_path: Any
) -> None:
    """SCRIPT FLUSH (what a Redis restart does to the script cache) mid-run: NOSCRIPT is
    answered by loading the script again."""
    event = await make_event()
    first = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert first.status_code == 201
    redis = Redis.from_url(infra.redis)
    try:
        await redis.script_flush()
    finally:
        await redis.aclose()

    second = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=buyer()["headers"]
    )
    ga = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 1}, headers=buyer()["headers"]
    )
    clash = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )

    assert (second.status_code, ga.status_code, clash.status_code) == (201, 201, 409)
    assert (await client.get(f"/api/events/{event['id']}")).status_code == 200
