"""booking.created / booking.cancelled consumers, the mid-charge race and the stale sweeper."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from payment_service import service
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration

SLOW = "5555555555554444"


async def copy_of(fetch: Any, booking_id: uuid.UUID) -> Any:
    return await fetch(
        "SELECT status, amount, currency, user_id FROM booking_copy WHERE booking_id = :id",
        id=booking_id,
    )


async def test_booking_created_is_stored_once_when_delivered_twice(
    consumed: Any, publish: Any, fetch: Any, created_for: Any
) -> None:
    user = uuid.uuid4()
    created = created_for(user, amount=999, currency="USD")
    envelope = await publish(created)
    await eventually(lambda: copy_of(fetch, created.booking_id))
    await publish(envelope=envelope)
    # A second, distinct message with the same facts is also harmless.
    second = await publish(created)
    await eventually(lambda: consumed(second.id))
    rows = await copy_of(fetch, created.booking_id)
    assert [tuple(r) for r in rows] == [("pending_payment", 999, "USD", user)]


async def test_cancellation_after_success_refunds_once_when_delivered_repeatedly(
    consumed: Any,
    make_booking: Any,
    pay: Any,
    publish: Any,
    fetch: Any,
    cancelled_of: Any,
    outbox: Any,
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=5000)
    payment = (await pay(user, booking.booking_id)).json()
    assert payment["status"] == "succeeded"

    message = cancelled_of(booking, was_confirmed=True, payment_id=uuid.UUID(payment["id"]))
    envelope = await publish(message)
    refunded = await eventually(
        lambda: outbox("payment.refunded", booking_id=booking.booking_id), what="refund"
    )
    await publish(envelope=envelope)
    again = await publish(message)  # a new message id: the guarded state makes it a no-op
    await eventually(lambda: consumed(again.id))

    assert len(await outbox("payment.refunded", booking_id=booking.booking_id)) == 1
    assert (refunded[0]["data"]["payment_id"], refunded[0]["data"]["amount"]) == (
        payment["id"],
        5000,
    )
    rows = await fetch(
        "SELECT p.status, r.amount FROM payment p JOIN refund r ON r.payment_id = p.id "
        "WHERE p.booking_id = :id",
        id=booking.booking_id,
    )
    assert [tuple(r) for r in rows] == [("refunded", 5000)]
    assert (await copy_of(fetch, booking.booking_id))[0][0] == "cancelled"


async def test_cancellation_of_unpaid_booking_only_marks_the_copy_when_nothing_was_paid(
    consumed: Any, make_booking: Any, publish: Any, fetch: Any, cancelled_of: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    envelope = await publish(cancelled_of(booking))
    await eventually(lambda: consumed(envelope.id))
    assert (await copy_of(fetch, booking.booking_id))[0][0] == "cancelled"
    assert await outbox("payment.refunded", booking_id=booking.booking_id) == []


async def test_late_booking_created_cannot_revive_a_cancellation_when_out_of_order(
    consumed: Any, publish: Any, fetch: Any, created_for: Any, cancelled_of: Any, pay: Any
) -> None:
    user = uuid.uuid4()
    created = created_for(user, amount=700)
    cancelled = await publish(cancelled_of(created))
    await eventually(lambda: consumed(cancelled.id))
    late = await publish(created)
    await eventually(lambda: consumed(late.id))

    rows = await copy_of(fetch, created.booking_id)
    assert [tuple(r)[:2] for r in rows] == [("cancelled", 700)]
    response = await pay(user, created.booking_id)
    assert response.status_code == 409


async def test_payment_is_refunded_at_once_when_booking_cancelled_during_the_charge(
    consumed: Any,
    make_booking: Any,
    pay: Any,
    publish: Any,
    fetch: Any,
    cancelled_of: Any,
    outbox: Any,
    gate: Any,
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=2200)
    async with gate:
        paying = asyncio.create_task(pay(user, booking.booking_id, SLOW))

        async def processing() -> Any:
            return await fetch(
                "SELECT 1 FROM payment WHERE booking_id = :id AND status = 'processing'",
                id=booking.booking_id,
            )

        await eventually(processing, what="payment in flight")
        envelope = await publish(cancelled_of(booking))
        await eventually(lambda: consumed(envelope.id))
    response = await paying

    assert response.status_code == 201
    assert response.json()["status"] == "refunded"
    assert len(await outbox("payment.succeeded", booking_id=booking.booking_id)) == 1
    [refund] = await outbox("payment.refunded", booking_id=booking.booking_id)
    assert refund["data"]["amount"] == 2200


async def test_stale_processing_payment_fails_retryably_when_the_charge_was_interrupted(
    make_booking: Any, pay: Any, runtime: Any, context: Any, outbox: Any
) -> None:
    from sqlalchemy import text

    user = uuid.uuid4()
    booking = await make_booking(user)
    stuck = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO payment (id, booking_id, user_id, amount, currency, status, "
                "card_last4, card_brand, created_at) VALUES (:id, :b, :u, 8000, 'USD', "
                "'processing', '4242', 'visa', now() - interval '1 hour')"
            ),
            {"id": stuck, "b": booking.booking_id, "u": user},
        )
    assert (await pay(user, booking.booking_id)).status_code == 409

    assert await service.fail_stale_payments(context) >= 1

    [failed] = await outbox("payment.failed", booking_id=booking.booking_id)
    data = failed["data"]
    assert (data["payment_id"], data["reason"], data["retryable"]) == (
        str(stuck),
        "processing_interrupted",
        True,
    )
    assert (await pay(user, booking.booking_id)).json()["status"] == "succeeded"


async def test_published_payment_reaches_the_exchange_when_relayed(
    make_booking: Any, pay: Any, runtime: Any, settings: Any
) -> None:
    from shared.messaging import Names

    names = Names(settings.MESSAGING_NAMESPACE)
    assert runtime.broker.connection is not None
    channel = await runtime.broker.connection.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    exchange = await channel.get_exchange(names.exchange)
    await queue.bind(exchange, routing_key="payment.succeeded")
    try:
        user = uuid.uuid4()
        booking = await make_booking(user)
        payment_id = (await pay(user, booking.booking_id)).json()["id"]

        async def received() -> Any:
            while (message := await queue.get(fail=False, no_ack=True)) is not None:
                body = json.loads(message.body)
                if body["data"]["payment_id"] == payment_id:
                    return body
            return None

        body = await eventually(received, what="payment.succeeded on the exchange")
        assert body["type"] == "payment.succeeded" and body["producer"] == "payment"
        assert body["data"]["booking_id"] == str(booking.booking_id)
    finally:
        await queue.delete()
        await channel.close()
