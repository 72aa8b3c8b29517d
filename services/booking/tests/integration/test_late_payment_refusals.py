"""Late payments that event refuses to re-take (M6): refunded at once, like taken seats; and
answers that are not a refusal, which are asked again later instead."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.errors import UpstreamUnavailable

pytestmark = [pytest.mark.integration]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (409, "limit_exceeded"),  # the buyer holds max_tickets_per_buyer elsewhere by now
        (409, "sales_closed"),  # the sales window closed (or the event was cancelled)
        (404, "not_found"),  # the event is gone
        (422, "validation_error"),  # the places no longer exist
        (410, "gone"),  # the event is gone for good
        (403, "forbidden"),  # the buyer may not buy any more
    ],
)
async def test_late_payment_cancels_for_refund_when_event_refuses_the_retake(
    customer: Any,
    book: Any,
    expire: Any,
    handle: Any,
    paid: Any,
    fake_event: Any,
    booking_row: Any,
    outbox: Any,
    seat_statuses: Any,
    status: int,
    code: str,
) -> None:
    """M6: event counts the buyer's limit and the sales window on a re-take; its refusal is
    final, like taken seats: cancelled at once with the payment id, so payment refunds."""
    event_id = uuid.uuid4()
    user = customer()
    booking = (await book(user, event_id=event_id, seats=[("L-D-1", "vip", 8000)])).json()
    await expire(booking["id"])
    fake_event.retake_refusals[event_id] = (code, [])
    fake_event.retake_statuses[event_id] = status
    payment = paid(booking)

    assert await handle(payment) == "handled"

    [retake] = [r for r in fake_event.retakes if r.body["event_id"] == str(event_id)]
    assert (retake.status, retake.body["user_id"]) == (status, str(user.id))
    row = await booking_row(booking["id"])
    assert (row.status, row.cancel_reason) == ("cancelled", "paid_after_expiry")
    assert row.payment_id == payment.payment_id
    [message] = await outbox("booking.cancelled", booking_id=booking["id"])
    assert message["data"]["reason"] == "paid_after_expiry"
    assert message["data"]["payment_id"] == str(payment.payment_id)
    assert (message["data"]["was_confirmed"], message["data"]["seats"]) == (False, [])
    assert await outbox("booking.confirmed", booking_id=booking["id"]) == []
    assert await seat_statuses(booking["id"]) == ["cancelled"]


@pytest.mark.parametrize("status", [401, 429, 500])
async def test_late_payment_is_retried_not_refunded_when_event_answers_something_else(
    customer: Any,
    book: Any,
    expire: Any,
    handle: Any,
    paid: Any,
    fake_event: Any,
    booking_row: Any,
    status: int,
) -> None:
    """Only a final refusal refunds; a wrong internal token or a fault is asked again later."""
    event_id = uuid.uuid4()
    booking = (await book(customer(), event_id=event_id)).json()
    await expire(booking["id"])
    fake_event.retake_refusals[event_id] = ("whatever", [])
    fake_event.retake_statuses[event_id] = status

    with pytest.raises(UpstreamUnavailable):
        await handle(paid(booking))

    row = await booking_row(booking["id"])
    assert (row.status, row.payment_id) == ("expired", None)
