"""The walking skeleton, end to end through the real gateway.

register → sign in → the admin makes the user an organizer → create and publish an event with
reserved seats → another user holds two seats → books them → pays with 4242… → the booking
becomes confirmed by way of RabbitMQ messages → the event shows the seats sold → the PDF ticket
downloads, and its QR carries a ticket code.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from pypdf import PdfReader

from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    Actor,
    Cast,
    book_hold,
    booking_reaches,
    event_body,
    hold,
    pay,
    promote_to_organizer,
    publish_event,
    seat_statuses,
    ticket_pdf,
    ticket_pdf_path,
    tier_of,
    try_hold,
)

pytestmark = pytest.mark.e2e

SEATS = 14  # 4 VIP in row A, 2 × 5 standard in rows C and D


def _skeleton_event() -> dict[str, Any]:
    return event_body(
        title=f"Skeleton Live {uuid.uuid4().hex[:6]}",
        location="Main Hall, Addis Ababa",
        tiers=[
            {"code": "vip", "name": "VIP", "price": 8000},
            {"code": "standard", "name": "Standard", "price": 2500},
        ],
        seating=[
            {"section": "A", "tier": "vip", "rows": ["A"], "seats_per_row": 4},
            {"section": "B", "tier": "standard", "rows": ["C", "D"], "seats_per_row": 5},
        ],
    )


async def _an_organizer_is_made(cast: Cast, admin: Actor) -> Actor:
    organizer = await cast.person("olga")
    assert organizer.user["role"] == "customer" and "password" not in str(organizer.user)
    await promote_to_organizer(admin, organizer)
    return organizer


async def _the_organizer_publishes(organizer: Actor, buyer: Actor) -> dict[str, Any]:
    """A customer may not create events; the organizer creates one (under /api/v1) and
    publishes it, every seat available."""
    refused = await buyer.post("/api/events", json=_skeleton_event())
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    created = await organizer.post("/api/v1/events", json=_skeleton_event())
    assert created.status_code == 201, created.text
    event: dict[str, Any] = created.json()
    await publish_event(organizer, event["id"])
    seats = (await buyer.get(f"/api/events/{event['id']}/seats")).json()
    assert len(seats) == SEATS and all(s["status"] == "available" for s in seats)
    return event


async def _the_buyer_holds_and_books(buyer: Actor, rival: Actor, event_id: str) -> dict[str, Any]:
    """Two VIP seats held — a rival asking for one of them is refused — then booked, and the
    booking replayed under the same Idempotency-Key."""
    held = await hold(buyer, event_id, ["A-A-1", "A-A-2"])
    assert held["amount"] == 16000
    again = await try_hold(rival, event_id, {"seat_ids": ["A-A-2", "A-A-3"]})
    assert again.status_code == 409 and again.json()["error"] == "seats_unavailable"
    assert again.json()["details"]["unavailable"] == ["A-A-2"]

    key = uuid.uuid4().hex
    booking = await book_hold(buyer, held["hold_id"], key=key)
    assert booking["status"] == "pending_payment" and booking["amount"] == 16000
    assert (await book_hold(buyer, held["hold_id"], key=key))["id"] == booking["id"]
    return booking


async def _the_saga_confirms(buyer: Actor, booking_id: str, event_id: str) -> dict[str, Any]:
    """Paid with the good card; RabbitMQ carries the rest: booking confirmed, seats sold."""
    payment = await pay(buyer, booking_id)
    assert payment.status_code == 201, payment.text
    assert payment.json()["status"] == "succeeded" and payment.json()["amount"] == 16000

    confirmed = await booking_reaches(buyer, booking_id, "confirmed")
    assert sorted(t["seat_id"] for t in confirmed["tickets"]) == ["A-A-1", "A-A-2"]
    vip = await eventually(
        lambda: tier_of(buyer, event_id, "vip"), until=lambda t: t["sold"] == 2, what="seats sold"
    )
    assert vip["available"] + vip["held"] + vip["sold"] == vip["capacity"] == 4
    seats = await seat_statuses(buyer, event_id)
    assert sorted(seat for seat, status in seats.items() if status == "sold") == ["A-A-1", "A-A-2"]
    return confirmed


async def _the_ticket_downloads(buyer: Actor, booking_id: str, title: str) -> None:
    ticket = await ticket_pdf(buyer, booking_id)
    assert ticket.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(ticket.content))
    assert len(reader.pages) == 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert title in text and booking_id in text and "A-A-1" in text


async def _the_buyer_is_mailed_the_ticket(mailbox: Any, buyer: Actor) -> None:
    async def confirmation_mails() -> list[Any]:
        return [
            m
            for m in mailbox.to(buyer.email)
            if any(part.get_content_type() == "application/pdf" for part in m.walk())
        ]

    mails = await eventually(confirmation_mails, what="confirmation email")
    assert len(mails) == 1


async def test_a_purchase_goes_end_to_end_through_the_gateway(
    cast: Cast, admin: Actor, mailbox: Any
) -> None:
    organizer = await _an_organizer_is_made(cast, admin)
    buyer = await cast.person("bekele")
    event = await _the_organizer_publishes(organizer, buyer)

    booking = await _the_buyer_holds_and_books(buyer, await cast.person("sara"), event["id"])
    confirmed = await _the_saga_confirms(buyer, booking["id"], event["id"])
    await _the_ticket_downloads(buyer, booking["id"], event["title"])

    stranger = await cast.person("tomas")  # sees neither the booking nor its ticket
    assert (await stranger.get(f"/api/bookings/{booking['id']}")).status_code == 404
    assert (await stranger.get(ticket_pdf_path(booking["id"]))).status_code == 404
    await _the_buyer_is_mailed_the_ticket(mailbox, buyer)
    codes = [ticket["code"] for ticket in confirmed["tickets"]]
    assert len(codes) == 2 and all(code.count(".") == 1 for code in codes)


async def test_gateway_answers_with_request_id_and_error_body(cast: Cast) -> None:
    anonymous = cast.actor()
    response = await anonymous.get("/api/events/not-a-uuid", headers={"X-Request-ID": "e2e-rid-1"})
    assert response.status_code == 422 and response.json()["error"] == "validation_error"
    assert response.headers["x-request-id"] == "e2e-rid-1"
    assert response.json()["request_id"] == "e2e-rid-1"
    for prefix in ("auth", "events", "bookings", "payments", "notifications"):
        health = await anonymous.get(f"/api/{prefix}/health/ready")
        assert health.status_code == 200, (prefix, health.text)
    internal = await anonymous.post("/internal/holds/x/claim")
    assert internal.status_code == 404 and internal.json()["error"] == "not_found"


@pytest.mark.parametrize("prefix", ["auth", "events", "bookings", "payments", "notifications"])
async def test_health_docs_and_openapi_answer_200_under_every_prefix_through_the_gateway(
    cast: Cast, prefix: str
) -> None:
    anonymous = cast.actor()

    health = await anonymous.get(f"/api/{prefix}/health")
    ready = await anonymous.get(f"/api/{prefix}/health/ready")
    docs = await anonymous.get(f"/api/{prefix}/docs")
    spec = await anonymous.get(f"/api/{prefix}/openapi.json")

    assert [health.status_code, ready.status_code, docs.status_code, spec.status_code] == [
        200,
        200,
        200,
        200,
    ], (prefix, health.text, docs.text[:200], spec.text[:200])
    assert health.json()["status"] == "ok"
    assert docs.headers["content-type"].startswith("text/html")
    assert f"/api/{prefix}/openapi.json" in docs.text  # the page loads the spec under its prefix
    assert spec.json()["openapi"].startswith("3.")
    assert any(path.startswith(f"/api/{prefix}") for path in spec.json()["paths"])
