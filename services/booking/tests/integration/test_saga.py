"""Booking's side of the saga: payment and event messages in, state changes and messages out."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from booking_service import tickets
from shared.contracts.event import EventCancelledV1
from shared.contracts.payment import PaymentFailedV1
from shared.messaging import Envelope
from shared.testing.eventually import eventually

pytestmark = [
    pytest.mark.integration,
]


def _failed(booking: dict[str, Any], *, retryable: bool, reason: str) -> PaymentFailedV1:
    return PaymentFailedV1(
        payment_id=uuid.uuid4(),
        booking_id=uuid.UUID(booking["id"]),
        user_id=uuid.UUID(booking["user_id"]),
        reason=reason,
        retryable=retryable,
    )


async def _status(booking_row: Any, booking_id: str) -> str:
    status: str = (await booking_row(booking_id)).status
    return status


async def test_payment_succeeded_confirms_and_issues_signed_tickets_when_pending(
    client: Any,
    customer: Any,
    book: Any,
    publish: Any,
    paid: Any,
    booking_row: Any,
    outbox: Any,
    settings: Any,
    listen: Any,
) -> None:
    user = customer()
    confirmed_queue = await listen("booking.confirmed")
    seats = [("A-A-1", "vip", 8000), (None, "floor", 3000)]
    booking = (await book(user, seats=seats)).json()
    payment = paid(booking)

    await publish(payment)
    await eventually(
        lambda: _status(booking_row, booking["id"]),
        until=lambda s: s == "confirmed",
        what="confirm",
    )

    row = await booking_row(booking["id"])
    assert row.payment_id == payment.payment_id and row.confirmed_at is not None
    [message] = await outbox("booking.confirmed", booking_id=booking["id"])
    data = message["data"]
    assert data["payment_id"] == str(payment.payment_id)
    assert booking["organizer_id"] and data["organizer_id"] == booking["organizer_id"]
    assert data["user_email"] == f"{user.id.hex[:8]}@example.test"
    assert data["event"]["title"] == "The Show"
    assert [t["seat_id"] for t in data["tickets"]] == ["A-A-1", None]
    key = tickets.load_private_key(settings.TICKET_PRIVATE_KEY_PATH, create_if_missing=False)
    for ticket in data["tickets"]:
        claims = tickets.verify(ticket["code"], key.public_key())
        assert claims.ticket_id == uuid.UUID(ticket["ticket_id"])
        assert claims.booking_id == uuid.UUID(booking["id"])
        assert claims.event_id == uuid.UUID(booking["event_id"])
        assert claims.seat_id == ticket["seat_id"]
    with pytest.raises(tickets.InvalidTicketCode):
        tickets.verify(data["tickets"][0]["code"], Ed25519PrivateKey.generate().public_key())

    detail = (await client.get(f"/api/bookings/{booking['id']}", headers=user.headers)).json()
    assert detail["status"] == "confirmed"
    assert [(t["ticket_id"], t["code"]) for t in detail["tickets"]] == [
        (t["ticket_id"], t["code"]) for t in data["tickets"]
    ]
    assert all(t["checked_in_at"] is None for t in detail["tickets"])
    published = await confirmed_queue.get_json()
    assert published["data"]["booking_id"] == booking["id"]


async def test_duplicate_payment_succeeded_is_a_no_op_when_already_confirmed(
    customer: Any, book: Any, runtime: Any, handle: Any, paid: Any, outbox: Any
) -> None:
    booking = (await book(customer())).json()
    payment = paid(booking)
    first = Envelope.wrap(payment, producer="payment")
    on_paid = runtime.consumer.subscriptions[first.type]

    assert await runtime.consumer.handle(first, on_paid) == "handled"
    assert await runtime.consumer.handle(first, on_paid) == "duplicate"  # the inbox: same id
    # a re-published copy (new message id, same payment): the guarded update refuses it
    assert await handle(payment) == "handled"

    assert len(await outbox("booking.confirmed", booking_id=booking["id"])) == 1
    assert await outbox("booking.cancelled", booking_id=booking["id"]) == []
    async with runtime.sessionmaker() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM ticket WHERE booking_id = :b"), {"b": booking["id"]}
        )
    assert count == 1


async def test_payment_failed_cancels_booking_when_not_retryable(
    customer: Any, book: Any, publish: Any, booking_row: Any, outbox: Any
) -> None:
    event_id = uuid.uuid4()
    seats = [("D-E-5", "standard", 2500)]
    booking = (await book(customer(), event_id=event_id, seats=seats)).json()

    await publish(_failed(booking, retryable=False, reason="card_declined"))
    await eventually(
        lambda: _status(booking_row, booking["id"]), until=lambda s: s == "cancelled", what="cancel"
    )

    assert (await booking_row(booking["id"])).cancel_reason == "payment_failed: card_declined"
    [message] = await outbox("booking.cancelled", booking_id=booking["id"])
    assert message["data"]["was_confirmed"] is False
    assert message["data"]["reason"] == "payment_failed: card_declined"
    assert (await book(customer(), event_id=event_id, seats=seats)).status_code == 201


async def test_payment_failed_leaves_booking_pending_when_retryable(
    customer: Any, book: Any, handle: Any, booking_row: Any, outbox: Any
) -> None:
    booking = (await book(customer())).json()
    assert await handle(_failed(booking, retryable=True, reason="processing_error")) == "handled"
    assert await _status(booking_row, booking["id"]) == "pending_payment"
    assert await outbox("booking.cancelled", booking_id=booking["id"]) == []


async def test_payment_failed_does_nothing_when_booking_already_confirmed(
    customer: Any, book: Any, handle: Any, paid: Any, booking_row: Any
) -> None:
    booking = (await book(customer())).json()
    await handle(paid(booking))
    await handle(_failed(booking, retryable=False, reason="card_declined"))
    assert await _status(booking_row, booking["id"]) == "confirmed"


async def test_sweeper_expires_overdue_booking_and_frees_its_seats(
    customer: Any, book: Any, expire: Any, runtime: Any, booking_row: Any, outbox: Any
) -> None:
    event_id = uuid.uuid4()
    seats = [("F-G-9", "vip", 8000)]
    booking = (await book(customer(), event_id=event_id, seats=seats)).json()
    fresh = (await book(customer())).json()

    await expire(booking["id"])  # its deadline passes; the real sweeper runs

    [message] = await outbox("booking.expired", booking_id=booking["id"])
    assert message["data"]["seats"] == [{"seat_id": "F-G-9", "tier": "vip", "price": 8000}]
    assert booking["organizer_id"] and message["data"]["organizer_id"] == booking["organizer_id"]
    assert message["data"]["hold_id"] == booking["hold_id"]
    async with runtime.sessionmaker() as session:
        seat_status = await session.scalar(
            text("SELECT status FROM booked_seat WHERE booking_id = :b"), {"b": booking["id"]}
        )
    assert seat_status == "expired"
    assert await _status(booking_row, fresh["id"]) == "pending_payment"
    assert (await book(customer(), event_id=event_id, seats=seats)).status_code == 201


async def test_cancel_of_confirmed_booking_announces_refund(
    client: Any, customer: Any, book: Any, handle: Any, paid: Any, outbox: Any
) -> None:
    user = customer()
    booking = (await book(user)).json()
    payment = paid(booking)
    await handle(payment)

    response = await client.post(f"/api/bookings/{booking['id']}/cancel", headers=user.headers)

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["tickets"] == []
    [message] = await outbox("booking.cancelled", booking_id=booking["id"])
    assert message["data"]["was_confirmed"] is True
    assert message["data"]["payment_id"] == str(payment.payment_id)
    assert booking["organizer_id"] and message["data"]["organizer_id"] == booking["organizer_id"]


async def test_event_cancelled_cancels_every_live_booking_of_the_event(
    customer: Any,
    book: Any,
    handle: Any,
    paid: Any,
    publish: Any,
    booking_row: Any,
    outbox: Any,
    client: Any,
) -> None:
    event_id = uuid.uuid4()
    pending = (await book(customer(), event_id=event_id)).json()
    confirmed = (await book(customer(), event_id=event_id)).json()
    gone_user = customer()
    gone = (await book(gone_user, event_id=event_id)).json()
    other_event = (await book(customer())).json()
    payment = paid(confirmed)
    await handle(payment)
    await client.post(f"/api/bookings/{gone['id']}/cancel", headers=gone_user.headers)

    await publish(EventCancelledV1(event_id=event_id, organizer_id=uuid.uuid4(), title="The Show"))
    await eventually(
        lambda: _status(booking_row, confirmed["id"]),
        until=lambda s: s == "cancelled",
        what="cancel",
    )

    assert await _status(booking_row, pending["id"]) == "cancelled"
    assert await _status(booking_row, other_event["id"]) == "pending_payment"
    [for_pending] = await outbox("booking.cancelled", booking_id=pending["id"])
    [for_paid] = await outbox("booking.cancelled", booking_id=confirmed["id"])
    assert for_pending["data"]["reason"] == for_paid["data"]["reason"] == "event_cancelled"
    assert for_pending["data"]["was_confirmed"] is False
    assert for_paid["data"]["was_confirmed"] is True
    assert for_paid["data"]["payment_id"] == str(payment.payment_id)
    assert len(await outbox("booking.cancelled", booking_id=gone["id"])) == 1  # only the user's


async def test_messages_carry_no_organizer_when_the_booking_predates_organizer_ids(
    client: Any, customer: Any, book: Any, runtime: Any, outbox: Any
) -> None:
    user = customer()
    booking = (await book(user)).json()
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE booking SET organizer_id = NULL WHERE id = :b"), {"b": booking["id"]}
        )

    response = await client.post(f"/api/bookings/{booking['id']}/cancel", headers=user.headers)

    assert response.status_code == 200, response.text
    [message] = await outbox("booking.cancelled", booking_id=booking["id"])
    assert message["data"]["organizer_id"] is None
