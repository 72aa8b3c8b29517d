"""Booking's messages: confirmed seats become sold for good; cancelled/expired ones free again."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx2
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from event_service.domain import OversellDetected
from event_service.handlers import SUBSCRIPTIONS
from event_service.settings import Settings
from shared.contracts.booking import (
    BookedSeat,
    BookingCancelledV1,
    BookingConfirmedV1,
    BookingExpiredV1,
    EventSummary,
    IssuedTicket,
)
from shared.messaging import Envelope
from shared.runtime import Runtime
from shared.testing.eventually import eventually
from shared.testing.infra import InfraUrls, delete_redis_prefix

pytestmark = pytest.mark.integration


def _seats(hold: dict[str, Any]) -> list[BookedSeat]:
    return [BookedSeat(**s) for s in hold["seats"]]


def confirmed(event: dict[str, Any], hold: dict[str, Any], booking_id: uuid.UUID) -> Any:
    seats = _seats(hold)
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


def ended(
    kind: type[BookingCancelledV1] | type[BookingExpiredV1],
    event: dict[str, Any],
    hold: dict[str, Any],
    booking_id: uuid.UUID,
    *,
    was_confirmed: bool = False,
) -> Any:
    common: dict[str, Any] = {
        "booking_id": booking_id,
        "hold_id": hold["hold_id"],
        "user_id": uuid.uuid4(),
        "user_email": "buyer@example.test",
        "event_id": uuid.UUID(event["id"]),
        "seats": _seats(hold),
    }
    if kind is BookingCancelledV1:
        return BookingCancelledV1(**common, reason="customer", was_confirmed=was_confirmed)
    return BookingExpiredV1(**common)


async def hold_of(
    client: httpx2.AsyncClient, event: dict[str, Any], who: dict[str, Any], body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/events/{event['id']}/holds", json=body, headers=who["headers"]
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def statuses(client: httpx2.AsyncClient, event: dict[str, Any]) -> dict[str, str]:
    seats = (await client.get(f"/api/events/{event['id']}/seats")).json()
    return {s["seat_id"]: s["status"] for s in seats}


async def tier_of(client: httpx2.AsyncClient, event: dict[str, Any], code: str) -> dict[str, Any]:
    detail = (await client.get(f"/api/events/{event['id']}")).json()
    tier: dict[str, Any] = next(t for t in detail["tiers"] if t["code"] == code)
    return tier


def consumed(outcome: str, message_type: str) -> float:
    value = REGISTRY.get_sample_value(
        "ticketing_messages_consumed_total",
        {"service": "event", "type": message_type, "outcome": outcome},
    )
    return value or 0.0


async def test_confirmed_seats_are_sold_and_refused_even_when_redis_forgot_everything(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    send: Any,
    infra: InfraUrls,
    event_settings: Settings,
) -> None:
    event = await make_event()
    hold = await hold_of(client, event, buyer(), {"seat_ids": ["A-A-1", "A-A-2"]})

    await send(confirmed(event, hold, uuid.uuid4()))

    seats = await eventually(
        lambda: statuses(client, event), until=lambda s: s["A-A-1"] == "sold", what="sold"
    )
    assert seats["A-A-2"] == "sold" and seats["A-A-3"] == "available"
    vip = await tier_of(client, event, "vip")
    assert (vip["sold"], vip["held"], vip["available"]) == (2, 0, 8)
    hold_path = f"/api/events/{event['id']}/holds"
    refused = await client.post(
        hold_path, json={"seat_ids": ["A-A-2", "A-A-3"]}, headers=buyer()["headers"]
    )
    assert refused.status_code == 409
    assert refused.json()["details"]["unavailable"] == ["A-A-2"]

    await delete_redis_prefix(infra, event_settings.REDIS_PREFIX)  # Redis loses everything

    after_loss = await client.post(
        hold_path, json={"seat_ids": ["A-A-1", "A-A-3"]}, headers=buyer()["headers"]
    )
    assert after_loss.status_code == 409
    assert after_loss.json()["details"]["unavailable"] == ["A-A-1"]


async def test_duplicate_confirmed_message_is_a_no_op_when_delivered_twice(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, send: Any, runtime: Runtime
) -> None:
    event = await make_event()
    hold = await hold_of(client, event, buyer(), {"seat_ids": ["B-C-1"]})
    booking_id = uuid.uuid4()
    duplicates_before = consumed("duplicate", "booking.confirmed")

    envelope = await send(confirmed(event, hold, booking_id))
    await eventually(lambda: statuses(client, event), until=lambda s: s["B-C-1"] == "sold")
    await send(envelope.data, envelope)

    await eventually(
        lambda: _async(consumed("duplicate", "booking.confirmed")),
        until=lambda n: n == duplicates_before + 1,
        what="duplicate seen",
    )
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                text("SELECT booking_id FROM sold_seat WHERE event_id = :e"), {"e": event["id"]}
            )
        ).all()
    assert [r.booking_id for r in rows] == [booking_id]


async def _async(value: float) -> float:
    return value


async def test_confirm_raises_oversell_when_seat_is_sold_to_another_booking(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, runtime: Runtime
) -> None:
    event = await make_event()
    hold = await hold_of(client, event, buyer(), {"seat_ids": ["B-D-1"]})
    first, second = uuid.uuid4(), uuid.uuid4()
    handler = SUBSCRIPTIONS["booking.confirmed"]

    assert (
        await runtime.consumer.handle(
            Envelope.wrap(confirmed(event, hold, first), producer="booking"), handler
        )
        == "handled"
    )
    with pytest.raises(OversellDetected):
        await runtime.consumer.handle(
            Envelope.wrap(confirmed(event, hold, second), producer="booking"), handler
        )

    async with runtime.sessionmaker() as session:
        owner = await session.scalar(
            text("SELECT booking_id FROM sold_seat WHERE event_id = :e AND seat_id = 'B-D-1'"),
            {"e": event["id"]},
        )
    assert owner == first


async def test_cancel_after_confirm_frees_the_seats_when_booking_cancelled(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, send: Any
) -> None:
    event = await make_event()
    hold = await hold_of(client, event, buyer(), {"seat_ids": ["A-B-3", "A-B-4"]})
    booking_id = uuid.uuid4()
    await send(confirmed(event, hold, booking_id))
    await eventually(lambda: statuses(client, event), until=lambda s: s["A-B-3"] == "sold")

    await send(ended(BookingCancelledV1, event, hold, booking_id, was_confirmed=True))

    seats = await eventually(
        lambda: statuses(client, event), until=lambda s: s["A-B-3"] == "available"
    )
    assert seats["A-B-4"] == "available"
    again = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"seat_ids": ["A-B-3", "A-B-4"]},
        headers=buyer()["headers"],
    )
    assert again.status_code == 201


async def test_expired_booking_releases_its_held_seats_when_never_paid(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, send: Any
) -> None:
    event = await make_event()
    hold = await hold_of(client, event, buyer(), {"seat_ids": ["B-C-5"]})
    assert (await statuses(client, event))["B-C-5"] == "held"

    await send(ended(BookingExpiredV1, event, hold, uuid.uuid4()))

    await eventually(lambda: statuses(client, event), until=lambda s: s["B-C-5"] == "available")


async def test_expiry_of_another_hold_leaves_a_new_holders_seat_alone(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, send: Any, runtime: Runtime
) -> None:
    event = await make_event()
    owner = buyer()
    old = await hold_of(client, event, owner, {"seat_ids": ["B-D-2"]})
    path = f"/api/events/{event['id']}/holds/{old['hold_id']}"
    assert (await client.delete(path, headers=owner["headers"])).status_code == 204
    await hold_of(client, event, buyer(), {"seat_ids": ["B-D-2"]})

    assert (
        await runtime.consumer.handle(
            Envelope.wrap(ended(BookingExpiredV1, event, old, uuid.uuid4()), producer="booking"),
            SUBSCRIPTIONS["booking.expired"],
        )
        == "handled"
    )

    assert (await statuses(client, event))["B-D-2"] == "held"


async def test_ga_sale_counts_as_sold_and_cancel_returns_the_places(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, send: Any
) -> None:
    event = await make_event()
    hold = await hold_of(client, event, buyer(), {"tier": "floor", "quantity": 4})
    booking_id = uuid.uuid4()

    await send(confirmed(event, hold, booking_id))

    floor = await eventually(
        lambda: tier_of(client, event, "floor"), until=lambda t: t["sold"] == 4, what="GA sold"
    )
    assert (floor["held"], floor["available"]) == (0, 6)
    too_many = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"tier": "floor", "quantity": 7},
        headers=buyer()["headers"],
    )
    assert too_many.status_code == 409

    await send(ended(BookingCancelledV1, event, hold, booking_id, was_confirmed=True))

    floor = await eventually(
        lambda: tier_of(client, event, "floor"), until=lambda t: t["sold"] == 0, what="GA back"
    )
    assert floor["available"] == 10
    all_ten = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"tier": "floor", "quantity": 10},
        headers=buyer()["headers"],
    )
    assert all_ten.status_code == 201


async def test_ga_confirm_is_counted_once_when_handled_twice_without_inbox(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, runtime: Runtime
) -> None:
    """Handler conditions alone (no inbox) keep a replayed confirm from selling twice."""
    event = await make_event()
    hold = await hold_of(client, event, buyer(), {"tier": "floor", "quantity": 3})
    message = confirmed(event, hold, uuid.uuid4())
    handler = SUBSCRIPTIONS["booking.confirmed"]

    for _ in range(2):
        async with runtime.sessionmaker() as session, session.begin():
            await handler(session, Envelope.wrap(message, producer="booking"), runtime)

    floor = await tier_of(client, event, "floor")
    assert (floor["sold"], floor["held"], floor["available"]) == (3, 0, 7)
