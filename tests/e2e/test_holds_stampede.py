"""Selling every seat exactly once under a stampede — through the real gateway, real limits.

Each buyer is a real user with its own loopback source address (its own rate-limit bucket at the
gateway, 10 r/s burst 20 — the limit is not lifted). One pool of 120 buyers is registered once
for the whole module.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from devstack.stack import RunningStack
from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    Actor,
    Cast,
    book_hold,
    event_body,
    pay,
    published_event,
    seat_statuses,
    tier_of,
    try_hold,
)

pytestmark = pytest.mark.e2e

BUYERS = 120


@pytest.fixture(scope="module")
async def actors(
    stack: RunningStack, admin_credentials: tuple[str, str]
) -> AsyncIterator[tuple[Actor, list[Actor]]]:
    """An organizer and 120 buyers, each on its own address."""
    gate = asyncio.Semaphore(12)
    async with Cast(stack.gateway_url, timeout=30) as cast:

        async def person(name: str) -> Actor:
            async with gate:
                return await cast.person(name)

        organizer = await cast.organizer(await cast.admin(admin_credentials), "olga")
        buyers = list(await asyncio.gather(*(person(f"buyer{i}") for i in range(BUYERS))))
        yield organizer, buyers


async def _event(organizer: Actor, **overrides: Any) -> dict[str, Any]:
    """Seated front rows A and B (12 each) and a 50-place standing floor, on sale."""
    body = event_body(
        title=f"Stampede {uuid.uuid4().hex[:6]}",
        location="Stadium, Nairobi",
        tiers=[
            {"code": "front", "name": "Front", "price": 5000},
            {"code": "floor", "name": "Floor", "price": 2000, "capacity": 50},
        ],
        seating=[{"section": "A", "tier": "front", "rows": ["A", "B"], "seats_per_row": 12}],
    )
    return await published_event(organizer, body | overrides)


async def test_exactly_one_of_40_buyers_gets_two_seats_when_all_race_for_them(
    actors: tuple[Actor, list[Actor]],
) -> None:
    organizer, buyers = actors
    event = await _event(organizer)
    wanted = {"seat_ids": ["A-A-6", "A-A-7"]}

    responses = await asyncio.gather(*(try_hold(b, event["id"], wanted) for b in buyers[:40]))

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 39, codes
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["error"] == "seats_unavailable"
            assert sorted(body["details"]["unavailable"]) == ["A-A-6", "A-A-7"]
    seats = await seat_statuses(buyers[0], event["id"])
    assert (seats["A-A-6"], seats["A-A-7"], seats["A-A-5"]) == ("held", "held", "available")


async def test_no_seat_is_in_two_holds_when_30_overlapping_requests_race(
    actors: tuple[Actor, list[Actor]],
) -> None:
    organizer, buyers = actors
    event = await _event(organizer)
    # 30 requests of 3 adjacent seats starting at every offset of row A (1..10), three times over
    asks = [[f"A-A-{start + k}" for k in range(3)] for start in list(range(1, 11)) * 3]

    responses = await asyncio.gather(
        *(
            try_hold(b, event["id"], {"seat_ids": ask})
            for b, ask in zip(buyers[40:70], asks, strict=True)
        )
    )

    won = [
        (b, r.json()) for b, r in zip(buyers[40:70], responses, strict=True) if r.status_code == 201
    ]
    lost = [r for r in responses if r.status_code != 201]
    assert won and all(r.status_code == 409 for r in lost)
    held = [s["seat_id"] for _, hold in won for s in hold["seats"]]
    assert len(held) == len(set(held)), "a seat is in two holds"
    assert all(len(hold["seats"]) == 3 for _, hold in won)  # all or nothing
    seats = await seat_statuses(buyers[0], event["id"])
    assert {s for s, status in seats.items() if status == "held"} == set(held)
    for buyer, hold in won:  # each winner sees exactly its own hold
        mine = await buyer.get(f"/api/events/{event['id']}/holds/{hold['hold_id']}")
        assert mine.status_code == 200 and mine.json()["seats"] == hold["seats"]


async def test_exactly_50_of_120_buyers_hold_a_place_when_the_tier_has_50(
    actors: tuple[Actor, list[Actor]],
) -> None:
    organizer, buyers = actors
    event = await _event(organizer)

    responses = await asyncio.gather(
        *(try_hold(b, event["id"], {"tier": "floor", "quantity": 1}) for b in buyers)
    )

    codes = [r.status_code for r in responses]
    assert codes.count(201) == 50 and codes.count(409) == 70, sorted(set(codes))
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"seats_unavailable"}
    floor = await tier_of(buyers[0], event["id"], "floor")
    assert (floor["held"], floor["sold"], floor["available"]) == (50, 0, 0)


async def test_buyer_limit_holds_across_two_holds_of_one_buyer(
    actors: tuple[Actor, list[Actor]],
) -> None:
    organizer, buyers = actors
    event = await _event(organizer, max_tickets_per_buyer=3)
    me = buyers[71]

    first = await try_hold(me, event["id"], {"seat_ids": ["A-B-1", "A-B-2"]})
    second = await try_hold(me, event["id"], {"tier": "floor", "quantity": 2})
    third = await try_hold(me, event["id"], {"tier": "floor", "quantity": 1})

    assert first.status_code == 201
    assert second.status_code == 409
    body = second.json()
    assert body["error"] == "limit_exceeded"
    assert (body["details"]["limit"], body["details"]["current"]) == (3, 2)
    assert third.status_code == 201


async def _delete_event_keys(stack: RunningStack, event_id: str) -> int:
    """Every Redis key of this event — only under this stack's prefix."""
    prefix = stack.config.redis_prefix
    assert prefix, "refusing to touch keys outside a test stack"
    redis = Redis.from_url(stack.config.redis_url)
    try:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}event:*{{{event_id}}}*")]
        if keys:
            await redis.unlink(*keys)
        return len(keys)
    finally:
        await redis.aclose()


async def test_sold_seats_stay_unsellable_when_redis_loses_the_event_mid_sale(
    stack: RunningStack, actors: tuple[Actor, list[Actor]]
) -> None:
    organizer, buyers = actors
    event = await _event(organizer)
    buyer, rival, other = buyers[72], buyers[73], buyers[74]
    hold = await try_hold(buyer, event["id"], {"seat_ids": ["A-B-11", "A-B-12"]})
    assert hold.status_code == 201, hold.text
    booking = await book_hold(buyer, hold.json()["hold_id"], key=uuid.uuid4().hex)
    payment = await pay(buyer, booking["id"], key=uuid.uuid4().hex)
    assert payment.status_code == 201, payment.text
    await eventually(
        lambda: seat_statuses(other, event["id"]),
        until=lambda s: s["A-B-11"] == "sold" and s["A-B-12"] == "sold",
        timeout=30,
        what="seats sold",
    )
    held = await try_hold(
        other, event["id"], {"seat_ids": ["A-A-1"]}
    )  # a live hold, lost with Redis
    assert held.status_code == 201

    assert await _delete_event_keys(stack, event["id"]) > 0

    refused = await try_hold(rival, event["id"], {"seat_ids": ["A-B-10", "A-B-11", "A-B-12"]})
    assert refused.status_code == 409, refused.text
    assert sorted(refused.json()["details"]["unavailable"]) == ["A-B-11", "A-B-12"]
    picked = await try_hold(
        rival, event["id"], {"tier": "front", "quantity": 2, "best_available": True}
    )
    assert picked.status_code == 201
    assert not {"A-B-11", "A-B-12"} & {s["seat_id"] for s in picked.json()["seats"]}
    front = await tier_of(rival, event["id"], "front")
    assert front["sold"] == 2 and front["available"] + front["held"] + front["sold"] == 24
