"""L11: booking learns who organizes an event from ``event.published`` (and ``event.cancelled``),
so its owner reads zero sales before the first booking instead of a 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.contracts.event import EventCancelledV1, EventPublishedV1
from shared.testing.eventually import eventually

pytestmark = [pytest.mark.integration]

NOTHING_SOLD = {
    "currency": None,
    "tickets_sold": 0,
    "revenue": 0,
    "by_tier": [],
    "bookings_by_status": {
        "pending_payment": 0,
        "confirmed": 0,
        "cancelled": 0,
        "expired": 0,
        "refunded": 0,
    },
}


def _published(event_id: uuid.UUID, organizer_id: uuid.UUID) -> EventPublishedV1:
    return EventPublishedV1(
        event_id=event_id,
        organizer_id=organizer_id,
        title="Quiet Night",
        starts_at=datetime.now(UTC) + timedelta(days=30),
        currency="EUR",
        actor_id=organizer_id,
    )


async def test_event_sales_are_zero_for_owner_when_published_event_has_no_bookings(
    client: Any, customer: Any, publish: Any
) -> None:
    organizer, event_id = customer("organizer"), uuid.uuid4()
    url = f"/api/bookings/events/{event_id}/sales"
    assert (await client.get(url, headers=organizer.headers)).status_code == 404  # not heard yet

    await publish(_published(event_id, organizer.id))  # through RabbitMQ: the queue is bound

    async def owner_reads() -> Any:
        return await client.get(url, headers=organizer.headers)

    response = await eventually(owner_reads, until=lambda r: r.status_code == 200, what="zeros")
    assert response.json() == {"event_id": str(event_id), **NOTHING_SOLD}
    admin = await client.get(url, headers=customer("admin").headers)
    assert (admin.status_code, admin.json()) == (200, response.json())


async def test_event_sales_are_404_for_another_organizer_when_event_is_published(
    client: Any, customer: Any, handle: Any
) -> None:
    event_id = uuid.uuid4()
    assert await handle(_published(event_id, uuid.uuid4())) == "handled"

    response = await client.get(
        f"/api/bookings/events/{event_id}/sales", headers=customer("organizer").headers
    )

    assert response.status_code == 404
    assert response.json()["message"] == "No sales of yours for this event."


async def test_event_copy_keeps_its_organizer_when_published_is_delivered_again(
    client: Any, customer: Any, handle: Any
) -> None:
    organizer, event_id = customer("organizer"), uuid.uuid4()
    first = _published(event_id, organizer.id)

    assert await handle(first) == "handled"
    assert await handle(first) == "handled"  # a new envelope: the inbox does not drop it
    assert await handle(_published(event_id, uuid.uuid4())) == "handled"  # never changes owner

    response = await client.get(f"/api/bookings/events/{event_id}/sales", headers=organizer.headers)
    assert response.status_code == 200 and response.json()["tickets_sold"] == 0


async def test_event_sales_answer_owner_when_only_the_cancellation_was_heard(
    client: Any, customer: Any, handle: Any
) -> None:
    """Events published before booking kept copies are learnt from event.cancelled too."""
    organizer, event_id = customer("organizer"), uuid.uuid4()
    cancelled = EventCancelledV1(
        event_id=event_id, organizer_id=organizer.id, title="Called Off", actor_id=organizer.id
    )

    assert await handle(cancelled) == "handled"

    response = await client.get(f"/api/bookings/events/{event_id}/sales", headers=organizer.headers)
    assert (response.status_code, response.json()["tickets_sold"]) == (200, 0)


async def test_event_sales_count_bookings_when_event_copy_and_bookings_agree(
    client: Any, customer: Any, handle: Any, book: Any, paid: Any
) -> None:
    organizer, event_id = customer("organizer"), uuid.uuid4()
    await handle(_published(event_id, organizer.id))
    booking = (await book(customer(), event_id=event_id, organizer_id=organizer.id)).json()
    await handle(paid(booking))

    response = await client.get(f"/api/bookings/events/{event_id}/sales", headers=organizer.headers)

    assert response.status_code == 200
    body = response.json()
    assert (body["currency"], body["tickets_sold"], body["revenue"]) == ("USD", 1, 8000)
    assert body["bookings_by_status"]["confirmed"] == 1
