"""Every other message a person should hear about: one email each, recorded, idempotent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.contracts.auth import (
    OrganizerDecidedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)
from shared.contracts.booking import BookedSeat, BookingCancelledV1, BookingExpiredV1
from shared.contracts.payment import PaymentRefundedV1
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration

SEATS = [BookedSeat(seat_id="A-B-7", tier="vip", price=8000)]


def _registered(user_id: uuid.UUID, email: str, token: str | None = "verify-me-123") -> Any:
    return UserRegisteredV1(
        user_id=user_id, email=email, full_name="Ada <b>Lovelace</b>", verification_token=token
    )


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.test"


async def _now(value: Any) -> Any:
    return value


async def _items(client: Any, headers: dict[str, str], query: str = "") -> Any:
    return (await client.get(f"/api/notifications{query}", headers=headers)).json()


async def test_welcome_is_sent_and_recipient_stored_when_user_registers(
    client: Any, publish: Any, smtp_sink: Any, signer: Any, scalar: Any, consumed: Any
) -> None:
    user_id, email = uuid.uuid4(), _email()
    envelope = await publish(_registered(user_id, email))

    (mail,) = await eventually(lambda: _now(smtp_sink.to(email)), what="welcome email")
    assert mail["Subject"] == "Welcome to Ticketing"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "verify-me-123" in text and "Ada <b>Lovelace</b>" in text
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html
    stored = await eventually(
        lambda: scalar("SELECT email FROM recipient WHERE user_id = :id", id=user_id),
        what="recipient committed",
    )
    assert stored == email

    duplicates = consumed("user.registered", "duplicate")
    await publish(envelope=envelope)
    await eventually(
        lambda: _now(consumed("user.registered", "duplicate")),
        until=lambda n: n > duplicates,
        what="duplicate seen",
    )
    assert len(smtp_sink.to(email)) == 1
    # the sender records the email once the server has accepted it
    body = await eventually(
        lambda: _items(client, signer.headers(user_id=user_id)),
        until=lambda b: b["total"] == 1 and b["items"][0]["status"] == "sent",
        what="recorded sent",
    )
    assert [(n["kind"], n["status"]) for n in body["items"]] == [("welcome", "sent")]
    assert set(body["items"][0]) == {"id", "kind", "subject", "channel", "status", "created_at"}


def _cancelled(user_id: uuid.UUID, email: str) -> Any:
    return BookingCancelledV1(
        booking_id=uuid.uuid4(),
        hold_id="h",
        user_id=user_id,
        user_email=email,
        event_id=uuid.uuid4(),
        seats=SEATS,
        reason="cancelled_by_user",
        was_confirmed=True,
        payment_id=uuid.uuid4(),
    )


def _expired(user_id: uuid.UUID, email: str) -> Any:
    return BookingExpiredV1(
        booking_id=uuid.uuid4(),
        hold_id="h",
        user_id=user_id,
        user_email=email,
        event_id=uuid.uuid4(),
        seats=SEATS,
    )


def _decided(user_id: uuid.UUID, email: str) -> Any:
    return OrganizerDecidedV1(
        application_id=uuid.uuid4(),
        user_id=user_id,
        email=email,
        full_name="Ada",
        approved=False,
        reason="Missing documents",
    )


def _reset(user_id: uuid.UUID, email: str) -> Any:
    return UserPasswordResetRequestedV1(
        user_id=user_id,
        email=email,
        full_name="Ada",
        reset_token="reset-token-xyz",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


def _verification(user_id: uuid.UUID, email: str) -> Any:
    return UserVerificationRequestedV1(
        user_id=user_id,
        email=email,
        full_name="Ada",
        verification_token="verify-token-456",
        expires_at=datetime.now(UTC) + timedelta(hours=24),
    )


@pytest.mark.parametrize(
    ("build", "kind", "says"),
    [
        (_cancelled, "booking_cancelled", "refunded"),
        (_expired, "booking_expired", "expired"),
        (_decided, "organizer_decision", "Missing documents"),
        (_reset, "password_reset", "reset-token-xyz"),
        (_verification, "email_verification", "verify-token-456"),
    ],
)
async def test_one_email_is_sent_and_recorded_when_fact_arrives(
    client: Any, publish: Any, smtp_sink: Any, signer: Any, build: Any, kind: str, says: str
) -> None:
    user_id, email = uuid.uuid4(), _email()
    await publish(build(user_id, email))

    (mail,) = await eventually(lambda: _now(smtp_sink.to(email)), what=f"{kind} email")
    assert says in mail.get_body(preferencelist=("plain",)).get_content()
    body = await eventually(
        lambda: _items(client, signer.headers(user_id=user_id)),
        until=lambda b: b["total"] == 1,
        what="notification listed",
    )
    assert (body["items"][0]["kind"], body["items"][0]["status"]) == (kind, "sent")


async def test_booking_email_goes_to_the_projected_address_when_user_is_known(
    publish: Any, smtp_sink: Any
) -> None:
    user_id, registered, at_booking = uuid.uuid4(), _email(), _email()
    await publish(_registered(user_id, registered, token=None))
    await eventually(lambda: _now(smtp_sink.to(registered)), what="welcome")
    await publish(_expired(user_id, at_booking))

    mails = await eventually(
        lambda: _now(smtp_sink.to(registered)), until=lambda m: len(m) == 2, what="expiry email"
    )
    assert "expired" in mails[1]["Subject"] and "Ada" in str(mails[1]["To"])
    assert smtp_sink.to(at_booking) == []


async def test_refund_is_recorded_failed_without_retry_when_address_unknown(
    client: Any, publish: Any, signer: Any, consumed: Any, scalar: Any
) -> None:
    user_id = uuid.uuid4()
    retried = consumed("payment.refunded", "retried")
    envelope = await publish(
        PaymentRefundedV1(
            refund_id=uuid.uuid4(),
            payment_id=uuid.uuid4(),
            booking_id=uuid.uuid4(),
            user_id=user_id,
            amount=2500,
            currency="USD",
        )
    )

    body = await eventually(
        lambda: _items(client, signer.headers(user_id=user_id)),
        until=lambda b: b["total"] == 1,
        what="refund notification recorded",
    )
    assert (body["items"][0]["kind"], body["items"][0]["status"]) == ("refund", "failed")
    error = "SELECT error FROM notification WHERE message_id = :id"
    assert await scalar(error, id=envelope.id) == "no address"
    assert consumed("payment.refunded", "retried") == retried


async def test_refund_email_uses_the_projection_when_user_is_known(
    publish: Any, smtp_sink: Any
) -> None:
    user_id, email = uuid.uuid4(), _email()
    await publish(_registered(user_id, email, token=None))
    await eventually(lambda: _now(smtp_sink.to(email)), what="welcome")
    refund = PaymentRefundedV1(
        refund_id=uuid.uuid4(),
        payment_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        user_id=user_id,
        amount=2550,
        currency="EUR",
    )
    await publish(refund)
    mails = await eventually(
        lambda: _now(smtp_sink.to(email)), until=lambda m: len(m) == 2, what="refund email"
    )
    assert "25.50 EUR" in mails[1].get_body(preferencelist=("plain",)).get_content()


async def test_email_is_sent_once_after_retry_when_smtp_refuses_at_first(
    client: Any,
    publish: Any,
    smtp_sink: Any,
    signer: Any,
    consumed: Any,
    scalar: Any,
) -> None:
    user_id, email = uuid.uuid4(), _email()
    retried, refused = consumed("booking.expired", "retried"), smtp_sink.refused
    smtp_sink.refuse_next(1)
    envelope = await publish(_expired(user_id, email))

    (mail,) = await eventually(lambda: _now(smtp_sink.to(email)), what="email after retry")
    assert "expired" in mail["Subject"]
    assert smtp_sink.refused == refused + 1  # the first attempt was refused
    body = await eventually(
        lambda: _items(client, signer.headers(user_id=user_id)),
        until=lambda b: b["total"] == 1 and b["items"][0]["status"] == "sent",
        what="failed row turned sent",
    )
    assert body["items"][0]["kind"] == "booking_expired"
    assert (
        await scalar("SELECT error FROM notification WHERE message_id = :id", id=envelope.id)
        is None
    )
    # the mail sender retried; the message was handled once, never retried by the consumer
    assert consumed("booking.expired", "retried") == retried
    assert len(smtp_sink.to(email)) == 1


async def test_failure_is_recorded_and_retried_without_blocking_the_consumer_when_smtp_is_down(
    smtp_down: Any,
    smtp_down_publish: Any,
    smtp_down_settings: Any,
    smtp_down_scalar: Any,
    signer: Any,
    dead_letters: Any,
) -> None:
    user_id = uuid.uuid4()
    envelope = await smtp_down_publish(_registered(user_id, _email()))

    attempts = "SELECT attempts FROM pending_email WHERE message_id = :id"
    await eventually(
        lambda: smtp_down_scalar(attempts, id=envelope.id),
        until=lambda n: n is not None and n >= 2,
        what="retried with backoff",
    )
    body = await _items(smtp_down.client, signer.headers(user_id=user_id))
    assert [(n["kind"], n["status"]) for n in body["items"]] == [("welcome", "failed")]
    sql = "SELECT error FROM notification WHERE message_id = :id"
    error = await smtp_down_scalar(sql, id=envelope.id)
    assert error is not None and "SMTPConnect" in error
    later = (
        "SELECT next_attempt_at > now() AND last_error LIKE '%SMTPConnect%' "
        "FROM pending_email WHERE message_id = :id"
    )
    assert await smtp_down_scalar(later, id=envelope.id) is True
    inbox = "SELECT count(*) FROM processed_message WHERE message_id = :id"
    assert await smtp_down_scalar(inbox, id=envelope.id) == 1  # handled at once, no waiting
    assert str(envelope.id) not in await dead_letters(smtp_down_settings)


async def test_list_is_newest_first_paginated_and_private_when_user_has_several(
    client: Any, publish: Any, signer: Any
) -> None:
    user_id, email = uuid.uuid4(), _email()
    for _ in range(3):
        await publish(_reset(user_id, email))
    mine = signer.headers(user_id=user_id)
    everything = await eventually(
        lambda: _items(client, mine, "?page_size=100"),
        until=lambda b: b["total"] == 3,
        what="three notifications",
    )
    stamps = [n["created_at"] for n in everything["items"]]
    assert stamps == sorted(stamps, reverse=True)

    page = await _items(client, mine, "?page=2&page_size=2")
    assert (page["page"], page["page_size"], page["total"], len(page["items"])) == (2, 2, 3, 1)
    assert page["items"][0]["id"] == everything["items"][2]["id"]
    assert (await _items(client, signer.headers()))["total"] == 0
    assert (await _items(client, signer.headers(role="admin")))["total"] == 0


async def test_list_refuses_bad_requests_when_unauthenticated_or_oversized(
    client: Any, signer: Any
) -> None:
    anonymous = await client.get("/api/notifications")
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthorized"
    expired = await client.get(
        "/api/notifications", headers=signer.headers(ttl=timedelta(minutes=-5))
    )
    assert expired.status_code == 401 and expired.json()["error"] == "token_expired"
    too_big = await client.get("/api/notifications?page_size=500", headers=signer.headers())
    assert too_big.status_code == 422 and too_big.json()["error"] == "validation_error"
    slash = await client.get("/api/notifications/", headers=signer.headers())
    assert slash.status_code == 200
