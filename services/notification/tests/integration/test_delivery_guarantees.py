"""Invariant 5 from the outside: a crash after sending re-sends once (never loses), a stored
ticket is served again without rendering, every notification kind fits the schema, and a
verification email does not repoint a known user's address."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from notification_service import ticket_pdf
from notification_service.domain import NotificationKind
from shared.contracts.auth import UserRegisteredV1, UserVerificationRequestedV1
from shared.contracts.booking import BookingExpiredV1
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


async def _now(value: Any) -> Any:
    return value


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.test"


class CrashAfterSend(Exception):
    """The process 'dies' after the SMTP server accepted the email, before the commit."""


async def test_email_is_sent_again_once_and_recorded_when_a_crash_hit_before_the_commit(
    context: Any,
    publish: Any,
    smtp_sink: Any,
    scalar: Any,
    consumed: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mailer = context.mailer
    real_send_batch = mailer.send_batch
    user_id, email = uuid.uuid4(), _email()
    crashes = {email: 1}

    async def send_then_crash(messages: Any) -> Any:
        outcomes = await real_send_batch(messages)
        if crashes.get(email) and any(m.recipient == email for m in messages):
            crashes[email] -= 1
            raise CrashAfterSend(email)  # the sender's transaction never commits
        return outcomes

    monkeypatch.setattr(mailer, "send_batch", send_then_crash)
    retried = consumed("booking.expired", "retried")
    envelope = await publish(
        BookingExpiredV1(
            booking_id=uuid.uuid4(),
            hold_id="h",
            user_id=user_id,
            user_email=email,
            event_id=uuid.uuid4(),
            seats=[],
        )
    )

    mails = await eventually(
        lambda: _now(smtp_sink.to(email)), until=lambda m: len(m) == 2, what="re-sent once"
    )
    await eventually(
        lambda: scalar("SELECT status FROM notification WHERE message_id = :id", id=envelope.id),
        until=lambda status: status == "sent",
        what="recorded after the second send",
    )
    expected_id = f"<{envelope.id}.booking_expired@ticketing.local>"
    assert [m["Message-ID"].strip() for m in mails] == [expected_id, expected_id]
    # the message itself was handled once: sending is the mail sender's, after the commit
    assert consumed("booking.expired", "retried") == retried
    inbox = "SELECT count(*) FROM processed_message WHERE message_id = :id"
    assert await scalar(inbox, id=envelope.id) == 1
    queued = "SELECT count(*) FROM pending_email WHERE message_id = :id"
    assert await scalar(queued, id=envelope.id) == 0
    assert len(smtp_sink.to(email)) == 2  # and nothing after that


async def test_second_download_serves_the_stored_pdf_without_rendering_when_asked_again(
    client: Any,
    publish: Any,
    signer: Any,
    scalar: Any,
    booking_confirmed: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = booking_confirmed(seats=("A-B-7", None))
    owner = signer.headers(user_id=data.user_id)
    url = f"/api/notifications/tickets/{data.booking_id}/pdf"
    await publish(data)
    first = await eventually(
        lambda: client.get(url, headers=owner),
        until=lambda r: r.status_code == 200,
        what="ticket PDF served",
    )
    # xmin changes whenever the row is written again
    row = "SELECT xmin::text || ' ' || sha256 FROM ticket_document WHERE booking_id = :id"
    before = await scalar(row, id=data.booking_id)

    renders: list[Any] = []

    def no_render(sheet: Any) -> bytes:
        renders.append(sheet)
        raise AssertionError("a download must not render")

    monkeypatch.setattr(ticket_pdf, "render_ticket_pdf", no_render)
    second = await client.get(url, headers=owner)
    admin = await client.get(url, headers=signer.headers(role="admin"))

    assert second.status_code == admin.status_code == 200
    assert second.content == admin.content == first.content
    assert renders == []
    assert await scalar(row, id=data.booking_id) == before
    assert before.split()[1] == ticket_pdf.sha256_hex(first.content)


async def test_every_notification_kind_is_accepted_by_the_database_when_recorded(
    runtime: Any,
) -> None:
    async with runtime.engine.connect() as conn:
        transaction = await conn.begin()
        for kind in NotificationKind:
            values = {
                "id": uuid.uuid4(),
                "user": uuid.uuid4(),
                "kind": kind.value,
                "message": uuid.uuid4(),
            }
            await conn.execute(
                text(
                    "INSERT INTO notification (id, user_id, kind, subject, status, message_id) "
                    "VALUES (:id, :user, :kind, 's', 'sent', :message)"
                ),
                values,
            )
            await conn.execute(
                text(
                    "INSERT INTO pending_email (id, message_id, kind, user_id, to_email, "
                    "to_name, subject, text_body, html_body) "
                    "VALUES (:id, :message, :kind, :user, 'a@example.test', '', 's', 't', 'h')"
                ),
                values,
            )
        await transaction.rollback()


async def test_verification_email_goes_to_the_new_address_without_repointing_the_user(
    publish: Any, smtp_sink: Any, scalar: Any
) -> None:
    user_id, registered, pending = uuid.uuid4(), _email(), _email()
    await publish(UserRegisteredV1(user_id=user_id, email=registered, full_name="Ada"))
    await eventually(lambda: _now(smtp_sink.to(registered)), what="welcome")
    verification = await publish(
        UserVerificationRequestedV1(
            user_id=user_id,
            email=pending,
            full_name="Ada",
            verification_token="tok-new-address",
            expires_at=datetime.now(UTC) + timedelta(hours=24),
        )
    )
    (mail,) = await eventually(lambda: _now(smtp_sink.to(pending)), what="verification email")
    assert mail["Subject"] == "Confirm your email address"
    assert "tok-new-address" in mail.get_body(preferencelist=("plain",)).get_content()
    await eventually(
        lambda: scalar(
            "SELECT status FROM notification WHERE message_id = :id", id=verification.id
        ),
        until=lambda status: status == "sent",
        what="verification handled and committed",
    )
    sql = "SELECT email FROM recipient WHERE user_id = :id"
    assert await scalar(sql, id=user_id) == registered
