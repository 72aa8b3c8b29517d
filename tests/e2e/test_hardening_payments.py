"""Hardening (issue 8), payment and notification side, through the real gateway.

Cards in non-ASCII digits are refused and nothing is charged; a payment replay says so
(``Idempotent-Replayed: true``); an expired booking cannot be paid (payment learns the expiry);
a refund whose reason holds a NUL is a 422 before any money moves; a cancelled booking's
ticket PDF is gone. A stack of its own with a short payment window, real gateway limits, and
every actor on its own loopback address.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest

from devstack.stack import RunningStack
from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    DECLINED_CARD,
    ERROR_CARD,
    GOOD_CARD,
    Actor,
    Stage,
    audit_log,
    book,
    booking_reaches,
    confirmed_booking,
    pay,
    payment_body,
    payment_reaches,
    payments_of,
    stage,
    ticket_pdf,
    ticket_pdf_path,
)

pytestmark = pytest.mark.e2e

PAYMENT_WINDOW_SECONDS = 6
VOID_MESSAGE = "This booking was cancelled; its tickets are no longer valid."


def arabic_indic(digits: str) -> str:
    return "".join(chr(0x0660 + int(d)) for d in digits)


def fullwidth(digits: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in digits)


@pytest.fixture(scope="module")
def hardening_stack(launch: Any) -> Iterator[RunningStack]:
    with launch("pay", PAYMENT_WINDOW_SECONDS=str(PAYMENT_WINDOW_SECONDS)) as running:
        yield running


@pytest.fixture(scope="module")
async def scene(
    hardening_stack: RunningStack, admin_credentials: tuple[str, str]
) -> AsyncIterator[Stage]:
    async with stage(
        hardening_stack.gateway_url, admin_credentials, organizer="orla", rows=list("ABCDEF")
    ) as made:
        yield made


async def _confirmed(scene: Stage, buyer: Actor, seat: str) -> tuple[dict[str, Any], str]:
    """A paid, confirmed booking of ``buyer`` and its payment id."""
    return await confirmed_booking(buyer, scene.event["id"], [seat])


async def test_card_in_non_ascii_digits_is_422_and_nothing_is_charged(scene: Stage) -> None:
    buyer = await scene.cast.person("amal")
    booking = await book(buyer, scene.event["id"], ["A-A-1"])

    for number in (arabic_indic(GOOD_CARD), fullwidth(GOOD_CARD), fullwidth(DECLINED_CARD)):
        refused = await pay(buyer, booking["id"], number)
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["error"] == "validation_error"
        assert [f["field"] for f in body["details"]["fields"]] == ["card_number"]
        assert number not in refused.text

    assert await payments_of(buyer, booking["id"]) == []
    still = (await buyer.get(f"/api/bookings/{booking['id']}")).json()
    assert still["status"] == "pending_payment"
    paid = await pay(buyer, booking["id"])  # the same card in ASCII digits is charged
    assert paid.status_code == 201 and paid.json()["status"] == "succeeded", paid.text


async def test_payment_replay_says_so_when_same_key_and_body(scene: Stage) -> None:
    buyer = await scene.cast.person("rey")
    booking = await book(buyer, scene.event["id"], ["A-B-1"])
    body = payment_body(booking["id"])
    key = {"Idempotency-Key": f"pay-{uuid.uuid4()}"}

    first = await buyer.post("/api/payments", json=body, headers=key)
    again = await buyer.post("/api/payments", json=body, headers=key)

    assert first.status_code == again.status_code == 201, again.text
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert [p["id"] for p in await payments_of(buyer, booking["id"])] == [first.json()["id"]]


async def test_paying_an_expired_booking_is_409_and_nothing_is_charged(scene: Stage) -> None:
    buyer = await scene.cast.person("eve")
    booking = await book(buyer, scene.event["id"], ["A-C-1"])
    await booking_reaches(buyer, booking["id"], "expired", timeout=PAYMENT_WINDOW_SECONDS + 12)

    # booking.expired reaches payment a moment after booking shows it: probe with the
    # processing-error card, which moves no money and leaves a payable booking payable
    async def attempt() -> httpx2.Response:
        return await pay(buyer, booking["id"], ERROR_CARD)

    refused = await eventually(
        attempt, until=lambda r: r.status_code != 201, interval=0.3, what="payment knows"
    )
    assert refused.status_code == 409, refused.text
    good = await pay(buyer, booking["id"])

    assert good.status_code == 409, good.text
    assert good.json()["error"] == "invalid_state"
    assert good.json()["details"]["booking_status"] == "expired"
    attempts = await payments_of(buyer, booking["id"])
    assert {(p["status"], p["failure_reason"]) for p in attempts} <= {
        ("failed", "processing_error")
    }
    assert (await buyer.get(f"/api/bookings/{booking['id']}")).json()["status"] == "expired"


async def test_refund_with_a_nul_in_its_reason_is_422_and_nothing_is_refunded(
    scene: Stage,
) -> None:
    buyer = await scene.cast.person("nul")
    booking, payment_id = await _confirmed(scene, buyer, "A-D-1")
    path = f"/api/payments/{payment_id}/refund"

    refused = await scene.admin.post(path, json={"reason": "fraud\u0000"})

    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "validation_error"
    assert [f["field"] for f in refused.json()["details"]["fields"]] == ["reason"]
    assert (await buyer.get(f"/api/payments/{payment_id}")).json()["status"] == "succeeded"
    assert (await buyer.get(f"/api/bookings/{booking['id']}")).json()["status"] == "confirmed"
    # Nothing moved at the processor: the refund now goes through (a charge refunded once
    # already would be refused as already_refunded, a 503).
    refunded = await scene.admin.post(path, json={"reason": "fraud"})
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["reason"] == "fraud"
    await payment_reaches(buyer, payment_id, "refunded")
    await booking_reaches(buyer, booking["id"], "refunded")
    # payment.refunded names the admin: auth's audit log attributes the refund to them
    admin_id = (await scene.admin.get("/api/auth/me")).json()["id"]

    async def audited() -> list[dict[str, Any]]:
        logs = await audit_log(scene.admin, action="payment.refunded", actor_id=admin_id)
        return [e for e in logs if e["target"] == f"booking:{booking['id']}"]

    [entry] = await eventually(audited, what="refund in the audit log")
    assert entry["actor_id"] == admin_id
    assert (entry["details"]["reason"], entry["details"]["user_id"]) == ("fraud", buyer.id)


@pytest.mark.parametrize("who", ["admin", "buyer"])
async def test_ticket_pdf_is_404_once_a_confirmed_booking_is_cancelled(
    scene: Stage, who: str
) -> None:
    buyer = await scene.cast.person(f"pdf-{who}")
    seat = "A-E-1" if who == "admin" else "A-F-1"
    booking, _payment_id = await _confirmed(scene, buyer, seat)
    pdf_path = ticket_pdf_path(booking["id"])

    async def pdf() -> httpx2.Response:
        return await buyer.get(pdf_path)

    served = await ticket_pdf(buyer, booking["id"])
    assert served.content.startswith(b"%PDF")

    canceller = scene.admin if who == "admin" else buyer
    cancelled = await canceller.post(f"/api/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text

    gone = await eventually(pdf, until=lambda r: r.status_code != 200, what="PDF gone")
    assert gone.status_code == 404
    assert (gone.json()["error"], gone.json()["message"]) == ("not_found", VOID_MESSAGE)
    await booking_reaches(buyer, booking["id"], "refunded")
    assert (await buyer.get(pdf_path)).status_code == 404  # and it stays gone
