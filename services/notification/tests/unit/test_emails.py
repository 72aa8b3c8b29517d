"""Email bodies: what they say, and that hostile text cannot become markup or headers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage

import pytest

from notification_service import emails
from notification_service.domain import AddressUnusable
from notification_service.mailer import Attachment, Mailer, Outgoing, message_id_header

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


def _parsed(outgoing: Outgoing) -> EmailMessage:
    assert b"\n" not in outgoing.data.replace(b"\r\n", b"")  # CRLF line ends only
    assert all(len(line) <= 998 for line in outgoing.data.split(b"\r\n"))
    message = message_from_bytes(outgoing.data, policy=policy.default)
    assert isinstance(message, EmailMessage) and not message.defects
    return message


def test_message_has_text_html_and_pdf_when_built_with_an_attachment() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    email = emails.refund(greeting="Ada", booking_id=BOOKING, amount=2500, currency="EUR")
    pdf_bytes = b"%PDF-1.4 test" * 100
    outgoing = mailer.build(
        to_email="ada@example.test",
        to_name='Ada "Countess" Lovelace',
        email=email,
        message_id=message_id_header(BOOKING, "refund"),
        attachments=[Attachment(filename="ticket-x.pdf", content=pdf_bytes)],
    )
    assert outgoing.recipient == "ada@example.test" and not outgoing.smtputf8
    message = _parsed(outgoing)
    assert message["To"].addresses[0].addr_spec == "ada@example.test"
    assert message["To"].addresses[0].display_name == 'Ada "Countess" Lovelace'
    assert message["From"].addresses[0].addr_spec == "no-reply@t.local"
    assert message["Message-ID"] == f"<{BOOKING}.refund@ticketing.local>"
    assert message["Subject"] == email.subject and message["Date"] is not None
    kinds = [part.get_content_type() for part in message.walk()]
    assert kinds == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
    assert message.get_body(preferencelist=("plain",)).get_content() == email.text
    assert message.get_body(preferencelist=("html",)).get_content() == email.html
    (pdf,) = list(message.iter_attachments())
    assert pdf.get_filename() == "ticket-x.pdf" and pdf.get_content() == pdf_bytes


def test_message_is_alternative_only_when_built_without_attachments() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    email = emails.booking_expired(greeting="x", booking_id=BOOKING)
    message = _parsed(
        mailer.build(to_email="a@example.test", to_name="", email=email, message_id="<a@b>")
    )
    assert message.get_content_type() == "multipart/alternative"
    assert list(message.iter_attachments()) == []
    assert str(message["To"]) == "a@example.test"


def test_non_ascii_subject_and_name_survive_when_encoded() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    title = "Zürich — Ünïcødé Fest " + "東京 " * 30
    email = emails.booking_confirmed(
        greeting="Zoë",
        title=title,
        starts_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC),
        location="Halle 1",
        booking_id=BOOKING,
        tickets=1,
        amount=100,
        currency="CHF",
        base_url="http://x",
    )
    outgoing = mailer.build(
        to_email="zoe@example.test", to_name="Zoë Ünïcødé", email=email, message_id="<a@b>"
    )
    assert outgoing.data.split(b"\r\n\r\n", 1)[0].isascii()  # encoded words in the header
    message = _parsed(outgoing)
    assert message["Subject"] == email.subject
    assert message["To"].addresses[0].display_name == "Zoë Ünïcødé"
    assert "Zoë" in message.get_body(preferencelist=("plain",)).get_content()


def test_line_breaks_cannot_add_headers_when_subject_or_name_carry_them() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    hostile = emails.Email(subject="Hi\r\nBcc: victim@example.test", text="t", html="h")
    message = _parsed(
        mailer.build(to_email="a@example.test", to_name="Ada", email=hostile, message_id="<a@b>")
    )
    assert message["Bcc"] is None
    assert message["Subject"] == "Hi Bcc: victim@example.test"
    with pytest.raises(AddressUnusable):
        mailer.build(
            to_email="a@example.test",
            to_name="Ada\nCc: other@example.test",
            email=hostile,
            message_id="<a@b>",
        )


def test_address_with_a_non_ascii_domain_asks_for_smtputf8_when_built() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    email = emails.booking_expired(greeting="x", booking_id=BOOKING)
    outgoing = mailer.build(
        to_email="zoe@zürich.example", to_name="Zoë", email=email, message_id="<a@b>"
    )
    assert outgoing.smtputf8 and outgoing.recipient == "zoe@zürich.example"
    message = message_from_string(outgoing.data.decode(), policy=policy.SMTPUTF8)
    assert message["To"].addresses[0].addr_spec == "zoe@zürich.example"
    assert message["To"].addresses[0].display_name == "Zoë"
    with pytest.raises(AddressUnusable):  # a non-ASCII local part, as before: not addressable
        mailer.build(to_email="zoë@example.test", to_name="", email=email, message_id="<a@b>")


def test_build_refuses_an_address_when_it_cannot_be_an_envelope_recipient() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    email = emails.booking_expired(greeting="x", booking_id=BOOKING)
    with pytest.raises(AddressUnusable, match="cannot address"):
        mailer.build(to_email="not an address\n", to_name="x", email=email, message_id="<a@b>")
