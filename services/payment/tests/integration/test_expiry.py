"""booking.expired: payment's copy learns it, so a new charge is 409 — while a charge already
in flight when the booking expired still lands (booking's late-payment rule decides)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from shared.contracts.booking import BookingCreatedV1, BookingExpiredV1
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration

SLOW = "5555555555554444"


def expired_of(created: BookingCreatedV1) -> BookingExpiredV1:
    return BookingExpiredV1(
        booking_id=created.booking_id,
        hold_id=created.hold_id,
        user_id=created.user_id,
        user_email="lapsed@example.test",
        event_id=created.event_id,
        seats=list(created.seats),
    )


async def copy_of(fetch: Any, booking_id: uuid.UUID) -> list[tuple[Any, ...]]:
    rows = await fetch(
        "SELECT status, amount FROM booking_copy WHERE booking_id = :id", id=booking_id
    )
    return [tuple(r) for r in rows]


async def test_paying_is_409_and_nothing_charged_when_the_booking_expired(
    consumed: Any, make_booking: Any, publish: Any, fetch: Any, pay: Any, processor: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=2500)
    envelope = await publish(expired_of(booking))
    await eventually(lambda: consumed(envelope.id), what="booking.expired consumed")
    charges = len(processor.charges)

    response = await pay(user, booking.booking_id)

    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "invalid_state"
    assert body["details"]["booking_status"] == "expired"
    assert len(processor.charges) == charges
    assert await fetch("SELECT 1 FROM payment WHERE booking_id = :id", id=booking.booking_id) == []
    assert await copy_of(fetch, booking.booking_id) == [("expired", 2500)]


async def test_expiry_before_creation_stays_unpayable_when_created_arrives_late(
    consumed: Any, publish: Any, fetch: Any, created_for: Any, pay: Any
) -> None:
    user = uuid.uuid4()
    created = created_for(user, amount=1200)
    expired = await publish(expired_of(created))
    await eventually(lambda: consumed(expired.id), what="tombstone")
    late = await publish(created)
    await eventually(lambda: consumed(late.id), what="late booking.created")

    assert await copy_of(fetch, created.booking_id) == [("expired", 1200)]
    response = await pay(user, created.booking_id)
    assert response.status_code == 409
    assert response.json()["details"]["booking_status"] == "expired"


async def test_charge_in_flight_still_lands_when_the_booking_expires_meanwhile(
    consumed: Any, make_booking: Any, pay: Any, publish: Any, fetch: Any, outbox: Any, gate: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=3900)
    async with gate:
        paying = asyncio.create_task(pay(user, booking.booking_id, SLOW))

        async def processing() -> Any:
            return await fetch(
                "SELECT 1 FROM payment WHERE booking_id = :id AND status = 'processing'",
                id=booking.booking_id,
            )

        await eventually(processing, what="payment in flight")
        envelope = await publish(expired_of(booking))
        await eventually(lambda: consumed(envelope.id), what="booking.expired consumed")
    response = await paying

    assert response.status_code == 201
    assert response.json()["status"] == "succeeded"  # not refunded: booking decides
    [succeeded] = await outbox("payment.succeeded", booking_id=booking.booking_id)
    assert succeeded["data"]["payment_id"] == response.json()["id"]
    assert await outbox("payment.refunded", booking_id=booking.booking_id) == []
    again = await pay(user, booking.booking_id)
    assert again.status_code == 409


async def test_cancellation_after_expiry_closes_the_copy_when_booking_cancels_late_payment(
    consumed: Any, make_booking: Any, publish: Any, fetch: Any, cancelled_of: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    expired = await publish(expired_of(booking))
    await eventually(lambda: consumed(expired.id), what="expired")
    cancelled = await publish(cancelled_of(booking))
    await eventually(lambda: consumed(cancelled.id), what="cancelled")
    assert [row[0] for row in await copy_of(fetch, booking.booking_id)] == ["cancelled"]

    again = await publish(expired_of(booking))  # an expiry never reopens a cancellation
    await eventually(lambda: consumed(again.id), what="expired again")
    assert [row[0] for row in await copy_of(fetch, booking.booking_id)] == ["cancelled"]
