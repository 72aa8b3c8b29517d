"""Late payments (the re-take rule), refunds, and messages that come twice or out of order."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.contracts.payment import PaymentFailedV1
from shared.errors import UpstreamUnavailable
from shared.messaging import Envelope

pytestmark = [pytest.mark.integration]


async def test_late_payment_retakes_seats_and_confirms_when_they_are_still_free(
    customer: Any,
    book: Any,
    expire: Any,
    handle: Any,
    paid: Any,
    fake_event: Any,
    booking_row: Any,
    outbox: Any,
    seat_statuses: Any,
) -> None:
    user = customer()
    seats = [("L-A-1", "vip", 8000), (None, "floor", 3000)]
    booking = (await book(user, seats=seats)).json()
    await expire(booking["id"])
    payment = paid(booking)

    assert await handle(payment) == "handled"

    row = await booking_row(booking["id"])
    assert row.status == "confirmed" and row.payment_id == payment.payment_id
    [retake] = [r for r in fake_event.retakes if r.body["user_id"] == booking["user_id"]]
    assert retake.status == 201
    assert retake.body["event_id"] == booking["event_id"]
    assert retake.body["seats"] == [
        {"seat_id": "L-A-1", "tier": "vip"},
        {"seat_id": None, "tier": "floor"},
    ]
    assert retake.body["ttl_seconds"] > 0
    # the earlier hold is named, so event does not count its places against the buyer twice
    assert retake.body["hold_id"] == booking["hold_id"]
    assert row.hold_id != booking["hold_id"] and row.hold_id.startswith("retake-")
    [confirmed] = await outbox("booking.confirmed", booking_id=booking["id"])
    assert confirmed["data"]["hold_id"] == row.hold_id  # event drops the NEW hold
    assert [t["seat_id"] for t in confirmed["data"]["tickets"]] == ["L-A-1", None]
    assert await seat_statuses(booking["id"]) == ["confirmed", "confirmed"]
    assert await outbox("booking.cancelled", booking_id=booking["id"]) == []


async def test_late_payment_cancels_for_refund_when_seats_were_taken_meanwhile(
    customer: Any,
    book: Any,
    expire: Any,
    handle: Any,
    paid: Any,
    fake_event: Any,
    booking_row: Any,
    outbox: Any,
) -> None:
    event_id = uuid.uuid4()
    booking = (await book(customer(), event_id=event_id, seats=[("L-B-1", "vip", 8000)])).json()
    await expire(booking["id"])
    fake_event.retake_refusals[event_id] = ("seats_unavailable", ["L-B-1"])
    payment = paid(booking)

    assert await handle(payment) == "handled"
    assert await handle(payment) == "handled"  # redelivered under a new message id

    row = await booking_row(booking["id"])
    assert row.status == "cancelled" and row.cancel_reason == "paid_after_expiry"
    assert row.payment_id == payment.payment_id
    [message] = await outbox("booking.cancelled", booking_id=booking["id"])
    assert message["data"]["reason"] == "paid_after_expiry"
    assert message["data"]["payment_id"] == str(payment.payment_id)
    assert message["data"]["was_confirmed"] is False
    assert message["data"]["seats"] == []  # someone else has them now: event must not free them
    assert message["data"]["hold_id"] == booking["hold_id"]
    assert await outbox("booking.confirmed", booking_id=booking["id"]) == []


async def test_late_payment_is_refunded_when_the_event_was_cancelled(
    customer: Any, book: Any, expire: Any, handle: Any, paid: Any, fake_event: Any, booking_row: Any
) -> None:
    event_id = uuid.uuid4()
    booking = (await book(customer(), event_id=event_id)).json()
    await expire(booking["id"])
    fake_event.retake_refusals[event_id] = ("sales_closed", [])

    await handle(paid(booking))

    assert (await booking_row(booking["id"])).status == "cancelled"


async def test_late_payment_cancels_and_releases_new_hold_when_this_database_has_the_seat(
    customer: Any,
    book: Any,
    expire: Any,
    handle: Any,
    paid: Any,
    booking_row: Any,
    outbox: Any,
) -> None:
    """Event re-took the seat, but a live booking here holds it: the unique index wins."""
    event_id = uuid.uuid4()
    seat = [("L-C-1", "vip", 8000)]
    late = (await book(customer(), event_id=event_id, seats=seat)).json()
    await expire(late["id"])
    other = (await book(customer(), event_id=event_id, seats=seat)).json()
    payment = paid(late)

    assert await handle(payment) == "handled"

    row = await booking_row(late["id"])
    assert row.status == "cancelled" and row.payment_id == payment.payment_id
    [message] = await outbox("booking.cancelled", booking_id=late["id"])
    assert message["data"]["hold_id"].startswith("retake-")  # event releases the new hold
    assert message["data"]["seats"] == [{"seat_id": "L-C-1", "tier": "vip", "price": 8000}]
    assert message["data"]["payment_id"] == str(payment.payment_id)
    assert (await booking_row(other["id"])).status == "pending_payment"


async def test_late_payment_is_retried_when_event_is_unreachable(
    customer: Any,
    book: Any,
    expire: Any,
    runtime: Any,
    paid: Any,
    fake_event: Any,
    booking_row: Any,
) -> None:
    booking = (await book(customer())).json()
    await expire(booking["id"])
    envelope = Envelope.wrap(paid(booking), producer="payment")
    on_paid = runtime.consumer.subscriptions[envelope.type]
    fake_event.down = True
    try:
        with pytest.raises(UpstreamUnavailable):
            await runtime.consumer.handle(envelope, on_paid)
        assert (await booking_row(booking["id"])).status == "expired"
    finally:
        fake_event.down = False
    # the broker redelivers the same message: now it goes through
    assert await runtime.consumer.handle(envelope, on_paid) == "handled"
    assert (await booking_row(booking["id"])).status == "confirmed"


async def test_payment_for_a_cancelled_booking_is_announced_for_refund(
    client: Any, customer: Any, book: Any, handle: Any, paid: Any, outbox: Any
) -> None:
    user = customer()
    booking = (await book(user)).json()
    await client.post(f"/api/bookings/{booking['id']}/cancel", headers=user.headers)
    payment = paid(booking)

    await handle(payment)

    messages = await outbox("booking.cancelled", booking_id=booking["id"])
    assert [m["data"]["reason"] for m in messages] == ["cancelled_by_user", "paid_after_cancel"]
    assert messages[1]["data"]["payment_id"] == str(payment.payment_id)
    assert messages[1]["data"]["seats"] == []


async def test_second_payment_changes_nothing_when_booking_confirmed_by_another(
    customer: Any, book: Any, handle: Any, paid: Any, booking_row: Any, outbox: Any
) -> None:
    booking = (await book(customer())).json()
    first = paid(booking)
    await handle(first)

    assert await handle(paid(booking)) == "handled"

    row = await booking_row(booking["id"])
    assert row.status == "confirmed" and row.payment_id == first.payment_id
    assert len(await outbox("booking.confirmed", booking_id=booking["id"])) == 1
    assert await outbox("booking.cancelled", booking_id=booking["id"]) == []


async def test_refund_makes_cancelled_paid_booking_refunded(
    client: Any,
    customer: Any,
    book: Any,
    handle: Any,
    paid: Any,
    refunded: Any,
    booking_row: Any,
    outbox: Any,
) -> None:
    user = customer()
    booking = (await book(user)).json()
    payment = paid(booking)
    await handle(payment)
    await client.post(f"/api/bookings/{booking['id']}/cancel", headers=user.headers)

    assert await handle(refunded(booking, payment.payment_id)) == "handled"
    assert await handle(refunded(booking, payment.payment_id)) == "handled"

    row = await booking_row(booking["id"])
    assert row.status == "refunded" and row.cancel_reason == "cancelled_by_user"
    assert len(await outbox("booking.cancelled", booking_id=booking["id"])) == 1
    listed = await client.get("/api/bookings?status=refunded", headers=user.headers)
    assert [b["id"] for b in listed.json()["items"]] == [booking["id"]]


async def test_refund_of_confirmed_booking_refunds_it_and_frees_its_seats(
    customer: Any,
    book: Any,
    handle: Any,
    paid: Any,
    refunded: Any,
    booking_row: Any,
    outbox: Any,
    seat_statuses: Any,
) -> None:
    """An admin refunded the payment directly (POST /api/payments/{id}/refund)."""
    booking = (await book(customer(), seats=[("R-A-1", "vip", 8000)])).json()
    payment = paid(booking)
    await handle(payment)

    await handle(refunded(booking, payment.payment_id))

    row = await booking_row(booking["id"])
    assert row.status == "refunded" and row.cancel_reason == "payment_refunded"
    [message] = await outbox("booking.cancelled", booking_id=booking["id"])
    assert message["data"]["was_confirmed"] is True
    assert message["data"]["seats"] == [{"seat_id": "R-A-1", "tier": "vip", "price": 8000}]
    assert await seat_statuses(booking["id"]) == ["refunded"]


async def test_refund_of_late_payment_makes_the_cancelled_booking_refunded(
    customer: Any,
    book: Any,
    expire: Any,
    handle: Any,
    paid: Any,
    refunded: Any,
    fake_event: Any,
    booking_row: Any,
) -> None:
    event_id = uuid.uuid4()
    booking = (await book(customer(), event_id=event_id)).json()
    await expire(booking["id"])
    fake_event.retake_refusals[event_id] = ("seats_unavailable", [])
    payment = paid(booking)
    await handle(payment)

    await handle(refunded(booking, payment.payment_id))

    assert (await booking_row(booking["id"])).status == "refunded"


async def test_refund_arriving_before_the_payment_wins_when_messages_are_out_of_order(
    customer: Any,
    book: Any,
    expire: Any,
    handle: Any,
    paid: Any,
    refunded: Any,
    fake_event: Any,
    booking_row: Any,
    outbox: Any,
) -> None:
    booking = (await book(customer())).json()
    await expire(booking["id"])
    payment = paid(booking)
    retakes_before = len(fake_event.retakes)

    await handle(refunded(booking, payment.payment_id))
    await handle(payment)  # late, and already refunded: no seats re-taken, nothing confirmed

    row = await booking_row(booking["id"])
    assert row.status == "refunded" and row.payment_id == payment.payment_id
    assert len(fake_event.retakes) == retakes_before
    assert await outbox("booking.confirmed", booking_id=booking["id"]) == []


async def test_refund_of_another_payment_changes_nothing_when_booking_stands_on_its_own(
    customer: Any, book: Any, handle: Any, paid: Any, refunded: Any, booking_row: Any
) -> None:
    booking = (await book(customer())).json()
    await handle(paid(booking))

    await handle(refunded(booking, uuid.uuid4()))

    assert (await booking_row(booking["id"])).status == "confirmed"


async def test_payment_failed_after_success_changes_nothing_when_out_of_order(
    customer: Any, book: Any, handle: Any, paid: Any, booking_row: Any, outbox: Any
) -> None:
    booking = (await book(customer())).json()
    payment = paid(booking)
    await handle(payment)

    failure = PaymentFailedV1(
        payment_id=payment.payment_id,
        booking_id=payment.booking_id,
        user_id=payment.user_id,
        reason="card_declined",
        retryable=False,
    )
    await handle(failure)
    await handle(payment)

    assert (await booking_row(booking["id"])).status == "confirmed"
    assert len(await outbox("booking.confirmed", booking_id=booking["id"])) == 1
    assert await outbox("booking.cancelled", booking_id=booking["id"]) == []


async def test_refund_for_unknown_booking_is_ignored(handle: Any, refunded: Any) -> None:
    ghost = {
        "id": str(uuid.uuid4()),
        "user_id": str(uuid.uuid4()),
        "amount": 100,
        "currency": "USD",
    }
    assert await handle(refunded(ghost, uuid.uuid4())) == "handled"
