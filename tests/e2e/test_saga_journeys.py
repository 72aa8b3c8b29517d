"""The booking saga through the real gateway and the five real services (shared e2e stack).

The happy path itself is test_skeleton_journey.py; here: the ticket's QR checks in once, card
failures, a retry after a processor error, cancelling before and after paying, a cancelled
event, strangers, and Idempotency-Key through the gateway.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pypdf import PdfReader

from tests.e2e.api_client import (
    DECLINED_CARD,
    ERROR_CARD,
    NO_FUNDS_CARD,
    Stage,
    book,
    booking_reaches,
    hold,
    pay,
    payment_reaches,
    published_event,
    seat_statuses,
    seats_become,
    stage,
    ticket_pdf,
    ticket_pdf_path,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def world(stack: Any, admin_credentials: tuple[str, str]) -> AsyncIterator[Stage]:
    async with stage(
        stack.gateway_url, admin_credentials, organizer="oona", rows=list("ABCDEFGH")
    ) as scene:
        yield scene


def qr_codes(pdf: bytes) -> list[str]:
    """The QR payloads of a PDF, read off its rendered pages (pypdfium2 renders, zxing-cpp
    decodes; both pinned in requirements/lock.txt)."""
    import pypdfium2
    import zxingcpp

    codes: list[str] = []
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        for page in document:
            image = page.render(scale=3).to_pil()
            codes += [r.text for r in zxingcpp.read_barcodes(image) if "QR" in str(r.format)]
    finally:
        document.close()
    return codes


async def test_ticket_qr_checks_in_once_when_scanned_by_the_event_organizer(world: Stage) -> None:
    buyer = await world.cast.person("bea")
    other_organizer = await world.cast.organizer(world.admin, "otto")
    event_id = world.event["id"]
    booking = await book(buyer, event_id, ["A-A-1"])
    assert (await pay(buyer, booking["id"])).json()["status"] == "succeeded"
    confirmed = await booking_reaches(buyer, booking["id"], "confirmed")
    assert confirmed["organizer_id"] == world.organizer.id

    pdf = await ticket_pdf(buyer, booking["id"])
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert booking["id"] in text
    decoded = qr_codes(pdf.content)
    assert decoded == [confirmed["tickets"][0]["code"]]
    code = decoded[0]

    refused = await other_organizer.post("/api/bookings/checkin", json={"code": code})
    admitted = await world.organizer.post("/api/bookings/checkin", json={"code": code})
    again = await world.organizer.post("/api/bookings/checkin", json={"code": code})

    assert refused.status_code == 403
    assert admitted.status_code == 200, admitted.text
    assert admitted.json()["booking_id"] == booking["id"]
    assert admitted.json()["seat_id"] == "A-A-1"
    assert again.status_code == 409 and again.json()["error"] == "already_checked_in"
    assert again.json()["details"]["checked_in_at"] == admitted.json()["checked_in_at"]

    payload_part, signature = code.split(".")
    payload = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    payload["s"] = "A-A-2"
    altered = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    forged = await world.organizer.post(
        "/api/bookings/checkin", json={"code": f"{altered}.{signature}"}
    )
    assert forged.status_code == 400 and forged.json()["error"] == "invalid_ticket"
    keys = (await buyer.get("/api/bookings/.well-known/ticket-keys")).json()["keys"]
    assert payload["k"] in {k["kid"] for k in keys}

    sales = await world.organizer.get(f"/api/bookings/events/{event_id}/sales")
    assert sales.status_code == 200 and sales.json()["tickets_sold"] >= 1
    assert (await other_organizer.get(f"/api/bookings/events/{event_id}/sales")).status_code == 404


@pytest.mark.parametrize(
    ("card", "reason", "seat"),
    [(DECLINED_CARD, "card_declined", "A-B-1"), (NO_FUNDS_CARD, "insufficient_funds", "A-B-2")],
)
async def test_failed_card_cancels_booking_and_frees_its_seat(
    world: Stage, card: str, reason: str, seat: str
) -> None:
    buyer = await world.cast.person("fay")
    booking = await book(buyer, world.event["id"], [seat])

    payment = await pay(buyer, booking["id"], card)

    assert payment.status_code == 201, payment.text
    assert payment.json()["status"] == "failed"
    assert payment.json()["failure_reason"] == reason
    cancelled = await booking_reaches(buyer, booking["id"], "cancelled")
    assert cancelled["cancel_reason"] == f"payment_failed: {reason}"
    await seats_become(buyer, world.event["id"], [seat], "available")


async def test_processing_error_leaves_booking_payable_until_a_good_card_pays(
    world: Stage,
) -> None:
    buyer = await world.cast.person("pia")
    booking = await book(buyer, world.event["id"], ["A-C-1"])

    first = await pay(buyer, booking["id"], ERROR_CARD)
    assert first.json()["status"] == "failed" and first.json()["retryable"] is True
    still = (await buyer.get(f"/api/bookings/{booking['id']}")).json()
    assert still["status"] == "pending_payment"

    second = await pay(buyer, booking["id"])

    assert second.json()["status"] == "succeeded", second.text
    confirmed = await booking_reaches(buyer, booking["id"], "confirmed")
    assert confirmed["payment_id"] == second.json()["id"]
    await seats_become(buyer, world.event["id"], ["A-C-1"], "sold")


async def test_cancel_before_payment_frees_the_seats_in_the_seat_map(world: Stage) -> None:
    buyer = await world.cast.person("cai")
    booking = await book(buyer, world.event["id"], ["A-D-1", "A-D-2"])
    assert (await seat_statuses(buyer, world.event["id"]))["A-D-1"] == "held"

    cancelled = await buyer.post(f"/api/bookings/{booking['id']}/cancel")

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    await seats_become(buyer, world.event["id"], ["A-D-1", "A-D-2"], "available")
    again = await buyer.post(f"/api/bookings/{booking['id']}/cancel")
    assert again.status_code == 409 and again.json()["error"] == "invalid_state"


async def test_cancel_after_payment_refunds_the_money_and_frees_the_seat(world: Stage) -> None:
    buyer = await world.cast.person("ren")
    booking = await book(buyer, world.event["id"], ["A-E-1"])
    payment = (await pay(buyer, booking["id"])).json()
    await booking_reaches(buyer, booking["id"], "confirmed")
    await seats_become(buyer, world.event["id"], ["A-E-1"], "sold")

    cancelled = await buyer.post(f"/api/bookings/{booking['id']}/cancel")

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    await payment_reaches(buyer, payment["id"], "refunded")
    refunded = await booking_reaches(buyer, booking["id"], "refunded")
    assert refunded["tickets"] == []
    await seats_become(buyer, world.event["id"], ["A-E-1"], "available")


async def test_event_cancelled_cancels_unpaid_and_refunds_paid_bookings(world: Stage) -> None:
    event = await published_event(world.organizer, rows=["A"])
    payer, waiter = await world.cast.person("pat"), await world.cast.person("wes")
    paid_booking = await book(payer, event["id"], ["A-A-1"])
    payment = (await pay(payer, paid_booking["id"])).json()
    await booking_reaches(payer, paid_booking["id"], "confirmed")
    unpaid = await book(waiter, event["id"], ["A-A-2"])

    response = await world.organizer.post(f"/api/events/{event['id']}/cancel")

    assert response.status_code == 200, response.text
    gone = await booking_reaches(waiter, unpaid["id"], "cancelled")
    assert gone["cancel_reason"] == "event_cancelled"
    await payment_reaches(payer, payment["id"], "refunded")
    refunded = await booking_reaches(payer, paid_booking["id"], "refunded")
    assert refunded["cancel_reason"] == "event_cancelled"


async def test_another_user_cannot_read_pay_cancel_or_download_a_booking(world: Stage) -> None:
    owner, stranger = await world.cast.person("ona"), await world.cast.person("sly")
    booking = await book(owner, world.event["id"], ["A-F-1"])
    booking_id = booking["id"]

    assert (await stranger.get(f"/api/bookings/{booking_id}")).status_code == 404
    assert (await pay(stranger, booking_id)).status_code == 404
    assert (await stranger.post(f"/api/bookings/{booking_id}/cancel")).status_code == 404
    listed = (await stranger.get("/api/bookings")).json()
    assert booking_id not in {b["id"] for b in listed["items"]}

    payment = (await pay(owner, booking_id)).json()
    await booking_reaches(owner, booking_id, "confirmed")

    await ticket_pdf(owner, booking_id)
    assert (await stranger.get(ticket_pdf_path(booking_id))).status_code == 404
    assert (await stranger.get(f"/api/payments/{payment['id']}")).status_code == 404
    assert (await stranger.get(f"/api/bookings/{booking_id}")).status_code == 404
    code = (await owner.get(f"/api/bookings/{booking_id}")).json()["tickets"][0]["code"]
    checkin = await stranger.post("/api/bookings/checkin", json={"code": code})
    assert checkin.status_code == 403


async def test_idempotency_key_replays_and_conflicts_through_the_gateway(world: Stage) -> None:
    buyer, other = await world.cast.person("ida"), await world.cast.person("ivo")
    first_hold = await hold(buyer, world.event["id"], ["A-G-1"])
    second_hold = await hold(buyer, world.event["id"], ["A-G-2"])
    key = {"Idempotency-Key": uuid.uuid4().hex}

    first = await buyer.post("/api/bookings", json={"hold_id": first_hold["hold_id"]}, headers=key)
    replay = await buyer.post("/api/bookings", json={"hold_id": first_hold["hold_id"]}, headers=key)
    conflict = await buyer.post(
        "/api/bookings", json={"hold_id": second_hold["hold_id"]}, headers=key
    )
    others_hold = await hold(other, world.event["id"], ["A-G-3"])
    same_key_other_user = await other.post(
        "/api/bookings", json={"hold_id": others_hold["hold_id"]}, headers=key
    )

    assert first.status_code == 201, first.text
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers.get("idempotent-replayed") == "true"
    assert conflict.status_code == 409 and conflict.json()["error"] == "idempotency_conflict"
    assert same_key_other_user.status_code == 201
    assert same_key_other_user.json()["id"] != first.json()["id"]
    mine = (await buyer.get("/api/bookings")).json()["items"]
    assert [b["id"] for b in mine] == [first.json()["id"]]
    unkeyed = await buyer.post("/api/bookings", json={"hold_id": second_hold["hold_id"]})
    assert unkeyed.status_code == 201
