"""Check-in with signed codes, sales for organizers and admins, and who may see what."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booking_service import tickets

pytestmark = [pytest.mark.integration]


def _altered(code: str, **changes: Any) -> str:
    payload_part, signature_part = code.split(".")
    raw = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    raw.update(changes)
    encoded = base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode())
    return f"{encoded.rstrip(b'=').decode()}.{signature_part}"


# --- check-in -------------------------------------------------------------------------------


async def test_checkin_admits_once_then_409_with_first_time_when_scanned_again(
    client: Any, customer: Any, confirmed_booking: Any
) -> None:
    organizer = customer("organizer")
    booking = await confirmed_booking(customer(), organizer_id=organizer.id)
    ticket = booking["tickets"][0]

    first = await client.post(
        "/api/bookings/checkin", json={"code": ticket["code"]}, headers=organizer.headers
    )
    again = await client.post(
        "/api/bookings/checkin", json={"code": ticket["code"]}, headers=organizer.headers
    )

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["ticket_id"] == ticket["ticket_id"] and body["booking_id"] == booking["id"]
    assert body["event_id"] == booking["event_id"] and body["seat_id"] == ticket["seat_id"]
    assert again.status_code == 409 and again.json()["error"] == "already_checked_in"
    assert again.json()["details"]["checked_in_at"] == body["checked_in_at"]
    detail = await client.get(f"/api/bookings/{booking['id']}", headers=organizer.headers)
    assert detail.json()["tickets"][0]["checked_in_at"] == body["checked_in_at"]


async def test_checkin_admits_exactly_one_when_two_gates_scan_at_once(
    client: Any, customer: Any, confirmed_booking: Any
) -> None:
    admin = customer("admin")
    booking = await confirmed_booking(customer())
    code = booking["tickets"][0]["code"]

    answers = await asyncio.gather(
        *(
            client.post("/api/bookings/checkin", json={"code": code}, headers=admin.headers)
            for _ in range(6)
        )
    )

    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409, 409]


@pytest.mark.parametrize(
    "change",
    [
        {"s": "Z-Z-99"},  # another seat
        {"t": "00000000-0000-4000-8000-000000000000"},  # another ticket
    ],
)
async def test_checkin_is_400_invalid_ticket_when_code_is_altered(
    client: Any, customer: Any, change: dict[str, str], confirmed_booking: Any
) -> None:
    admin = customer("admin")
    booking = await confirmed_booking(customer())
    altered = _altered(booking["tickets"][0]["code"], **change)

    response = await client.post(
        "/api/bookings/checkin", json={"code": altered}, headers=admin.headers
    )

    assert response.status_code == 400 and response.json()["error"] == "invalid_ticket"


@pytest.mark.parametrize("code", ["garbage", "a.b", "a.b.c", "e30.e30"])
async def test_checkin_is_400_invalid_ticket_when_code_is_malformed(
    client: Any, customer: Any, code: str
) -> None:
    response = await client.post(
        "/api/bookings/checkin", json={"code": code}, headers=customer("admin").headers
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_ticket"


async def test_checkin_is_400_when_code_is_signed_by_a_foreign_key(
    client: Any, customer: Any, confirmed_booking: Any
) -> None:
    booking = await confirmed_booking(customer())
    ticket = booking["tickets"][0]
    forged = tickets.TicketSigner(Ed25519PrivateKey.generate()).sign(
        tickets.TicketClaims(
            ticket_id=uuid.UUID(ticket["ticket_id"]),
            booking_id=uuid.UUID(booking["id"]),
            event_id=uuid.UUID(booking["event_id"]),
            seat_id=ticket["seat_id"],
        )
    )
    response = await client.post(
        "/api/bookings/checkin", json={"code": forged}, headers=customer("admin").headers
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_ticket"


async def test_checkin_is_409_invalid_state_when_booking_was_cancelled(
    client: Any, customer: Any, confirmed_booking: Any
) -> None:
    buyer, admin = customer(), customer("admin")
    booking = await confirmed_booking(buyer)
    await client.post(f"/api/bookings/{booking['id']}/cancel", headers=buyer.headers)

    response = await client.post(
        "/api/bookings/checkin", json={"code": booking["tickets"][0]["code"]}, headers=admin.headers
    )

    assert response.status_code == 409 and response.json()["error"] == "invalid_state"
    assert response.json()["details"]["booking_status"] == "cancelled"


async def test_checkin_is_403_when_caller_is_another_organizer_or_a_customer(
    client: Any, customer: Any, confirmed_booking: Any
) -> None:
    buyer = customer()
    booking = await confirmed_booking(buyer, organizer_id=uuid.uuid4())
    body = {"code": booking["tickets"][0]["code"]}

    other_organizer = await client.post(
        "/api/bookings/checkin", json=body, headers=customer("organizer").headers
    )
    the_buyer = await client.post("/api/bookings/checkin", json=body, headers=buyer.headers)

    assert other_organizer.status_code == 403 and the_buyer.status_code == 403
    admitted = await client.post(
        "/api/bookings/checkin", json=body, headers=customer("admin").headers
    )
    assert admitted.status_code == 200  # the refusals used nothing up


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "x", "extra": 1}, {"code": 7}])
async def test_checkin_is_422_when_body_is_invalid(
    client: Any, customer: Any, body: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/bookings/checkin", json=body, headers=customer("admin").headers
    )
    assert response.status_code == 422 and response.json()["error"] == "validation_error"


async def test_ticket_keys_are_published_and_verify_issued_codes(
    client: Any, customer: Any, confirmed_booking: Any
) -> None:
    booking = await confirmed_booking(customer())

    response = await client.get("/api/bookings/.well-known/ticket-keys")

    assert response.status_code == 200
    keys = {k["kid"]: k for k in response.json()["keys"]}
    code = booking["tickets"][0]["code"]
    payload = json.loads(base64.urlsafe_b64decode(code.split(".")[0] + "=="))
    jwk = keys[payload["k"]]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    public = jwt.PyJWK.from_dict(jwk, algorithm="EdDSA").key
    assert tickets.verify(code, public).booking_id == uuid.UUID(booking["id"])


# --- organizer access -----------------------------------------------------------------------


async def test_event_organizer_reads_booking_but_cannot_cancel_it(
    client: Any, customer: Any, book: Any
) -> None:
    organizer = customer("organizer")
    booking = (await book(customer(), organizer_id=organizer.id)).json()
    assert booking["organizer_id"] == str(organizer.id)

    read = await client.get(f"/api/bookings/{booking['id']}", headers=organizer.headers)
    cancel = await client.post(f"/api/bookings/{booking['id']}/cancel", headers=organizer.headers)
    stranger = await client.get(
        f"/api/bookings/{booking['id']}", headers=customer("organizer").headers
    )

    assert read.status_code == 200 and read.json()["id"] == booking["id"]
    assert cancel.status_code == 403
    assert stranger.status_code == 404


# --- sales ----------------------------------------------------------------------------------


async def test_event_sales_count_confirmed_places_and_revenue_per_tier(
    client: Any, customer: Any, book: Any, expire: Any, confirmed_booking: Any
) -> None:
    organizer = customer("organizer")
    event_id = uuid.uuid4()
    mine = {"event_id": event_id, "organizer_id": organizer.id}
    await confirmed_booking(
        customer(),
        seats=[("S-A-1", "vip", 8000), ("S-A-2", "vip", 8000), (None, "floor", 3000)],
        **mine,
    )
    await confirmed_booking(customer(), seats=[(None, "floor", 3000)], **mine)
    await book(customer(), seats=[("S-A-3", "vip", 8000)], **mine)  # pending: not sold
    cancelled_buyer = customer()
    gone = await confirmed_booking(cancelled_buyer, seats=[("S-A-4", "vip", 8000)], **mine)
    await client.post(f"/api/bookings/{gone['id']}/cancel", headers=cancelled_buyer.headers)
    lapsed = (await book(customer(), seats=[("S-A-5", "vip", 8000)], **mine)).json()
    await expire(lapsed["id"])

    response = await client.get(f"/api/bookings/events/{event_id}/sales", headers=organizer.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "event_id": str(event_id),
        "currency": "USD",
        "tickets_sold": 4,
        "revenue": 22000,
        "by_tier": [
            {"tier": "floor", "sold": 2, "revenue": 6000},
            {"tier": "vip", "sold": 2, "revenue": 16000},
        ],
        "bookings_by_status": {
            "pending_payment": 1,
            "confirmed": 2,
            "cancelled": 1,
            "expired": 1,
            "refunded": 0,
        },
    }
    admin = await client.get(
        f"/api/bookings/events/{event_id}/sales", headers=customer("admin").headers
    )
    assert admin.json() == response.json()


async def test_event_sales_are_404_for_another_organizer_and_403_for_a_customer(
    client: Any, customer: Any, book: Any
) -> None:
    event_id = uuid.uuid4()
    await book(customer(), event_id=event_id, organizer_id=uuid.uuid4())
    url = f"/api/bookings/events/{event_id}/sales"

    other = await client.get(url, headers=customer("organizer").headers)
    buyer = await client.get(url, headers=customer().headers)

    assert other.status_code == 404 and buyer.status_code == 403


async def test_event_sales_are_404_for_admin_when_booking_never_heard_of_the_event(
    client: Any, customer: Any
) -> None:
    """L11: admins used to read zeros for any id at all (a typo looked like an unsold event)."""
    response = await client.get(
        f"/api/bookings/events/{uuid.uuid4()}/sales", headers=customer("admin").headers
    )
    assert response.status_code == 404 and response.json()["error"] == "not_found"


async def test_sales_overview_lists_only_own_events_for_organizer_and_all_for_admin(
    client: Any, customer: Any, book: Any, confirmed_booking: Any
) -> None:
    organizer = customer("organizer")
    first, second, foreign = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await confirmed_booking(customer(), event_id=first, organizer_id=organizer.id)
    await confirmed_booking(
        customer(),
        event_id=first,
        organizer_id=organizer.id,
        seats=[(None, "floor", 3000), (None, "floor", 3000)],
    )
    await book(customer(), event_id=second, organizer_id=organizer.id)
    await confirmed_booking(customer(), event_id=foreign, organizer_id=uuid.uuid4())

    mine = (await client.get("/api/bookings/sales", headers=organizer.headers)).json()
    everything = (await client.get("/api/bookings/sales", headers=customer("admin").headers)).json()
    refused = await client.get("/api/bookings/sales", headers=customer().headers)

    rows = {row["event_id"]: row for row in mine["events"]}
    assert set(rows) == {str(first), str(second)}
    assert (rows[str(first)]["tickets_sold"], rows[str(first)]["revenue"]) == (3, 14000)
    assert rows[str(first)]["confirmed_bookings"] == 2 and rows[str(first)]["title"] == "The Show"
    assert (rows[str(second)]["tickets_sold"], rows[str(second)]["revenue"]) == (0, 0)
    assert mine["totals"] == [{"currency": "USD", "tickets_sold": 3, "revenue": 14000}]
    assert {str(first), str(second), str(foreign)} <= {r["event_id"] for r in everything["events"]}
    assert refused.status_code == 403


# --- admin listing --------------------------------------------------------------------------


async def test_admin_lists_every_booking_with_filters(
    client: Any, customer: Any, book: Any, confirmed_booking: Any
) -> None:
    admin, buyer = customer("admin"), customer()
    event_id = uuid.uuid4()
    pending = (await book(buyer, event_id=event_id)).json()
    confirmed = await confirmed_booking(customer(), event_id=event_id)

    url = "/api/bookings/admin/all"
    by_event = await client.get(f"{url}?event_id={event_id}", headers=admin.headers)
    by_status = await client.get(
        f"/api/bookings/admin/all?event_id={event_id}&status=confirmed", headers=admin.headers
    )
    by_user = await client.get(f"/api/bookings/admin/all?user_id={buyer.id}", headers=admin.headers)
    paged = await client.get(
        f"/api/bookings/admin/all?event_id={event_id}&page=2&page_size=1", headers=admin.headers
    )

    assert [b["id"] for b in by_event.json()["items"]] == [confirmed["id"], pending["id"]]
    assert by_event.json()["total"] == 2
    assert [b["id"] for b in by_status.json()["items"]] == [confirmed["id"]]
    assert [b["id"] for b in by_user.json()["items"]] == [pending["id"]]
    assert [b["id"] for b in paged.json()["items"]] == [pending["id"]]


async def test_admin_listing_is_403_for_non_admins_and_422_for_bad_filters(
    client: Any, customer: Any
) -> None:
    assert (
        await client.get("/api/bookings/admin/all", headers=customer("organizer").headers)
    ).status_code == 403
    bad = await client.get(
        "/api/bookings/admin/all?status=lost&event_id=x", headers=customer("admin").headers
    )
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["details"]["fields"]} == {"status", "event_id"}


# --- the claim call -------------------------------------------------------------------------


async def test_booking_succeeds_when_first_claim_answer_times_out_after_event_claimed(
    client: Any, customer: Any, fake_event: Any
) -> None:
    user = customer()
    hold = fake_event.add_hold(user_id=user.id, first_answer_delay=2.3)  # > HTTP_TIMEOUT (2 s)

    response = await client.post(
        "/api/bookings", json={"hold_id": hold.hold_id}, headers=user.headers
    )

    assert response.status_code == 201, response.text
    assert fake_event.claims.count(hold.hold_id) == 2  # timed out once, retried, same answer
