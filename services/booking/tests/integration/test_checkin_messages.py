"""``ticket.checked_in``: written to the outbox by the check-in that admits a ticket, in its
transaction — once per ticket, never by a refused scan."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from shared.contracts.event import EventPublishedV1
from shared.db import utcnow

pytestmark = [pytest.mark.integration]

CHECKIN = "/api/bookings/checkin"


async def _set_organizer(runtime: Any, booking_id: str, organizer_id: uuid.UUID | None) -> None:
    """Make the booking look like one from before bookings carried their organizer (None)."""
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE booking SET organizer_id = :o WHERE id = :b"),
            {"o": organizer_id, "b": booking_id},
        )


def _altered_seat(code: str) -> str:
    payload, signature = code.split(".")
    raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw["s"] = "Z-Z-99"
    encoded = base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode())
    return f"{encoded.rstrip(b'=').decode()}.{signature}"


async def test_checkin_writes_one_ticket_checked_in_when_the_organizer_admits_a_ticket(
    client: Any, customer: Any, confirmed_booking: Any, outbox: Any
) -> None:
    organizer, buyer = customer("organizer"), customer()
    booking = await confirmed_booking(
        buyer, organizer_id=organizer.id, seats=[("C-M-1", "vip", 8000), (None, "floor", 3000)]
    )
    ticket, other = booking["tickets"]

    response = await client.post(CHECKIN, json={"code": ticket["code"]}, headers=organizer.headers)

    assert response.status_code == 200, response.text
    [message] = await outbox("ticket.checked_in", ticket_id=ticket["ticket_id"])
    assert message["type"] == "ticket.checked_in" and message["producer"] == "booking"
    assert message["data"] == {
        "ticket_id": ticket["ticket_id"],
        "booking_id": booking["id"],
        "event_id": booking["event_id"],
        "organizer_id": str(organizer.id),
        "user_id": str(buyer.id),  # the buyer
        "seat_id": "C-M-1",
        "tier": "vip",
        "checked_in_at": response.json()["checked_in_at"],
        "actor_id": str(organizer.id),  # who scanned it
    }
    assert await outbox("ticket.checked_in", ticket_id=other["ticket_id"]) == []


async def test_checkin_names_the_admin_as_actor_and_the_organizer_when_an_admin_admits(
    client: Any, customer: Any, confirmed_booking: Any, outbox: Any
) -> None:
    organizer, admin = customer("organizer"), customer("admin")
    booking = await confirmed_booking(
        customer(), organizer_id=organizer.id, seats=[(None, "floor", 3000)]
    )
    [ticket] = booking["tickets"]

    response = await client.post(CHECKIN, json={"code": ticket["code"]}, headers=admin.headers)

    assert response.status_code == 200, response.text
    [message] = await outbox("ticket.checked_in", ticket_id=ticket["ticket_id"])
    assert message["data"]["actor_id"] == str(admin.id)
    assert message["data"]["organizer_id"] == str(organizer.id)
    assert message["data"]["seat_id"] is None and message["data"]["tier"] == "floor"


async def test_checkin_writes_no_message_when_the_scan_is_refused(
    client: Any, customer: Any, confirmed_booking: Any, outbox: Any
) -> None:
    organizer, buyer = customer("organizer"), customer()
    booking = await confirmed_booking(buyer, organizer_id=organizer.id)
    code = booking["tickets"][0]["code"]
    cancelled_buyer = customer()
    cancelled = await confirmed_booking(cancelled_buyer, organizer_id=organizer.id)
    cancel = await client.post(
        f"/api/bookings/{cancelled['id']}/cancel", headers=cancelled_buyer.headers
    )
    assert cancel.status_code == 200, cancel.text

    stranger = await client.post(
        CHECKIN, json={"code": code}, headers=customer("organizer").headers
    )
    the_buyer = await client.post(CHECKIN, json={"code": code}, headers=buyer.headers)
    altered = await client.post(
        CHECKIN, json={"code": _altered_seat(code)}, headers=organizer.headers
    )
    not_confirmed = await client.post(
        CHECKIN, json={"code": cancelled["tickets"][0]["code"]}, headers=organizer.headers
    )

    assert [stranger.status_code, the_buyer.status_code] == [403, 403]
    assert (altered.status_code, altered.json()["error"]) == (400, "invalid_ticket")
    assert (not_confirmed.status_code, not_confirmed.json()["error"]) == (409, "invalid_state")
    assert await outbox("ticket.checked_in", booking_id=booking["id"]) == []
    assert await outbox("ticket.checked_in", booking_id=cancelled["id"]) == []

    first = await client.post(CHECKIN, json={"code": code}, headers=organizer.headers)
    again = await client.post(CHECKIN, json={"code": code}, headers=organizer.headers)

    assert (first.status_code, again.status_code) == (200, 409)
    assert again.json()["error"] == "already_checked_in"
    [message] = await outbox("ticket.checked_in", booking_id=booking["id"])  # the first only
    assert message["data"]["checked_in_at"] == first.json()["checked_in_at"]


async def test_checkin_takes_the_organizer_from_the_event_copy_when_the_booking_has_none(
    client: Any, customer: Any, confirmed_booking: Any, outbox: Any, runtime: Any, handle: Any
) -> None:
    organizer, admin, event_id = customer("organizer"), customer("admin"), uuid.uuid4()
    booking = await confirmed_booking(customer(), event_id=event_id, organizer_id=organizer.id)
    await _set_organizer(runtime, booking["id"], None)
    published = EventPublishedV1(
        event_id=event_id,
        organizer_id=organizer.id,
        title="Old Show",
        starts_at=utcnow(),
        currency="USD",
        actor_id=organizer.id,
    )
    assert await handle(published) == "handled"
    code = booking["tickets"][0]["code"]

    response = await client.post(CHECKIN, json={"code": code}, headers=admin.headers)

    assert response.status_code == 200, response.text
    [message] = await outbox("ticket.checked_in", booking_id=booking["id"])
    assert message["data"]["organizer_id"] == str(organizer.id)
    assert message["data"]["actor_id"] == str(admin.id)


async def test_checkin_admits_without_a_message_when_booking_knows_no_organizer_at_all(
    client: Any, customer: Any, confirmed_booking: Any, outbox: Any, runtime: Any
) -> None:
    booking = await confirmed_booking(customer())
    await _set_organizer(runtime, booking["id"], None)
    code = booking["tickets"][0]["code"]

    response = await client.post(CHECKIN, json={"code": code}, headers=customer("admin").headers)

    assert response.status_code == 200, response.text
    assert await outbox("ticket.checked_in", booking_id=booking["id"]) == []
