"""Best available, per-buyer limits, script reloads, the re-take, the sweeper index."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from redis.asyncio import Redis

from event_service.handlers import SUBSCRIPTIONS
from event_service.holds import HoldStore
from event_service.service.tx import settle
from event_service.settings import Settings
from shared.contracts.booking import (
    BookedSeat,
    BookingConfirmedV1,
    BookingExpiredV1,
    EventSummary,
    IssuedTicket,
)
from shared.http import internal_headers
from shared.messaging import Envelope
from shared.runtime import Runtime
from shared.testing.eventually import eventually
from shared.testing.infra import InfraUrls


def confirmed(event: dict[str, Any], hold: dict[str, Any], booking_id: uuid.UUID) -> Any:
    seats = [BookedSeat(**s) for s in hold["seats"]]
    return BookingConfirmedV1(
        booking_id=booking_id,
        hold_id=hold["hold_id"],
        user_id=uuid.uuid4(),
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


pytestmark = pytest.mark.integration


def holds_path(event: dict[str, Any]) -> str:
    return f"/api/events/{event['id']}/holds"


async def tier_of(client: httpx2.AsyncClient, event: dict[str, Any], code: str) -> dict[str, Any]:
    detail = (await client.get(f"/api/events/{event['id']}")).json()
    tier: dict[str, Any] = next(t for t in detail["tiers"] if t["code"] == code)
    return tier


async def test_best_available_picks_adjacent_seats_in_one_row_when_a_row_has_them(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    # A-A-2 taken: the first run of 3 adjacent free seats in row A is 3..5
    taken = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=buyer()["headers"]
    )
    assert taken.status_code == 201

    response = await client.post(
        holds_path(event),
        json={"tier": "vip", "quantity": 3, "best_available": True},
        headers=buyer()["headers"],
    )

    assert response.status_code == 201, response.text
    assert [s["seat_id"] for s in response.json()["seats"]] == ["A-A-3", "A-A-4", "A-A-5"]
    assert response.json()["amount"] == 3 * 8000


async def test_best_available_falls_back_to_the_tightest_row_when_no_row_has_a_run(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    blockers = ["A-A-2", "A-A-4", "A-B-2", "A-B-3", "A-B-5"]
    assert (
        await client.post(
            holds_path(event), json={"seat_ids": blockers}, headers=buyer()["headers"]
        )
    ).status_code == 201

    response = await client.post(
        holds_path(event),
        json={"tier": "vip", "quantity": 3, "best_available": True},
        headers=buyer()["headers"],
    )

    assert response.status_code == 201, response.text
    assert [s["seat_id"] for s in response.json()["seats"]] == ["A-A-1", "A-A-3", "A-A-5"]


async def test_best_available_never_gives_a_seat_twice_when_many_race(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    responses = await asyncio.gather(
        *(
            client.post(
                holds_path(event),
                json={"tier": "standard", "quantity": 2, "best_available": True},
                headers=buyer()["headers"],
            )
            for _ in range(7)
        )
    )

    won = [r.json() for r in responses if r.status_code == 201]
    seats = [s["seat_id"] for hold in won for s in hold["seats"]]
    assert len(won) == 5 and len(seats) == len(set(seats)) == 10  # 10 standard seats in all
    assert {r.json()["error"] for r in responses if r.status_code != 201} == {"seats_unavailable"}
    adjacent = 0
    for hold in won:
        (s1, s2) = (h["seat_id"].split("-") for h in hold["seats"])
        adjacent += s1[:2] == s2[:2] and int(s2[2]) == int(s1[2]) + 1
    assert adjacent == 4  # rows of 5: two adjacent pairs per row, the last pair spans two rows


@pytest.mark.parametrize(
    "body",
    [
        {"tier": "floor", "quantity": 1, "best_available": True},
        {"seat_ids": ["A-A-1"], "best_available": True},
    ],
    ids=["general-admission-tier", "with-seat-ids"],
)
async def test_best_available_is_422_when_it_cannot_apply(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, body: dict[str, Any]
) -> None:
    event = await make_event()
    response = await client.post(holds_path(event), json=body, headers=buyer()["headers"])
    assert response.status_code == 422, response.text


async def test_buyer_limit_counts_places_across_holds_when_the_buyer_holds_twice(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event(max_tickets_per_buyer=4)
    me = buyer()
    first = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1", "A-A-2"]}, headers=me["headers"]
    )
    second = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 2}, headers=me["headers"]
    )
    third = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-3"]}, headers=me["headers"]
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert third.status_code == 409
    body = third.json()
    assert body["error"] == "limit_exceeded"
    assert (body["details"]["limit"], body["details"]["current"]) == (4, 4)
    other = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-3"]}, headers=buyer()["headers"]
    )
    assert other.status_code == 201  # the limit is per buyer

    released = await client.delete(
        f"{holds_path(event)}/{first.json()['hold_id']}", headers=me["headers"]
    )
    assert released.status_code == 204
    again = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-4", "A-A-5"]}, headers=me["headers"]
    )
    assert again.status_code == 201


async def test_buyer_limit_counts_sold_places_when_a_booking_was_confirmed(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, send: Any
) -> None:
    event = await make_event(max_tickets_per_buyer=3)
    me = buyer()
    hold = (
        await client.post(
            holds_path(event), json={"seat_ids": ["B-C-1", "B-C-2"]}, headers=me["headers"]
        )
    ).json()
    message = confirmed(event, hold, uuid.uuid4()).model_copy(update={"user_id": me["id"]})

    await send(message)
    await eventually(lambda: tier_of(client, event, "standard"), until=lambda t: t["sold"] == 2)

    refused = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 2}, headers=me["headers"]
    )
    assert refused.status_code == 409
    assert refused.json()["details"]["current"] == 2
    ok = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 1}, headers=me["headers"]
    )
    assert ok.status_code == 201


async def test_holds_keep_working_when_redis_forgets_its_scripts(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, infra: InfraUrls
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


async def test_claim_answer_names_the_organizer_when_booking_claims(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    organizer: dict[str, Any],
    event_settings: Settings,
) -> None:
    event = await make_event()
    me = buyer()
    hold = (
        await client.post(holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=me["headers"])
    ).json()
    response = await client.post(
        f"/internal/holds/{hold['hold_id']}/claim",
        json={"user_id": str(me["id"]), "extend_seconds": 60},
        headers=internal_headers(event_settings),
    )
    assert response.status_code == 200
    assert response.json()["event"]["organizer_id"] == str(organizer["id"])


async def _retake(
    client: httpx2.AsyncClient, settings: Settings, body: dict[str, Any]
) -> httpx2.Response:
    return await client.post(
        "/internal/holds/retake", json=body, headers=internal_headers(settings)
    )


async def test_retake_answers_201_with_a_claimed_hold_when_the_seats_are_free(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, event_settings: Settings
) -> None:
    event = await make_event()
    me = buyer()
    response = await _retake(
        client,
        event_settings,
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
        headers=internal_headers(event_settings),
    )
    assert claim.status_code == 200 and claim.json()["expires_at"] == body["expires_at"]
    taken = await client.post(
        holds_path(event), json={"seat_ids": ["A-B-2"]}, headers=buyer()["headers"]
    )
    assert taken.status_code == 409


async def test_retake_of_general_admission_takes_the_places_when_some_are_left(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, event_settings: Settings
) -> None:
    event = await make_event()
    body = {
        "event_id": event["id"],
        "user_id": str(buyer()["id"]),
        "seats": [{"seat_id": None, "tier": "floor"}] * 3,
    }
    response = await _retake(client, event_settings, body)
    assert response.status_code == 201, response.text
    assert response.json()["quantity"] == 3
    # another buyer (the first would be over max_tickets_per_buyer): 3 + 8 > 10 places
    other = {"user_id": str(buyer()["id"]), "seats": [{"tier": "floor"}] * 8}
    too_many = await _retake(client, event_settings, body | other)
    assert too_many.status_code == 409 and too_many.json()["error"] == "seats_unavailable"


async def test_retake_is_409_seats_unavailable_when_a_seat_is_held_or_sold(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, send: Any, event_settings: Settings
) -> None:
    event = await make_event()
    await client.post(holds_path(event), json={"seat_ids": ["B-D-1"]}, headers=buyer()["headers"])
    sold_hold = (
        await client.post(
            holds_path(event), json={"seat_ids": ["B-D-2"]}, headers=buyer()["headers"]
        )
    ).json()
    await send(confirmed(event, sold_hold, uuid.uuid4()))
    await eventually(lambda: tier_of(client, event, "standard"), until=lambda t: t["sold"] == 1)

    for seat in ("B-D-1", "B-D-2"):
        response = await _retake(
            client,
            event_settings,
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
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], event_settings: Settings
) -> None:
    event = await make_event()
    assert (
        await client.post(f"/api/events/{event['id']}/cancel", headers=organizer["headers"])
    ).status_code == 200
    response = await _retake(
        client,
        event_settings,
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
    client: httpx2.AsyncClient, make_event: Any, event_settings: Settings, seats: list[Any]
) -> None:
    event = await make_event()
    response = await _retake(
        client,
        event_settings,
        {"event_id": event["id"], "user_id": str(uuid.uuid4()), "seats": seats},
    )
    assert response.status_code == 422, response.text


async def test_sweeper_index_lists_only_events_with_general_admission_holds(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, runtime: Runtime
) -> None:
    store: HoldStore = runtime.state.ctx.holds
    seated, standing = await make_event(), await make_event()
    await client.post(holds_path(seated), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"])
    hold = (
        await client.post(
            holds_path(standing),
            json={"tier": "floor", "quantity": 1},
            headers=(me := buyer())["headers"],
        )
    ).json()

    index = store.keys.sweep()
    assert await runtime.redis.zscore(index, standing["id"]) is not None
    assert await runtime.redis.zscore(index, seated["id"]) is None

    await client.delete(f"{holds_path(standing)}/{hold['hold_id']}", headers=me["headers"])
    await store.redis.zadd(index, {standing["id"]: 0})  # due now: the next pass visits it
    await eventually(
        lambda: runtime.redis.zscore(index, standing["id"]),
        until=lambda s: s is None,
        what="entry gone",
    )


async def test_expired_booking_frees_the_hold_only_after_commit(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, runtime: Runtime
) -> None:
    """The undo's Redis effect is an after-commit job: a rolled-back handler frees nothing."""
    event = await make_event()
    hold = (
        await client.post(
            holds_path(event), json={"seat_ids": ["A-B-5"]}, headers=buyer()["headers"]
        )
    ).json()
    message = BookingExpiredV1(
        booking_id=uuid.uuid4(),
        hold_id=hold["hold_id"],
        user_id=uuid.uuid4(),
        user_email="x@example.test",
        event_id=uuid.UUID(event["id"]),
        seats=[BookedSeat(**s) for s in hold["seats"]],
    )

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with runtime.sessionmaker() as session, session.begin():
            await SUBSCRIPTIONS["booking.expired"](
                session, Envelope.wrap(message, producer="booking"), runtime
            )
            raise Boom
    await settle()
    seats = {
        s["seat_id"]: s["status"]
        for s in (await client.get(f"/api/events/{event['id']}/seats")).json()
    }
    assert seats["A-B-5"] == "held"

    async with runtime.sessionmaker() as session, session.begin():
        await SUBSCRIPTIONS["booking.expired"](
            session, Envelope.wrap(message, producer="booking"), runtime
        )
    await settle()
    seats = {
        s["seat_id"]: s["status"]
        for s in (await client.get(f"/api/events/{event['id']}/seats")).json()
    }
    assert seats["A-B-5"] == "available"
