"""Once a booking is no longer confirmed its PDF is gone: booking.cancelled (before or after the
confirmation, in any order, any number of times) and payment.refunded of the payment the
tickets stand on delete it, and the download answers 404 saying why."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1
from shared.contracts.payment import PaymentRefundedV1
from shared.messaging import Envelope
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration

VOID_MESSAGE = "This booking was cancelled; its tickets are no longer valid."


def cancelled(data: BookingConfirmedV1, *, reason: str = "cancelled_by_user") -> BookingCancelledV1:
    return BookingCancelledV1(
        booking_id=data.booking_id,
        hold_id=data.hold_id,
        user_id=data.user_id,
        user_email=data.user_email,
        event_id=data.event_id,
        seats=list(data.seats),
        reason=reason,
        was_confirmed=True,
        payment_id=data.payment_id,
    )


def refunded(data: BookingConfirmedV1, *, payment_id: uuid.UUID) -> PaymentRefundedV1:
    return PaymentRefundedV1(
        refund_id=uuid.uuid4(),
        payment_id=payment_id,
        booking_id=data.booking_id,
        user_id=data.user_id,
        amount=data.amount,
        currency=data.currency,
        actor_id=uuid.uuid4(),
        reason="chargeback",
    )


async def _pdf(client: Any, booking_id: uuid.UUID, headers: dict[str, str]) -> Any:
    return await client.get(f"/api/notifications/tickets/{booking_id}/pdf", headers=headers)


async def _handled(scalar: Any, envelope: Envelope[Any]) -> None:
    sql = "SELECT count(*) FROM processed_message WHERE message_id = :id"
    await eventually(
        lambda: scalar(sql, id=envelope.id), until=lambda n: n == 1, what=envelope.type
    )


async def _confirmed_and_served(
    client: Any, publish: Any, signer: Any, data: BookingConfirmedV1
) -> dict[str, str]:
    owner = signer.headers(user_id=data.user_id)
    await publish(data)
    await eventually(
        lambda: _pdf(client, data.booking_id, owner),
        until=lambda r: r.status_code == 200,
        what="PDF served",
    )
    return dict(owner)


async def _now(value: Any) -> Any:
    return value


def _assert_void(response: Any) -> None:
    assert response.status_code == 404
    body = response.json()
    assert (body["error"], body["message"]) == ("not_found", VOID_MESSAGE)


async def test_pdf_is_404_and_deleted_when_a_confirmed_booking_is_cancelled(
    client: Any,
    publish: Any,
    signer: Any,
    scalar: Any,
    smtp_sink: Any,
    booking_confirmed: Any,
) -> None:
    data = booking_confirmed()
    owner = await _confirmed_and_served(client, publish, signer, data)
    sql = "SELECT count(*) FROM ticket_document WHERE booking_id = :id"
    assert await scalar(sql, id=data.booking_id) == 1
    await eventually(lambda: _now(smtp_sink.to(data.user_email)), what="the tickets emailed")

    cancellation = await publish(cancelled(data, reason="cancelled_by_admin"))
    await _handled(scalar, cancellation)

    response = await _pdf(client, data.booking_id, owner)
    _assert_void(response)
    assert response.json()["details"]["reason"] == "cancelled_by_admin"
    _assert_void(await _pdf(client, data.booking_id, signer.headers(role="admin")))
    stranger = await _pdf(client, data.booking_id, signer.headers())
    assert stranger.status_code == 404
    assert stranger.json()["message"] != VOID_MESSAGE  # nothing told to strangers
    assert await scalar(sql, id=data.booking_id) == 0
    mails = await eventually(
        lambda: _now(smtp_sink.to(data.user_email)),
        until=lambda m: len(m) == 2,
        what="the tickets, then the cancellation",
    )
    assert "cancelled" in mails[1]["Subject"]


async def test_no_pdf_is_rendered_when_the_cancellation_arrives_before_the_confirmation(
    client: Any,
    publish: Any,
    signer: Any,
    scalar: Any,
    smtp_sink: Any,
    booking_confirmed: Any,
) -> None:
    data = booking_confirmed()
    cancellation = await publish(cancelled(data))
    await _handled(scalar, cancellation)

    confirmation = await publish(data)  # the late confirmation
    await _handled(scalar, confirmation)

    _assert_void(await _pdf(client, data.booking_id, signer.headers(user_id=data.user_id)))
    sql = "SELECT count(*) FROM ticket_document WHERE booking_id = :id"
    assert await scalar(sql, id=data.booking_id) == 0
    # the confirmation queued no email and recorded nothing: no tickets that are not valid
    queued = "SELECT count(*) FROM pending_email WHERE message_id = :id"
    assert await scalar(queued, id=confirmation.id) == 0
    recorded = "SELECT count(*) FROM notification WHERE message_id = :id"
    assert await scalar(recorded, id=confirmation.id) == 0
    (mail,) = await eventually(
        lambda: _now(smtp_sink.to(data.user_email)), what="the cancellation email"
    )
    assert "cancelled" in mail["Subject"] and not list(mail.iter_attachments())


async def test_voiding_is_idempotent_when_cancellations_repeat(
    client: Any, publish: Any, signer: Any, scalar: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed(seats=(None,))
    owner = await _confirmed_and_served(client, publish, signer, data)
    first = await publish(cancelled(data))
    await publish(envelope=first)  # redelivered
    again = await publish(cancelled(data, reason="event_cancelled"))  # the same fact, a new id
    await _handled(scalar, first)
    await _handled(scalar, again)

    response = await _pdf(client, data.booking_id, owner)
    _assert_void(response)
    assert response.json()["details"]["reason"] == "cancelled_by_user"  # the first reason stays
    sql = "SELECT count(*) FROM ticket_void WHERE booking_id = :id"
    assert await scalar(sql, id=data.booking_id) == 1


async def test_pdf_is_404_when_the_payment_it_stands_on_is_refunded(
    client: Any, publish: Any, signer: Any, scalar: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed()
    owner = await _confirmed_and_served(client, publish, signer, data)

    await publish(refunded(data, payment_id=data.payment_id))

    response = await eventually(
        lambda: _pdf(client, data.booking_id, owner),
        until=lambda r: r.status_code == 404,
        what="PDF gone after the refund",
    )
    _assert_void(response)
    assert response.json()["details"]["reason"] == "payment_refunded"
    sql = "SELECT count(*) FROM ticket_document WHERE booking_id = :id"
    assert await scalar(sql, id=data.booking_id) == 0


async def test_pdf_stays_when_another_payment_of_the_booking_is_refunded(
    client: Any, publish: Any, signer: Any, scalar: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed()
    owner = await _confirmed_and_served(client, publish, signer, data)

    # e.g. a late second payment refunded: the booking still stands on its own payment
    refund = await publish(refunded(data, payment_id=uuid.uuid4()))
    await _handled(scalar, refund)

    response = await _pdf(client, data.booking_id, owner)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


async def test_nothing_is_recorded_for_a_late_confirmation_when_its_address_is_unusable_too(
    publish: Any, scalar: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed(email="not-an-address")
    cancellation = await publish(cancelled(data))
    await _handled(scalar, cancellation)
    confirmation = await publish(data)
    await _handled(scalar, confirmation)

    recorded = "SELECT count(*) FROM notification WHERE message_id = :id"
    assert await scalar(recorded, id=confirmation.id) == 0
    assert await scalar(recorded, id=cancellation.id) == 1  # its own email: failed, no address
    sql = "SELECT count(*) FROM ticket_document WHERE booking_id = :id"
    assert await scalar(sql, id=data.booking_id) == 0
