"""booking.cancelled in the saga's harder cases: late payment, redelivery after a crash,
duplicates and messages out of order — none of them moves money twice or revives a booking."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from payment_service import service
from shared.contracts.booking import BookingCancelledV1
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


async def refunds_of(fetch: Any, booking_id: uuid.UUID) -> list[tuple[Any, ...]]:
    rows = await fetch(
        "SELECT p.id, p.status, r.amount, r.reason, r.processor_ref FROM payment p "
        "JOIN refund r ON r.payment_id = p.id WHERE p.booking_id = :id",
        id=booking_id,
    )
    return [tuple(row) for row in rows]


def paid_after_expiry(created: Any, payment_id: uuid.UUID) -> BookingCancelledV1:
    """What booking publishes when a payment lands on an expired booking whose seats are gone."""
    return BookingCancelledV1(
        booking_id=created.booking_id,
        hold_id=created.hold_id,
        user_id=created.user_id,
        user_email="late@example.test",
        event_id=created.event_id,
        seats=[],
        reason="paid_after_expiry",
        was_confirmed=False,
        payment_id=payment_id,
    )


async def test_late_payment_is_refunded_at_once_when_booking_cancels_it_as_paid_after_expiry(
    consumed: Any, publish: Any, fetch: Any, created_for: Any, pay: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    created = created_for(user, amount=4200, currency="EUR")
    created = created.model_copy(update={"expires_at": datetime.now(UTC) - timedelta(minutes=1)})
    envelope = await publish(created)
    await eventually(lambda: consumed(envelope.id), what="booking.created consumed")

    # Booking owns expiry: payment still charges, and booking decides what the money buys.
    response = await pay(user, created.booking_id)
    assert response.status_code == 201 and response.json()["status"] == "succeeded"
    payment_id = uuid.UUID(response.json()["id"])

    await publish(paid_after_expiry(created, payment_id))
    [refunded] = await eventually(
        lambda: outbox("payment.refunded", booking_id=created.booking_id), what="refund"
    )
    assert (
        refunded["data"]["payment_id"],
        refunded["data"]["amount"],
        refunded["data"]["currency"],
    ) == (
        str(payment_id),
        4200,
        "EUR",
    )
    [(paid, status, amount, reason, _ref)] = await refunds_of(fetch, created.booking_id)
    assert (paid, status, amount) == (payment_id, "refunded", 4200)
    assert reason == "booking_cancelled: paid_after_expiry"
    again = await pay(user, created.booking_id)
    assert again.status_code == 409 and again.json()["error"] == "invalid_state"


async def test_refund_happens_once_at_the_processor_when_a_crash_interrupts_it(
    consumed: Any,
    make_booking: Any,
    pay: Any,
    publish: Any,
    fetch: Any,
    cancelled_of: Any,
    outbox: Any,
    processor: Any,
    context: Any,
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=6100)
    paid = (await pay(user, booking.booking_id)).json()
    [(charge_ref,)] = await fetch("SELECT processor_ref FROM payment WHERE id = :id", id=paid["id"])
    processor.crash_after_refund.add(charge_ref)  # refunded at the processor, then no record

    envelope = await publish(
        cancelled_of(booking, was_confirmed=True, payment_id=uuid.UUID(paid["id"]))
    )
    await eventually(lambda: consumed(envelope.id), what="cancellation consumed")
    await eventually(
        lambda: _async(processor.refund_calls.count(charge_ref)),
        until=lambda n: n == 1,
        what="refund asked of the processor",
    )
    [(refund_id, status)] = await fetch(
        "SELECT id, status FROM refund WHERE payment_id = :id", id=paid["id"]
    )
    assert status == "pending"  # the record was there before the money moved
    assert await outbox("payment.refunded", booking_id=booking.booking_id) == []

    assert await service.settle_pending_refunds(context) >= 1

    assert processor.refund_keys[charge_ref] == [str(refund_id), str(refund_id)]  # same key
    [(_, status, amount, _reason, reference)] = await refunds_of(fetch, booking.booking_id)
    assert (status, amount) == ("refunded", 6100)
    assert reference == processor.refunds[str(refund_id)].reference  # the first refund, again
    assert processor.refund_count(charge_ref) == 1
    assert len(await outbox("payment.refunded", booking_id=booking.booking_id)) == 1


async def test_cancelled_before_created_stays_unpayable_when_created_arrives_late_and_twice(
    consumed: Any,
    publish: Any,
    fetch: Any,
    created_for: Any,
    cancelled_of: Any,
    pay: Any,
    outbox: Any,
) -> None:
    user = uuid.uuid4()
    created = created_for(user, amount=900)
    cancelled = await publish(cancelled_of(created))
    await eventually(lambda: consumed(cancelled.id), what="tombstone")
    late = await publish(created)
    await publish(envelope=late)
    again = await publish(created)  # the same fact under a new message id
    await publish(envelope=cancelled)
    await eventually(lambda: consumed(again.id), what="late duplicates consumed")

    rows = await fetch(
        "SELECT status, amount, currency FROM booking_copy WHERE booking_id = :id",
        id=created.booking_id,
    )
    assert [tuple(r) for r in rows] == [("cancelled", 900, "USD")]
    response = await pay(user, created.booking_id)
    assert response.status_code == 409
    assert response.json()["details"]["booking_status"] == "cancelled"
    payments = await fetch("SELECT 1 FROM payment WHERE booking_id = :id", id=created.booking_id)
    assert payments == []
    for kind in ("payment.succeeded", "payment.failed", "payment.refunded"):
        assert await outbox(kind, booking_id=created.booking_id) == []


async def test_duplicate_cancellations_refund_once_when_redelivered_and_republished(
    consumed: Any,
    make_booking: Any,
    pay: Any,
    publish: Any,
    fetch: Any,
    cancelled_of: Any,
    outbox: Any,
    processor: Any,
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=3300)
    payment = (await pay(user, booking.booking_id)).json()
    message = cancelled_of(booking, was_confirmed=True, payment_id=uuid.UUID(payment["id"]))
    first = await publish(message)
    second = await publish(message)
    await publish(envelope=first)
    await publish(envelope=second)
    await eventually(lambda: consumed(second.id), what="both consumed")
    await eventually(lambda: consumed(first.id), what="both consumed")
    # settled once the consumer committed the pending refund
    await eventually(
        lambda: outbox("payment.refunded", booking_id=booking.booking_id), what="refunded"
    )

    assert len(await outbox("payment.refunded", booking_id=booking.booking_id)) == 1
    assert len(await refunds_of(fetch, booking.booking_id)) == 1
    [(charge_ref,)] = await fetch(
        "SELECT processor_ref FROM payment WHERE id = :id", id=payment["id"]
    )
    assert processor.refund_calls.count(charge_ref) == 1  # the second saw nothing to do


async def _async(value: Any) -> Any:
    return value
