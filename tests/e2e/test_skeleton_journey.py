"""The walking skeleton, end to end through the real gateway.

register → sign in → the admin makes the user an organizer → create and publish an event with
reserved seats → another user holds two seats → books them → pays with 4242… → the booking
becomes confirmed by way of RabbitMQ messages → the event shows the seats sold → the PDF ticket
downloads, and its QR carries a ticket code.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from pypdf import PdfReader

from shared.testing.eventually import eventually

pytestmark = pytest.mark.e2e

JSON = {"Content-Type": "application/json"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _register_and_login(client: httpx2.AsyncClient, name: str) -> tuple[dict[str, Any], str]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.test"
    password = "correct horse battery"
    registered = await client.post(
        "/api/auth/register", json={"email": email, "password": password, "full_name": name.title()}
    )
    assert registered.status_code == 201, registered.text
    return registered.json(), await _login(client, email, password)


async def _login(client: httpx2.AsyncClient, email: str, password: str) -> str:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["refresh_token"]
    return str(body["access_token"])


def _event_body() -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=30)
    return {
        "title": f"Skeleton Live {uuid.uuid4().hex[:6]}",
        "description": "The first show sold through the whole system.",
        "location": "Main Hall, Addis Ababa",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "currency": "USD",
        "max_tickets_per_order": 6,
        "max_tickets_per_buyer": 6,
        "tiers": [
            {"code": "vip", "name": "VIP", "price": 8000},
            {"code": "standard", "name": "Standard", "price": 2500},
        ],
        "seating": [
            {"section": "A", "tier": "vip", "rows": ["A"], "seats_per_row": 4},
            {"section": "B", "tier": "standard", "rows": ["C", "D"], "seats_per_row": 5},
        ],
    }


async def test_a_purchase_goes_end_to_end_through_the_gateway(
    client_factory: Any, mailbox: Any, admin_credentials: tuple[str, str]
) -> None:
    organizer_http, buyer_http, admin_http, stranger_http = (client_factory() for _ in range(4))

    # register and sign in; the admin promotes the first user to organizer
    organizer, organizer_token = await _register_and_login(organizer_http, "olga")
    buyer, buyer_token = await _register_and_login(buyer_http, "bekele")
    assert organizer["role"] == "customer" and "password" not in str(organizer)
    admin_token = await _login(admin_http, *admin_credentials)
    promoted = await admin_http.patch(
        f"/api/auth/admin/users/{organizer['id']}",
        json={"role": "organizer"},
        headers=_bearer(admin_token),
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "organizer"
    organizer_token = await _login(organizer_http, organizer["email"], "correct horse battery")

    # a customer cannot create events; the organizer can, and publishes
    refused = await buyer_http.post("/api/events", json=_event_body(), headers=_bearer(buyer_token))
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    created = await organizer_http.post(
        "/api/v1/events", json=_event_body(), headers=_bearer(organizer_token)
    )
    assert created.status_code == 201, created.text
    event = created.json()
    published = await organizer_http.post(
        f"/api/events/{event['id']}/publish", headers=_bearer(organizer_token)
    )
    assert published.status_code == 200 and published.json()["status"] == "published"

    seats = (await buyer_http.get(f"/api/events/{event['id']}/seats")).json()
    assert len(seats) == 14 and all(s["status"] == "available" for s in seats)

    # the buyer holds two VIP seats, books them and pays
    hold = await buyer_http.post(
        f"/api/events/{event['id']}/holds",
        json={"seat_ids": ["A-A-1", "A-A-2"]},
        headers=_bearer(buyer_token),
    )
    assert hold.status_code == 201, hold.text
    assert hold.json()["amount"] == 16000
    again = await stranger_http.post(
        f"/api/events/{event['id']}/holds",
        json={"seat_ids": ["A-A-2", "A-A-3"]},
        headers=_bearer((await _register_and_login(stranger_http, "sara"))[1]),
    )
    assert again.status_code == 409 and again.json()["error"] == "seats_unavailable"
    assert again.json()["details"]["unavailable"] == ["A-A-2"]

    key = {"Idempotency-Key": uuid.uuid4().hex}
    hold_body = {"hold_id": hold.json()["hold_id"]}
    booking = await buyer_http.post(
        "/api/bookings", json=hold_body, headers=_bearer(buyer_token) | key
    )
    assert booking.status_code == 201, booking.text
    booking_id = booking.json()["id"]
    assert booking.json()["status"] == "pending_payment" and booking.json()["amount"] == 16000
    replay = await buyer_http.post(
        "/api/bookings", json=hold_body, headers=_bearer(buyer_token) | key
    )
    assert replay.status_code == 201 and replay.json()["id"] == booking_id

    payment = await buyer_http.post(
        "/api/payments",
        json={
            "booking_id": booking_id,
            "card_number": "4242424242424242",
            "exp_month": 12,
            "exp_year": datetime.now(UTC).year + 2,
            "cvc": "123",
        },
        headers=_bearer(buyer_token),
    )
    assert payment.status_code == 201, payment.text
    assert payment.json()["status"] == "succeeded" and payment.json()["amount"] == 16000

    # RabbitMQ carries the rest: booking confirmed, seats sold, ticket rendered
    async def booking_state() -> dict[str, Any]:
        response = await buyer_http.get(f"/api/bookings/{booking_id}", headers=_bearer(buyer_token))
        return dict(response.json())

    confirmed = await eventually(
        booking_state, until=lambda b: b.get("status") == "confirmed", what="booking confirmed"
    )
    codes = [ticket["code"] for ticket in confirmed["tickets"]]
    assert sorted(t["seat_id"] for t in confirmed["tickets"]) == ["A-A-1", "A-A-2"]

    async def vip_tier() -> dict[str, Any]:
        detail = (await buyer_http.get(f"/api/events/{event['id']}")).json()
        return next(t for t in detail["tiers"] if t["code"] == "vip")

    vip = await eventually(vip_tier, until=lambda t: t["sold"] == 2, what="seats sold")
    assert vip["available"] + vip["held"] + vip["sold"] == vip["capacity"] == 4
    seat_map = (await buyer_http.get(f"/api/events/{event['id']}/seats")).json()
    sold = sorted(s["seat_id"] for s in seat_map if s["status"] == "sold")
    assert sold == ["A-A-1", "A-A-2"]

    async def pdf() -> httpx2.Response:
        return await buyer_http.get(
            f"/api/notifications/tickets/{booking_id}/pdf", headers=_bearer(buyer_token)
        )

    ticket = await eventually(pdf, until=lambda r: r.status_code == 200, what="PDF ticket")
    assert ticket.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(ticket.content))
    assert len(reader.pages) == 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert event["title"] in text and booking_id in text and "A-A-1" in text

    # someone else cannot read the booking or download the ticket
    stranger_token = await _register_and_login(stranger_http, "tomas")
    assert (
        await stranger_http.get(f"/api/bookings/{booking_id}", headers=_bearer(stranger_token[1]))
    ).status_code == 404
    assert (
        await stranger_http.get(
            f"/api/notifications/tickets/{booking_id}/pdf", headers=_bearer(stranger_token[1])
        )
    ).status_code == 404

    # and the buyer got the confirmation mail with the ticket attached
    async def confirmation_mails() -> list[Any]:
        return [
            m
            for m in mailbox.to(buyer["email"])
            if any(part.get_content_type() == "application/pdf" for part in m.walk())
        ]

    mails = await eventually(confirmation_mails, what="confirmation email")
    assert len(mails) == 1
    assert len(codes) == 2 and all(code.count(".") == 1 for code in codes)


async def test_gateway_answers_with_request_id_and_error_body(client_factory: Any) -> None:
    client = client_factory()
    response = await client.get("/api/events/not-a-uuid", headers={"X-Request-ID": "e2e-rid-1"})
    assert response.status_code in (404, 422)
    assert response.headers["x-request-id"] == "e2e-rid-1"
    assert response.json()["request_id"] == "e2e-rid-1"
    for prefix in ("auth", "events", "bookings", "payments", "notifications"):
        health = await client.get(f"/api/{prefix}/health/ready")
        assert health.status_code == 200, (prefix, health.text)
    internal = await client.post("/internal/holds/x/claim")
    assert internal.status_code == 404 and internal.json()["error"] == "not_found"
