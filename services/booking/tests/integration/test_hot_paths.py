"""The purchase's hot paths stay lean: what each sends to PostgreSQL is counted (statements and
transaction control, ``round_trips.counting``), and the bodies PostgreSQL writes are exactly
what the response models would write."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from booking_service.schemas import BookingDetail
from shared.contracts.booking import BookingSnapshotV1
from shared.settings import DEV_INTERNAL_TOKEN
from shared.testing.round_trips import counting

pytestmark = [
    pytest.mark.integration,
]

INTERNAL = {"X-Internal-Token": DEV_INTERNAL_TOKEN}


def _mine(statements: list[str]) -> list[str]:
    """Statements other than the shared consumer's inbox claim."""
    return [s for s in statements if "processed_message" not in s]


async def test_polling_a_booking_is_one_statement_and_no_transaction_when_pending_or_confirmed(
    client: Any, customer: Any, book: Any, handle: Any, paid: Any, runtime: Any
) -> None:
    user = customer()
    booking = (await book(user)).json()
    url = f"/api/bookings/{booking['id']}"

    async with counting(runtime.engine) as pending:
        first = await client.get(url, headers=user.headers)
    assert await handle(paid(booking)) == "handled"
    async with counting(runtime.engine) as confirmed:
        second = await client.get(url, headers=user.headers)

    assert (first.json()["status"], second.json()["status"]) == ("pending_payment", "confirmed")
    assert len(second.json()["tickets"]) == 1
    for trips in (pending, confirmed):
        assert len(trips.statements) == 1, trips.statements
        assert trips.statements[0].startswith(
            "SELECT b.user_id, b.organizer_id, b.status, json_build"
        )
        assert trips.control == []  # no BEGIN/COMMIT around a lone statement


async def test_payments_read_of_a_booking_is_one_statement_when_asked(
    client: Any, customer: Any, book: Any, runtime: Any
) -> None:
    booking = (await book(customer())).json()

    async with counting(runtime.engine) as trips:
        response = await client.get(f"/internal/bookings/{booking['id']}", headers=INTERNAL)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    snapshot = BookingSnapshotV1.model_validate_json(response.content)
    assert response.json() == snapshot.model_dump(mode="json")
    assert (len(trips.statements), trips.control) == (1, [])


async def test_booking_is_one_lookup_then_one_transaction_of_two_statements_when_created(
    customer: Any, book: Any, runtime: Any
) -> None:
    async with counting(runtime.engine) as trips:
        response = await book(customer(), seats=[("A-H-1", "vip", 8000), ("A-H-2", "vip", 8000)])

    assert response.status_code == 201, response.text
    kinds = [s.split(" (")[0] for s in trips.statements]
    assert kinds == [
        "SELECT id, user_id FROM booking WHERE hold_id = $1",  # already booked? (no transaction)
        "WITH new_booking AS",  # the booking and both seats, one statement
        "INSERT INTO outbox_message",  # booking.created
    ], trips.statements
    assert trips.control == ["BEGIN", "COMMIT"]


async def test_confirming_a_paid_booking_is_a_lock_a_statement_and_its_message_when_paid(
    customer: Any, book: Any, handle: Any, paid: Any, runtime: Any
) -> None:
    seats = [("A-H-3", "vip", 8000), ("A-H-4", "vip", 8000)]
    booking = (await book(customer(), seats=seats)).json()

    async with counting(runtime.engine) as trips:
        assert await handle(paid(booking)) == "handled"

    mine = _mine(trips.statements)
    assert len(mine) == 3, mine
    assert mine[0].startswith("SELECT b.id") and mine[0].endswith("FOR UPDATE OF b")
    assert mine[1].startswith("WITH moved AS") and "INSERT INTO ticket" in mine[1]
    assert mine[2].startswith("INSERT INTO outbox_message")
    assert trips.control == ["BEGIN", "COMMIT"]  # the consumer's one transaction


async def test_booking_detail_is_exactly_what_its_model_writes_when_confirmed_and_checked_in(
    client: Any, customer: Any, confirmed_booking: Any
) -> None:
    """Seats (one general admission), tickets, a check-in time, a start time without
    microseconds and timestamps with them: every value as pydantic would render it."""
    buyer, admin = customer(), customer("admin")
    booking = await confirmed_booking(buyer, seats=[("A-H-5", "vip", 8000), (None, "ga", 2500)])
    code = booking["tickets"][1]["code"]
    checked = await client.post("/api/bookings/checkin", json={"code": code}, headers=admin.headers)
    assert checked.status_code == 200, checked.text

    response = await client.get(f"/api/bookings/{booking['id']}", headers=buyer.headers)

    assert response.headers["content-type"] == "application/json"
    body = json.loads(response.content)
    assert body == BookingDetail.model_validate(body).model_dump(mode="json")
    assert list(body) == list(BookingDetail.model_fields)
    assert body["event"]["starts_at"] == "2030-06-01T20:00:00Z"
    assert [s["seat_id"] for s in body["seats"]] == ["A-H-5", None]
    assert [t["seat_id"] for t in body["tickets"]] == ["A-H-5", None]
    assert body["tickets"][0]["checked_in_at"] is None
    assert body["tickets"][1]["checked_in_at"] == checked.json()["checked_in_at"]


async def test_booking_detail_lists_no_tickets_and_the_reason_when_cancelled(
    client: Any, customer: Any, confirmed_booking: Any
) -> None:
    buyer = customer()
    booking = await confirmed_booking(buyer)

    cancelled = await client.post(f"/api/bookings/{booking['id']}/cancel", headers=buyer.headers)
    again = await client.get(f"/api/bookings/{booking['id']}", headers=buyer.headers)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json() == again.json()
    body = again.json()
    assert body == BookingDetail.model_validate(body).model_dump(mode="json")
    assert (body["status"], body["cancel_reason"], body["tickets"]) == (
        "cancelled",
        "cancelled_by_user",
        [],
    )
    assert body["payment_id"] == booking["payment_id"]
    assert uuid.UUID(body["payment_id"])
