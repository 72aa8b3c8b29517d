"""Booking's messages: confirmed seats become sold for good; cancelled/expired ones free again
(after the commit only)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from event_service.context import Context
from event_service.domain import OversellDetected
from event_service.handlers import SUBSCRIPTIONS
from event_service.settings import Settings
from shared.contracts.booking import (
    BookedSeat,
    BookingCancelledV1,
    BookingExpiredV1,
)
from shared.db import settle
from shared.messaging import Envelope
from shared.runtime import Runtime
from shared.testing.eventually import eventually
from shared.testing.infra import InfraUrls, delete_redis_prefix

pytestmark = pytest.mark.integration


def _seats(hold: dict[str, Any]) -> list[BookedSeat]:
    return [BookedSeat(**s) for s in hold["seats"]]


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
    publish: Any,
    infra: InfraUrls,
    settings: Settings,
    confirmed: Any,
    hold_of: Any,
    statuses: Any,
    tier_of: Any,
) -> None:
    event = await make_event()
    hold = await hold_of(event, buyer(), {"seat_ids": ["A-A-1", "A-A-2"]})

    await publish(confirmed(event, hold))

    seats = await eventually(
        lambda: statuses(event), until=lambda s: s["A-A-1"] == "sold", what="sold"
    )
    assert seats["A-A-2"] == "sold" and seats["A-A-3"] == "available"
    vip = await tier_of(event, "vip")
    assert (vip["sold"], vip["held"], vip["available"]) == (2, 0, 8)
    hold_path = f"/api/events/{event['id']}/holds"
    refused = await client.post(
        hold_path, json={"seat_ids": ["A-A-2", "A-A-3"]}, headers=buyer()["headers"]
    )
    assert refused.status_code == 409
    assert refused.json()["details"]["unavailable"] == ["A-A-2"]

    await delete_redis_prefix(infra, settings.REDIS_PREFIX)  # Redis loses everything

    after_loss = await client.post(
        hold_path, json={"seat_ids": ["A-A-1", "A-A-3"]}, headers=buyer()["headers"]
    )
    assert after_loss.status_code == 409
    assert after_loss.json()["details"]["unavailable"] == ["A-A-1"]


async def test_duplicate_confirmed_message_is_a_no_op_when_delivered_twice(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    publish: Any,
    runtime: Runtime,
    confirmed: Any,
    hold_of: Any,
    statuses: Any,
) -> None:
    event = await make_event()
    hold = await hold_of(event, buyer(), {"seat_ids": ["B-C-1"]})
    booking_id = uuid.uuid4()
    duplicates_before = consumed("duplicate", "booking.confirmed")

    envelope = await publish(confirmed(event, hold, booking_id=booking_id))
    await eventually(lambda: statuses(event), until=lambda s: s["B-C-1"] == "sold")
    await publish(envelope=envelope)

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
    make_event: Any, buyer: Any, runtime: Runtime, handle: Any, confirmed: Any, hold_of: Any
) -> None:
    event = await make_event()
    hold = await hold_of(event, buyer(), {"seat_ids": ["B-D-1"]})
    first, second = uuid.uuid4(), uuid.uuid4()

    assert await handle(confirmed(event, hold, booking_id=first)) == "handled"
    with pytest.raises(OversellDetected):
        await handle(confirmed(event, hold, booking_id=second))

    async with runtime.sessionmaker() as session:
        owner = await session.scalar(
            text("SELECT booking_id FROM sold_seat WHERE event_id = :e AND seat_id = 'B-D-1'"),
            {"e": event["id"]},
        )
    assert owner == first


async def test_cancel_after_confirm_frees_the_seats_when_booking_cancelled(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    publish: Any,
    confirmed: Any,
    hold_of: Any,
    statuses: Any,
) -> None:
    event = await make_event()
    hold = await hold_of(event, buyer(), {"seat_ids": ["A-B-3", "A-B-4"]})
    booking_id = uuid.uuid4()
    await publish(confirmed(event, hold, booking_id=booking_id))
    await eventually(lambda: statuses(event), until=lambda s: s["A-B-3"] == "sold")

    await publish(ended(BookingCancelledV1, event, hold, booking_id, was_confirmed=True))

    seats = await eventually(lambda: statuses(event), until=lambda s: s["A-B-3"] == "available")
    assert seats["A-B-4"] == "available"
    again = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"seat_ids": ["A-B-3", "A-B-4"]},
        headers=buyer()["headers"],
    )
    assert again.status_code == 201


async def test_expired_booking_releases_its_held_seats_when_never_paid(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    publish: Any,
    hold_of: Any,
    statuses: Any,
) -> None:
    event = await make_event()
    hold = await hold_of(event, buyer(), {"seat_ids": ["B-C-5"]})
    assert (await statuses(event))["B-C-5"] == "held"

    await publish(ended(BookingExpiredV1, event, hold, uuid.uuid4()))

    await eventually(lambda: statuses(event), until=lambda s: s["B-C-5"] == "available")


async def test_expiry_of_another_hold_leaves_a_new_holders_seat_alone(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    handle: Any,
    hold_of: Any,
    statuses: Any,
) -> None:
    event = await make_event()
    owner = buyer()
    old = await hold_of(event, owner, {"seat_ids": ["B-D-2"]})
    path = f"/api/events/{event['id']}/holds/{old['hold_id']}"
    assert (await client.delete(path, headers=owner["headers"])).status_code == 204
    await hold_of(event, buyer(), {"seat_ids": ["B-D-2"]})

    assert await handle(ended(BookingExpiredV1, event, old, uuid.uuid4())) == "handled"

    assert (await statuses(event))["B-D-2"] == "held"


async def test_ga_sale_counts_as_sold_and_cancel_returns_the_places(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    publish: Any,
    confirmed: Any,
    hold_of: Any,
    tier_of: Any,
) -> None:
    event = await make_event()
    hold = await hold_of(event, buyer(), {"tier": "floor", "quantity": 4})
    booking_id = uuid.uuid4()

    await publish(confirmed(event, hold, booking_id=booking_id))

    floor = await eventually(
        lambda: tier_of(event, "floor"), until=lambda t: t["sold"] == 4, what="GA sold"
    )
    assert (floor["held"], floor["available"]) == (0, 6)
    too_many = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"tier": "floor", "quantity": 7},
        headers=buyer()["headers"],
    )
    assert too_many.status_code == 409

    await publish(ended(BookingCancelledV1, event, hold, booking_id, was_confirmed=True))

    floor = await eventually(
        lambda: tier_of(event, "floor"), until=lambda t: t["sold"] == 0, what="GA back"
    )
    assert floor["available"] == 10
    all_ten = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"tier": "floor", "quantity": 10},
        headers=buyer()["headers"],
    )
    assert all_ten.status_code == 201


async def test_ga_confirm_is_counted_once_when_handled_twice_without_inbox(
    make_event: Any,
    buyer: Any,
    runtime: Runtime,
    context: Context,
    confirmed: Any,
    hold_of: Any,
    tier_of: Any,
) -> None:
    """Handler conditions alone (no inbox) keep a replayed confirm from selling twice."""
    event = await make_event()
    hold = await hold_of(event, buyer(), {"tier": "floor", "quantity": 3})
    message = confirmed(event, hold)
    handler = SUBSCRIPTIONS["booking.confirmed"]

    for _ in range(2):
        async with runtime.sessionmaker() as session, session.begin():
            await handler(session, Envelope.wrap(message, producer="booking"), context)

    floor = await tier_of(event, "floor")
    assert (floor["sold"], floor["held"], floor["available"]) == (3, 0, 7)


async def test_expired_booking_frees_the_hold_only_after_commit(
    make_event: Any,
    buyer: Any,
    runtime: Runtime,
    context: Context,
    hold_of: Any,
    statuses: Any,
) -> None:
    """The undo's Redis effect is an after-commit job: a rolled-back handler frees nothing."""
    event = await make_event()
    hold = await hold_of(event, buyer(), {"seat_ids": ["A-B-5"]})
    message = ended(BookingExpiredV1, event, hold, uuid.uuid4())
    expire = SUBSCRIPTIONS["booking.expired"]

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with runtime.sessionmaker() as session, session.begin():
            await expire(session, Envelope.wrap(message, producer="booking"), context)
            raise Boom
    await settle()
    assert (await statuses(event))["A-B-5"] == "held"

    async with runtime.sessionmaker() as session, session.begin():
        await expire(session, Envelope.wrap(message, producer="booking"), context)
    await settle()
    assert (await statuses(event))["A-B-5"] == "available"
