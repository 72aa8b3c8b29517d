"""Ticket delivery through the gateway: the PDF stored in notification's database is the one
downloaded and the one mailed (once), its QR codes are the booking's tickets, and a
cancellation takes it away and tells the buyer."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    Actor,
    Stage,
    booking_reaches,
    confirmed_booking,
    stage,
    ticket_pdf,
    ticket_pdf_path,
)

pytestmark = pytest.mark.e2e

VOID = "This booking was cancelled; its tickets are no longer valid."


@pytest.fixture(scope="module")
async def world(stack: Any, admin_credentials: tuple[str, str]) -> AsyncIterator[Stage]:
    async with stage(
        stack.gateway_url, admin_credentials, organizer="tilda", rows=list("ABCD")
    ) as scene:
        yield scene


def _attachments(mailbox: Any, buyer: Actor) -> list[bytes]:
    """The PDFs mailed to the buyer, one per email that carried one."""
    found = []
    for message in mailbox.to(buyer.email):
        for part in message.walk():
            if part.get_content_type() == "application/pdf":
                found.append(part.get_payload(decode=True))
    return found


def _qr_codes(pdf: bytes) -> list[list[str]]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            [
                found.text
                for found in zxingcpp.read_barcodes(document[i].render(scale=2).to_pil())
                if found.format == zxingcpp.BarcodeFormat.QRCode and found.valid
            ]
            for i in range(len(document))
        ]
    finally:
        document.close()


def _kinds(listed: Any) -> list[tuple[str, str]]:
    return [(n["kind"], n["status"]) for n in listed.json()["items"]]


async def _now(value: Any) -> Any:
    return value


async def test_downloaded_and_mailed_pdf_are_one_when_a_two_seat_booking_is_confirmed(
    world: Stage, mailbox: Any
) -> None:
    buyer = await world.cast.person("ines")
    confirmed, _payment = await confirmed_booking(buyer, world.event["id"], ["A-A-1", "A-A-2"])

    pdf = (await ticket_pdf(buyer, confirmed["id"])).content
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 2
    tickets = sorted(confirmed["tickets"], key=lambda t: t["seat_id"])
    texts = [page.extract_text() for page in reader.pages]
    assert [[t["code"]] for t in tickets] == _qr_codes(pdf)
    for ticket, text in zip(tickets, texts, strict=True):
        assert ticket["seat_id"] in text and ticket["ticket_id"] in text and confirmed["id"] in text

    (mailed,) = await eventually(
        lambda: _now(_attachments(mailbox, buyer)), what="the tickets mailed"
    )
    assert mailed == pdf
    listed = await eventually(
        lambda: buyer.get("/api/notifications"),
        until=lambda r: ("booking_confirmed", "sent") in _kinds(r),
        interval=0.3,
        what="recorded sent",
    )
    assert [kind for kind, _status in _kinds(listed)].count("booking_confirmed") == 1
    assert len(_attachments(mailbox, buyer)) == 1  # once


async def test_pdf_is_gone_and_the_buyer_told_when_a_paid_booking_is_cancelled(
    world: Stage, mailbox: Any
) -> None:
    buyer = await world.cast.person("ivo")
    confirmed, _payment = await confirmed_booking(buyer, world.event["id"], ["A-B-1"])
    await ticket_pdf(buyer, confirmed["id"])
    await eventually(lambda: _now(_attachments(mailbox, buyer)), what="the tickets mailed")

    cancelled = await buyer.post(f"/api/bookings/{confirmed['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    await booking_reaches(buyer, confirmed["id"], "refunded")
    gone = await eventually(
        lambda: buyer.get(ticket_pdf_path(confirmed["id"])),
        until=lambda r: r.status_code == 404,
        interval=0.3,
        what="the PDF gone",
    )
    assert (gone.json()["error"], gone.json()["message"]) == ("not_found", VOID)
    mails = await eventually(
        lambda: _now(mailbox.to(buyer.email)),
        until=lambda m: any("cancelled" in str(x["Subject"]) for x in m),
        what="the cancellation mailed",
    )
    assert len(_attachments(mailbox, buyer)) == 1  # the tickets went once, before
    assert len(mails) >= 2
