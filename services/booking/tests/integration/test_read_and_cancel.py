"""Reading and cancelling bookings (public routes) and the internal read for payment."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.contracts.booking import BookingSnapshotV1
from shared.settings import DEV_INTERNAL_TOKEN

pytestmark = [
    pytest.mark.integration,
]


async def test_owner_sees_booking_without_tickets_when_pending(
    client: Any, customer: Any, book: Any
) -> None:
    user = customer()
    created = (await book(user)).json()
    response = await client.get(f"/api/bookings/{created['id']}", headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"] and body["status"] == "pending_payment"
    assert body["tickets"] == []


async def test_booking_is_404_when_it_belongs_to_another_user(
    client: Any, customer: Any, book: Any
) -> None:
    created = (await book(customer())).json()
    stranger = customer()
    got = await client.get(f"/api/bookings/{created['id']}", headers=stranger.headers)
    cancel = await client.post(f"/api/bookings/{created['id']}/cancel", headers=stranger.headers)
    assert (got.status_code, cancel.status_code) == (404, 404)
    assert got.json()["error"] == cancel.json()["error"] == "not_found"


async def test_admin_sees_any_booking(client: Any, customer: Any, book: Any) -> None:
    created = (await book(customer())).json()
    response = await client.get(
        f"/api/bookings/{created['id']}", headers=customer(role="admin").headers
    )
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]


async def test_booking_is_404_when_id_unknown(client: Any, customer: Any) -> None:
    response = await client.get(f"/api/bookings/{uuid.uuid4()}", headers=customer().headers)
    assert response.status_code == 404


async def test_booking_id_is_422_when_not_a_uuid(client: Any, customer: Any) -> None:
    response = await client.get("/api/bookings/not-a-uuid", headers=customer().headers)
    assert response.status_code == 422


async def test_list_shows_only_own_bookings_newest_first(
    client: Any, customer: Any, book: Any
) -> None:
    user = customer()
    ids = [(await book(user)).json()["id"] for _ in range(3)]
    await book(customer())  # someone else's
    response = await client.get("/api/bookings?page_size=2", headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3 and body["page"] == 1 and body["page_size"] == 2
    assert [b["id"] for b in body["items"]] == [ids[2], ids[1]]
    rest = (await client.get("/api/bookings?page=2&page_size=2", headers=user.headers)).json()
    assert [b["id"] for b in rest["items"]] == [ids[0]]


async def test_list_filters_by_status(client: Any, customer: Any, book: Any) -> None:
    user = customer()
    kept = (await book(user)).json()["id"]
    gone = (await book(user)).json()["id"]
    await client.post(f"/api/bookings/{gone}/cancel", headers=user.headers)
    pending = (
        await client.get("/api/bookings?status=pending_payment", headers=user.headers)
    ).json()
    cancelled = (await client.get("/api/bookings?status=cancelled", headers=user.headers)).json()
    assert [b["id"] for b in pending["items"]] == [kept]
    assert [b["id"] for b in cancelled["items"]] == [gone]


async def test_list_is_422_when_status_unknown(client: Any, customer: Any) -> None:
    response = await client.get("/api/bookings?status=lost", headers=customer().headers)
    assert response.status_code == 422
    assert response.json()["details"]["fields"][0]["field"] == "status"


async def test_list_is_401_when_no_token(client: Any) -> None:
    assert (await client.get("/api/bookings")).status_code == 401


async def test_cancel_frees_seats_and_announces_when_pending(
    client: Any, customer: Any, book: Any, outbox: Any
) -> None:
    user = customer()
    event_id = uuid.uuid4()
    seats = [("B-C-3", "standard", 2500)]
    created = (await book(user, event_id=event_id, seats=seats)).json()

    response = await client.post(f"/api/bookings/{created['id']}/cancel", headers=user.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "cancelled_by_user"
    [message] = await outbox("booking.cancelled", booking_id=created["id"])
    assert message["data"]["was_confirmed"] is False
    assert message["data"]["payment_id"] is None
    assert message["data"]["seats"] == [{"seat_id": "B-C-3", "tier": "standard", "price": 2500}]
    again = await book(customer(), event_id=event_id, seats=seats)
    assert again.status_code == 201  # the partial unique index let the seat go


async def test_cancel_is_409_invalid_state_when_already_cancelled(
    client: Any, customer: Any, book: Any, outbox: Any
) -> None:
    user = customer()
    created = (await book(user)).json()
    await client.post(f"/api/bookings/{created['id']}/cancel", headers=user.headers)
    response = await client.post(f"/api/bookings/{created['id']}/cancel", headers=user.headers)
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_state"
    assert len(await outbox("booking.cancelled", booking_id=created["id"])) == 1


async def test_admin_cancel_is_recorded_as_by_admin(client: Any, customer: Any, book: Any) -> None:
    created = (await book(customer())).json()
    response = await client.post(
        f"/api/bookings/{created['id']}/cancel", headers=customer(role="admin").headers
    )
    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "cancelled_by_admin"


async def test_internal_read_gives_what_payment_needs(
    client: Any, customer: Any, book: Any
) -> None:
    user = customer()
    created = (await book(user)).json()
    response = await client.get(
        f"/internal/bookings/{created['id']}", headers={"X-Internal-Token": DEV_INTERNAL_TOKEN}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "user_id": str(user.id),
        "event_id": created["event_id"],
        "status": "pending_payment",
        "amount": created["amount"],
        "currency": "USD",
        "expires_at": created["expires_at"],
    }
    snapshot = BookingSnapshotV1.model_validate_json(response.content)  # what payment parses
    assert (snapshot.id, snapshot.status) == (uuid.UUID(created["id"]), "pending_payment")


async def test_internal_read_is_401_when_internal_token_missing(client: Any) -> None:
    response = await client.get(f"/internal/bookings/{uuid.uuid4()}")
    assert response.status_code == 401


async def test_internal_read_is_404_when_booking_unknown(client: Any) -> None:
    response = await client.get(
        f"/internal/bookings/{uuid.uuid4()}", headers={"X-Internal-Token": DEV_INTERNAL_TOKEN}
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_booking_is_404_for_its_event_organizer_when_they_were_demoted(
    client: Any, customer: Any, book: Any, signer: Any
) -> None:
    """Organizer-only access follows the current role (probe L2): a demoted organizer's new
    token says customer, and no longer reads their events' bookings."""
    organizer = customer("organizer")
    booking = (await book(customer(), organizer_id=organizer.id)).json()
    url = f"/api/bookings/{booking['id']}"
    assert (await client.get(url, headers=organizer.headers)).status_code == 200

    demoted = signer.headers(user_id=organizer.id, role="customer")

    assert (await client.get(url, headers=demoted)).status_code == 404
