"""The mail sender: queued emails go out in batches over one SMTP connection, a refusal of one
does not hold up the others, permanent refusals and old emails are given up, an SMTP outage
only delays (nothing is lost), and tickets voided before their email went are not sent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import text

from notification_service import repository
from notification_service.domain import NotificationKind
from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


async def _now(value: Any) -> Any:
    return value


def _addresses(count: int) -> list[str]:
    return [f"batch-{uuid.uuid4().hex[:10]}@example.test" for _ in range(count)]


async def _queue(
    runtime: Any, addresses: Sequence[str], *, age_hours: float = 0
) -> list[uuid.UUID]:
    """Queue one email per address as a handler would, all made due in one commit (so one
    round of the sender finds them together); their message ids."""
    ids = [uuid.uuid4() for _ in addresses]
    async with runtime.sessionmaker() as session, session.begin():
        for message_id, address in zip(ids, addresses, strict=True):
            email = repository.QueuedEmail(
                message_id=message_id,
                kind=NotificationKind.BOOKING_EXPIRED.value,
                user_id=uuid.uuid4(),
                to_email=address,
                to_name="",
                subject="Booking expired",
                text_body="expired\n",
                html_body="<p>expired</p>",
            )
            await repository.add_pending_email(session, email)
        # not due yet: nothing is sent before all of them are in
        await session.execute(
            text(
                "UPDATE pending_email SET next_attempt_at = now() + interval '1 hour', "
                "created_at = now() - make_interval(secs => :age) WHERE message_id = ANY(:ids)"
            ),
            {"ids": ids, "age": age_hours * 3600},
        )
    async with runtime.engine.begin() as conn:
        due = "UPDATE pending_email SET next_attempt_at = now() WHERE message_id = ANY(:ids)"
        await conn.execute(text(due), {"ids": ids})
    return ids


async def test_a_burst_of_emails_goes_over_one_connection_when_due_together(
    runtime: Any, smtp_sink: Any, scalar: Any
) -> None:
    addresses = _addresses(6)
    ids = await _queue(runtime, addresses)

    await eventually(
        lambda: _now(sum(len(smtp_sink.to(a)) for a in addresses)),
        until=lambda n: n == 6,
        what="all six sent",
    )
    assert len(set(smtp_sink.connections(addresses))) == 1
    sent = "SELECT count(*) FROM notification WHERE message_id = ANY(:ids) AND status = 'sent'"
    await eventually(lambda: scalar(sent, ids=ids), until=lambda n: n == 6, what="recorded")
    queued = "SELECT count(*) FROM pending_email WHERE message_id = ANY(:ids)"
    assert await scalar(queued, ids=ids) == 0


async def test_one_refusal_does_not_hold_up_the_batch_when_the_server_refuses_one(
    runtime: Any, smtp_sink: Any, scalar: Any
) -> None:
    addresses = _addresses(3)
    refused = smtp_sink.refused
    smtp_sink.refuse_next(1)
    ids = await _queue(runtime, addresses)

    await eventually(
        lambda: _now([len(smtp_sink.to(a)) for a in addresses]),
        until=lambda counts: counts == [1, 1, 1],
        what="each sent once, the refused one later",
    )
    assert smtp_sink.refused == refused + 1
    # the two accepted at the first attempt came over the connection of that batch, after
    # the refusal or around it
    first, second, _retried = smtp_sink.connections(addresses)
    assert first == second
    sent = "SELECT count(*) FROM notification WHERE message_id = ANY(:ids) AND status = 'sent'"
    await eventually(lambda: scalar(sent, ids=ids), until=lambda n: n == 3, what="recorded")


async def test_permanent_refusal_is_recorded_failed_without_retry_when_server_answers_5xx(
    runtime: Any, smtp_sink: Any, scalar: Any
) -> None:
    (address,) = _addresses(1)
    smtp_sink.refuse_next(1, "550 5.1.1 No such user")
    (message_id,) = await _queue(runtime, [address])

    error = "SELECT error FROM notification WHERE message_id = :id AND status = 'failed'"
    recorded = await eventually(
        lambda: scalar(error, id=message_id), what="recorded failed for good"
    )
    assert "550" in recorded
    queued = "SELECT count(*) FROM pending_email WHERE message_id = :id"
    assert await scalar(queued, id=message_id) == 0
    assert smtp_sink.to(address) == []


async def test_email_is_given_up_when_it_failed_past_the_retry_window(
    smtp_down: Any, smtp_down_scalar: Any
) -> None:
    (message_id,) = await _queue(smtp_down.runtime, _addresses(1), age_hours=25)

    status = "SELECT status || ': ' || error FROM notification WHERE message_id = :id"
    recorded = await eventually(lambda: smtp_down_scalar(status, id=message_id), what="given up")
    assert recorded.startswith("failed: SMTPConnect")
    queued = "SELECT count(*) FROM pending_email WHERE message_id = :id"
    assert await smtp_down_scalar(queued, id=message_id) == 0


def _cancelled(data: BookingConfirmedV1) -> BookingCancelledV1:
    return BookingCancelledV1(
        booking_id=data.booking_id,
        hold_id=data.hold_id,
        user_id=data.user_id,
        user_email=data.user_email,
        event_id=data.event_id,
        seats=list(data.seats),
        reason="cancelled_by_user",
        was_confirmed=True,
        payment_id=data.payment_id,
    )


async def test_queued_emails_go_out_once_and_void_tickets_stay_unsent_when_smtp_comes_back(
    smtp_down: Any,
    smtp_down_publish: Any,
    smtp_down_scalar: Any,
    smtp_comes_back: Any,
    signer: Any,
    booking_confirmed: Any,
) -> None:
    kept, cancelled = booking_confirmed(), booking_confirmed()
    await smtp_down_publish(kept)
    confirmation = await smtp_down_publish(cancelled)
    attempts = "SELECT attempts FROM pending_email WHERE message_id = :id"
    await eventually(
        lambda: smtp_down_scalar(attempts, id=confirmation.id),
        until=lambda n: n is not None and n >= 1,
        what="the confirmation failed once",
    )
    cancellation = await smtp_down_publish(_cancelled(cancelled))
    handled = "SELECT count(*) FROM processed_message WHERE message_id = :id"
    await eventually(
        lambda: smtp_down_scalar(handled, id=cancellation.id),
        until=lambda n: n == 1,
        what="cancellation handled",
    )

    sink = smtp_comes_back()
    (tickets,) = await eventually(lambda: _now(sink.to(kept.user_email)), what="tickets sent")
    (attachment,) = list(tickets.iter_attachments())
    owner = signer.headers(user_id=kept.user_id)
    url = f"/api/notifications/tickets/{kept.booking_id}/pdf"
    assert attachment.get_content() == (await smtp_down.client.get(url, headers=owner)).content
    (mail,) = await eventually(lambda: _now(sink.to(cancelled.user_email)), what="cancellation")
    assert "cancelled" in mail["Subject"] and not list(mail.iter_attachments())
    queued = "SELECT count(*) FROM pending_email WHERE message_id = ANY(:ids)"
    ids = [confirmation.id, cancellation.id]
    await eventually(lambda: smtp_down_scalar(queued, ids=ids), until=lambda n: n == 0, what="done")
    assert len(sink.to(kept.user_email)) == len(sink.to(cancelled.user_email)) == 1
