"""booking.confirmed → PDF stored, emailed once, downloadable by its owner (and admins) only."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pypdf
import pytest

from notification_service import ticket_pdf
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


async def _pdf_for(client: Any, booking_id: uuid.UUID, headers: dict[str, str]) -> Any:
    return await client.get(f"/api/notifications/tickets/{booking_id}/pdf", headers=headers)


async def _wait_for_pdf(client: Any, booking_id: uuid.UUID, headers: dict[str, str]) -> Any:
    return await eventually(
        lambda: _pdf_for(client, booking_id, headers),
        until=lambda r: r.status_code == 200,
        what="ticket PDF served",
    )


async def test_pdf_is_served_and_mailed_once_when_booking_confirmed(
    client: Any, publish: Any, smtp_sink: Any, signer: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed(seats=("A-B-7", "A-B-8", None))
    owner = signer.headers(user_id=data.user_id, email=data.user_email)
    envelope = await publish(data)

    response = await _wait_for_pdf(client, data.booking_id, owner)
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment") and f"ticket-{data.booking_id}.pdf" in disposition
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == len(data.tickets) == 3
    texts = [page.extract_text() for page in reader.pages]
    assert all("Jazz Night" in t and str(data.booking_id) in t for t in texts)
    assert "A-B-7" in texts[0] and "A-B-8" in texts[1] and "General admission" in texts[2]
    for ticket, text in zip(data.tickets, texts, strict=True):
        assert str(ticket.ticket_id) in text

    mails = await eventually(lambda: _async(smtp_sink.to(data.user_email)), what="email sent")
    assert len(mails) == 1
    (mail,) = mails
    assert "Jazz Night" in mail["Subject"]
    assert mail["Message-ID"].strip() == f"<{envelope.id}.booking_confirmed@ticketing.local>"
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == f"ticket-{data.booking_id}.pdf"
    assert attachment.get_content() == response.content

    listed = await eventually(
        lambda: _notifications(client, owner),
        until=lambda items: bool(items) and items[0]["status"] == "sent",
        what="recorded sent",
    )
    assert [(n["kind"], n["status"], n["channel"]) for n in listed] == [
        ("booking_confirmed", "sent", "email")
    ]


async def test_redelivery_sends_no_second_email_when_envelope_is_the_same(
    client: Any,
    publish: Any,
    smtp_sink: Any,
    signer: Any,
    booking_confirmed: Any,
    consumed: Any,
    scalar: Any,
) -> None:
    data = booking_confirmed()
    owner = signer.headers(user_id=data.user_id, email=data.user_email)
    envelope = await publish(data)
    first = await _wait_for_pdf(client, data.booking_id, owner)
    await eventually(lambda: _async(smtp_sink.to(data.user_email)), what="first email")

    duplicates = consumed("booking.confirmed", "duplicate")
    await publish(envelope=envelope)
    await eventually(
        lambda: _async(consumed("booking.confirmed", "duplicate")),
        until=lambda n: n > duplicates,
        what="redelivery seen as a duplicate",
    )
    assert len(smtp_sink.to(data.user_email)) == 1
    sql_rows = "SELECT count(*) FROM notification WHERE message_id = :id"
    assert await scalar(sql_rows, id=envelope.id) == 1
    sql_docs = "SELECT count(*) FROM ticket_document WHERE booking_id = :id"
    assert await scalar(sql_docs, id=data.booking_id) == 1
    assert (await _pdf_for(client, data.booking_id, owner)).content == first.content


async def test_pdf_is_hidden_from_other_users_but_not_admins_when_confirmed(
    client: Any, publish: Any, signer: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed(seats=(None,))
    await publish(data)
    await _wait_for_pdf(client, data.booking_id, signer.headers(user_id=data.user_id))

    stranger = await _pdf_for(client, data.booking_id, signer.headers())
    assert stranger.status_code == 404 and stranger.json()["error"] == "not_found"
    organizer = await _pdf_for(client, data.booking_id, signer.headers(role="organizer"))
    assert organizer.status_code == 404
    admin = await _pdf_for(client, data.booking_id, signer.headers(role="admin"))
    assert admin.status_code == 200 and admin.content.startswith(b"%PDF")
    anonymous = await _pdf_for(client, data.booking_id, {})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthorized"


async def test_pdf_is_404_when_booking_unknown_or_id_malformed(client: Any, signer: Any) -> None:
    unknown = await _pdf_for(client, uuid.uuid4(), signer.headers(role="admin"))
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    malformed = await client.get("/api/notifications/tickets/nope/pdf", headers=signer.headers())
    assert malformed.status_code == 422 and malformed.json()["error"] == "validation_error"


async def test_ticket_is_stored_and_retries_reuse_it_when_smtp_is_down(
    smtp_down: Any,
    smtp_down_publish: Any,
    smtp_down_scalar: Any,
    signer: Any,
    booking_confirmed: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = smtp_down.client
    data = booking_confirmed()
    owner = signer.headers(user_id=data.user_id)
    envelope = await smtp_down_publish(data)

    first = await _wait_for_pdf(client, data.booking_id, owner)  # invariant 5: the ticket is there
    row = "SELECT xmin::text || ' ' || sha256 FROM ticket_document WHERE booking_id = :id"
    stored = await smtp_down_scalar(row, id=data.booking_id)
    renders: list[Any] = []
    monkeypatch.setattr(ticket_pdf, "render_ticket_pdf", lambda sheet: renders.append(sheet))
    listed = await eventually(
        lambda: _notifications(client, owner),
        until=lambda items: bool(items) and items[0]["status"] == "failed",
        what="failed notification recorded",
    )
    assert listed[0]["kind"] == "booking_confirmed"
    attempts = "SELECT attempts FROM pending_email WHERE message_id = :id"
    await eventually(
        lambda: smtp_down_scalar(attempts, id=envelope.id),
        until=lambda n: n is not None and n >= 3,
        what="the email retried",
    )
    # retries attach the stored PDF: nothing rendered or rewritten
    assert renders == []
    assert await smtp_down_scalar(row, id=data.booking_id) == stored
    assert (await _pdf_for(client, data.booking_id, owner)).content == first.content


async def _notifications(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get("/api/notifications", headers=headers)).json()[
        "items"
    ]
    return items


async def _async(value: Any) -> Any:
    return value


async def test_second_confirmation_keeps_the_stored_pdf_and_mails_it_when_envelope_is_new(
    client: Any, publish: Any, smtp_sink: Any, signer: Any, scalar: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed()
    owner = signer.headers(user_id=data.user_id)
    await publish(data)
    first = await _wait_for_pdf(client, data.booking_id, owner)
    await eventually(lambda: _async(smtp_sink.to(data.user_email)), what="first email")
    row = "SELECT xmin::text FROM ticket_document WHERE booking_id = :id"
    before = await scalar(row, id=data.booking_id)

    await publish(data)  # the same fact under a new envelope id: a new message
    mails = await eventually(
        lambda: _async(smtp_sink.to(data.user_email)), until=lambda m: len(m) == 2, what="second"
    )
    (attachment,) = list(mails[1].iter_attachments())
    assert attachment.get_content() == first.content
    assert await scalar(row, id=data.booking_id) == before  # the stored PDF was not replaced


async def test_pdf_is_stored_and_the_email_recorded_failed_when_the_address_is_unusable(
    client: Any, publish: Any, signer: Any, scalar: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed(email="not-an-address")
    owner = signer.headers(user_id=data.user_id)
    envelope = await publish(data)

    await _wait_for_pdf(client, data.booking_id, owner)
    listed = await _notifications(client, owner)
    assert [(n["kind"], n["status"]) for n in listed] == [("booking_confirmed", "failed")]
    error = "SELECT error FROM notification WHERE message_id = :id"
    assert "cannot address" in await scalar(error, id=envelope.id)
    queued = "SELECT count(*) FROM pending_email WHERE message_id = :id"
    assert await scalar(queued, id=envelope.id) == 0
