"""Selling every seat exactly once under a stampede — through the real gateway, real limits.

Each buyer is a real user with its own loopback source address (its own rate-limit bucket at the
gateway, 10 r/s burst 20 — the limit is not lifted). The buyers here use 127.44.x.y, their own
range, so the shared ``client_factory`` pool (127.0.0.10-249) stays for the other e2e modules.
One pool of 120 buyers is registered once for the whole module.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from redis.asyncio import Redis

from devstack.stack import RunningStack
from shared.testing.eventually import eventually

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
BUYERS = 120


@dataclass
class Actor:
    http: httpx2.AsyncClient
    user: dict[str, Any]
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _client(stack: RunningStack, n: int) -> httpx2.AsyncClient:
    address = f"127.44.{n // 250}.{n % 250 + 1}"
    transport = httpx2.AsyncHTTPTransport(local_address=address)
    return httpx2.AsyncClient(base_url=stack.gateway_url, transport=transport, timeout=30)


async def _login(http: httpx2.AsyncClient, email: str) -> str:
    response = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _register(stack: RunningStack, n: int, name: str) -> Actor:
    http = _client(stack, n)
    email = f"{name}-{uuid.uuid4().hex[:10]}@example.test"
    response = await http.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "full_name": name}
    )
    assert response.status_code == 201, response.text
    return Actor(http, response.json(), await _login(http, email))


@pytest.fixture(scope="module")
async def actors(
    stack: RunningStack, admin_credentials: tuple[str, str]
) -> AsyncIterator[tuple[Actor, list[Actor]]]:
    """An organizer and 120 buyers, each on its own address."""
    gate = asyncio.Semaphore(12)

    async def register(n: int, name: str) -> Actor:
        async with gate:
            return await _register(stack, n, name)

    organizer = await register(0, "olga")
    admin_http = _client(stack, 1)
    response = await admin_http.post(
        "/api/auth/login",
        json={"email": admin_credentials[0], "password": admin_credentials[1]},
    )
    assert response.status_code == 200, response.text
    admin = response.json()["access_token"]
    promoted = await admin_http.patch(
        f"/api/auth/admin/users/{organizer.user['id']}",
        json={"role": "organizer"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert promoted.status_code == 200, promoted.text
    organizer.token = await _login(organizer.http, organizer.user["email"])
    buyers = list(await asyncio.gather(*(register(10 + i, f"buyer{i}") for i in range(BUYERS))))
    yield organizer, buyers
    for actor in [organizer, *buyers]:
        await actor.http.aclose()
    await admin_http.aclose()


async def _event(organizer: Actor, **overrides: Any) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=20)
    body: dict[str, Any] = {
        "title": f"Stampede {uuid.uuid4().hex[:6]}",
        "description": "Everyone wants in.",
        "location": "Stadium, Nairobi",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "currency": "USD",
        "max_tickets_per_order": 6,
        "max_tickets_per_buyer": 6,
        "tiers": [
            {"code": "front", "name": "Front", "price": 5000},
            {"code": "floor", "name": "Floor", "price": 2000, "capacity": 50},
        ],
        "seating": [{"section": "A", "tier": "front", "rows": ["A", "B"], "seats_per_row": 12}],
    }
    body.update(overrides)
    created = await organizer.http.post("/api/events", json=body, headers=organizer.headers)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    published = await organizer.http.post(
        f"/api/events/{event_id}/publish", headers=organizer.headers
    )
    assert published.status_code == 200, published.text
    return dict(published.json())


async def _hold(actor: Actor, event: dict[str, Any], body: dict[str, Any]) -> httpx2.Response:
    return await actor.http.post(
        f"/api/events/{event['id']}/holds", json=body, headers=actor.headers
    )


async def _seat_map(actor: Actor, event: dict[str, Any]) -> dict[str, str]:
    response = await actor.http.get(f"/api/events/{event['id']}/seats")
    assert response.status_code == 200
    return {s["seat_id"]: s["status"] for s in response.json()}


async def test_exactly_one_of_40_buyers_gets_two_seats_when_all_race_for_them(
    actors: tuple[Actor, list[Actor]],
) -> None:
    organizer, buyers = actors
    event = await _event(organizer)
    wanted = {"seat_ids": ["A-A-6", "A-A-7"]}

    responses = await asyncio.gather(*(_hold(b, event, wanted) for b in buyers[:40]))

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 39, codes
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["error"] == "seats_unavailable"
            assert sorted(body["details"]["unavailable"]) == ["A-A-6", "A-A-7"]
    seats = await _seat_map(buyers[0], event)
    assert (seats["A-A-6"], seats["A-A-7"], seats["A-A-5"]) == ("held", "held", "available")


async def test_no_seat_is_in_two_holds_when_30_overlapping_requests_race(
    actors: tuple[Actor, list[Actor]],
) -> None:
    organizer, buyers = actors
    event = await _event(organizer)
    # 30 requests of 3 adjacent seats starting at every offset of row A (1..10), three times over
    asks = [[f"A-A-{start + k}" for k in range(3)] for start in list(range(1, 11)) * 3]

    responses = await asyncio.gather(
        *(_hold(b, event, {"seat_ids": ask}) for b, ask in zip(buyers[40:70], asks, strict=True))
    )

    won = [
        (b, r.json()) for b, r in zip(buyers[40:70], responses, strict=True) if r.status_code == 201
    ]
    lost = [r for r in responses if r.status_code != 201]
    assert won and all(r.status_code == 409 for r in lost)
    held = [s["seat_id"] for _, hold in won for s in hold["seats"]]
    assert len(held) == len(set(held)), "a seat is in two holds"
    assert all(len(hold["seats"]) == 3 for _, hold in won)  # all or nothing
    seats = await _seat_map(buyers[0], event)
    assert {s for s, status in seats.items() if status == "held"} == set(held)
    for buyer, hold in won:  # each winner sees exactly its own hold
        mine = await buyer.http.get(
            f"/api/events/{event['id']}/holds/{hold['hold_id']}", headers=buyer.headers
        )
        assert mine.status_code == 200 and mine.json()["seats"] == hold["seats"]


async def test_exactly_50_of_120_buyers_hold_a_place_when_the_tier_has_50(
    actors: tuple[Actor, list[Actor]],
) -> None:
    organizer, buyers = actors
    event = await _event(organizer)

    responses = await asyncio.gather(
        *(_hold(b, event, {"tier": "floor", "quantity": 1}) for b in buyers)
    )

    codes = [r.status_code for r in responses]
    assert codes.count(201) == 50 and codes.count(409) == 70, sorted(set(codes))
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"seats_unavailable"}
    detail = (await buyers[0].http.get(f"/api/events/{event['id']}")).json()
    floor = next(t for t in detail["tiers"] if t["code"] == "floor")
    assert (floor["held"], floor["sold"], floor["available"]) == (50, 0, 0)


async def test_buyer_limit_holds_across_two_holds_of_one_buyer(
    actors: tuple[Actor, list[Actor]],
) -> None:
    organizer, buyers = actors
    event = await _event(organizer, max_tickets_per_buyer=3)
    me = buyers[71]

    first = await _hold(me, event, {"seat_ids": ["A-B-1", "A-B-2"]})
    second = await _hold(me, event, {"tier": "floor", "quantity": 2})
    third = await _hold(me, event, {"tier": "floor", "quantity": 1})

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
    hold = await _hold(buyer, event, {"seat_ids": ["A-B-11", "A-B-12"]})
    assert hold.status_code == 201, hold.text
    booking = await buyer.http.post(
        "/api/bookings",
        json={"hold_id": hold.json()["hold_id"]},
        headers=buyer.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert booking.status_code == 201, booking.text
    payment = await buyer.http.post(
        "/api/payments",
        json={
            "booking_id": booking.json()["id"],
            "card_number": "4242424242424242",
            "exp_month": 12,
            "exp_year": datetime.now(UTC).year + 2,
            "cvc": "123",
        },
        headers=buyer.headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert payment.status_code == 201, payment.text
    await eventually(
        lambda: _seat_map(other, event),
        until=lambda s: s["A-B-11"] == "sold" and s["A-B-12"] == "sold",
        timeout=30,
        what="seats sold",
    )
    held = await _hold(other, event, {"seat_ids": ["A-A-1"]})  # a live hold, lost with Redis
    assert held.status_code == 201

    assert await _delete_event_keys(stack, event["id"]) > 0

    refused = await _hold(rival, event, {"seat_ids": ["A-B-10", "A-B-11", "A-B-12"]})
    assert refused.status_code == 409, refused.text
    assert sorted(refused.json()["details"]["unavailable"]) == ["A-B-11", "A-B-12"]
    picked = await _hold(rival, event, {"tier": "front", "quantity": 2, "best_available": True})
    assert picked.status_code == 201
    assert not {"A-B-11", "A-B-12"} & {s["seat_id"] for s in picked.json()["seats"]}
    detail = (await rival.http.get(f"/api/events/{event['id']}")).json()
    front = next(t for t in detail["tiers"] if t["code"] == "front")
    assert front["sold"] == 2 and front["available"] + front["held"] + front["sold"] == 24
