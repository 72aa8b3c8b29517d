"""Email bodies: what they say, and that hostile text cannot become markup or headers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from notification_service import emails
from notification_service.domain import AddressUnusable
from notification_service.mailer import Attachment, Mailer, message_id_header

BOOKING = uuid.UUID("11111111-2222-3333-4444-555555555555")


def test_confirmation_names_show_time_place_and_amount_when_composed() -> None:
    email = emails.booking_confirmed(
        greeting="Ada",
        title="Jazz <Night>",
        starts_at=datetime(2025, 7, 12, 19, 30, tzinfo=UTC),
        location="Blue Hall",
        booking_id=BOOKING,
        tickets=2,
        amount=16000,
        currency="USD",
        base_url="http://localhost:8080",
    )
    assert email.subject == "Your tickets for Jazz <Night>"
    assert "160.00 USD" in email.text and "Blue Hall" in email.text
    assert f"/api/notifications/tickets/{BOOKING}/pdf" in email.text
    assert "Jazz &lt;Night&gt;" in email.html and "<Night>" not in email.html


def test_subject_is_one_line_when_title_has_line_breaks() -> None:
    email = emails.booking_confirmed(
        greeting="Ada",
        title="Show\r\nBcc: victim@example.test",
        starts_at=datetime(2025, 7, 12, 19, 30, tzinfo=UTC),
        location="Hall",
        booking_id=BOOKING,
        tickets=1,
        amount=100,
        currency="USD",
        base_url="http://x",
    )
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.subject == "Your ticket for Show Bcc: victim@example.test"


def test_welcome_mentions_the_token_when_one_is_given() -> None:
    with_token = emails.welcome(greeting="Ada", verification_token="tok-123", base_url="http://x")
    without = emails.welcome(greeting="Ada", verification_token=None, base_url="http://x")
    assert "tok-123" in with_token.text and "tok-123" in with_token.html
    assert "verification token" not in without.text


@pytest.mark.parametrize(
    ("reason", "was_confirmed", "was_paid", "says", "refund_line"),
    [
        ("event_cancelled", True, True, "because the event was cancelled", "will be refunded"),
        ("cancelled_by_user", False, False, "at your request", None),
        (
            "payment_failed: card_declined",
            False,
            False,
            "because the payment failed (the card was declined)",
            None,
        ),
        ("paid_after_expiry", False, True, "after the booking had expired", "will be refunded"),
        ("payment_refunded", True, True, "its payment was refunded", "has been refunded"),
        ("something_new", False, False, "(something_new)", None),
    ],
)
def test_cancellation_explains_why_and_promises_a_refund_only_when_it_was_paid(
    reason: str, was_confirmed: bool, was_paid: bool, says: str, refund_line: str | None
) -> None:
    email = emails.booking_cancelled(
        greeting="Ada",
        booking_id=BOOKING,
        reason=reason,
        was_confirmed=was_confirmed,
        was_paid=was_paid,
    )
    assert says in email.text
    assert ("refunded" in email.text) is (refund_line is not None)
    if refund_line:
        assert refund_line in email.text
    assert ("no longer valid" in email.text) is was_confirmed
    assert reason.split(":")[0] not in email.text or reason == "something_new"


def test_cancellation_reason_cannot_inject_markup_when_hostile() -> None:
    email = emails.booking_cancelled(
        greeting="<i>Ada</i>",
        booking_id=BOOKING,
        reason="<script>x</script>\r\nBcc: a@b",
        was_confirmed=False,
        was_paid=False,
    )
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    assert "<i>" not in email.html and "\r" not in email.subject


def test_verification_gives_the_token_link_and_expiry_when_composed() -> None:
    email = emails.verification(
        greeting="Ada & <Co>",
        verification_token="vt-<abc>",
        expires_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC),
        base_url="http://localhost:8080",
    )
    assert email.subject == "Confirm your email address"
    assert "vt-<abc>" in email.text and "vt-&lt;abc&gt;" in email.html
    assert "http://localhost:8080/api/auth/verify-email" in email.text
    assert "Wed 02 Jan 2030, 03:04 (UTC)" in email.text
    assert "Ada &amp; &lt;Co&gt;" in email.html


def test_message_has_text_html_and_pdf_when_built_with_an_attachment() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    email = emails.refund(greeting="Ada", booking_id=BOOKING, amount=2500, currency="EUR")
    message = mailer.build(
        to_email="ada@example.test",
        to_name='Ada "Countess" Lovelace',
        email=email,
        message_id=message_id_header(BOOKING, "refund"),
        attachments=[Attachment(filename="ticket-x.pdf", content=b"%PDF-1.4 test")],
    )
    assert message["To"].addresses[0].addr_spec == "ada@example.test"
    assert message["Message-ID"] == f"<{BOOKING}.refund@ticketing.local>"
    kinds = [part.get_content_type() for part in message.walk()]
    assert {"text/plain", "text/html", "application/pdf"} <= set(kinds)
    (pdf,) = list(message.iter_attachments())
    assert pdf.get_filename() == "ticket-x.pdf" and pdf.get_content() == b"%PDF-1.4 test"


def test_build_refuses_an_address_when_it_cannot_be_an_envelope_recipient() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    email = emails.booking_expired(greeting="x", booking_id=BOOKING)
    with pytest.raises(AddressUnusable, match="cannot address"):
        mailer.build(to_email="not an address\n", to_name="x", email=email, message_id="<a@b>")
