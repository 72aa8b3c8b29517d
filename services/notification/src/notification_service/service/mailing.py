"""The mail sender: queued emails out over SMTP, a batch per connection, after the commit.

A round locks up to ``MAIL_BATCH_SIZE`` emails that are due (``FOR UPDATE SKIP LOCKED``: two
senders, in one process or in several replicas, never take the same one), builds them (a
booking's PDF read from ``ticket_document``), sends them in order over one SMTP connection
and records each outcome in the same transaction:

- accepted: the queued row is deleted and the ``notification`` row says ``sent``;
- refused or unreachable: the ``notification`` row says ``failed`` (with the error) and the
  email is tried again after a backoff — a later success turns the row ``sent``; a refusal
  the server calls permanent (5xx), or an email older than ``MAIL_GIVE_UP_HOURS``, is given up
  and stays ``failed``;
- a booking's tickets voided before their email went (the cancellation was consumed
  first): that email is dropped unsent and unrecorded, as when the cancellation arrives
  before the confirmation — the cancellation's own email tells the buyer.

A crash after the server accepted a batch but before the commit leaves its rows queued: they
are sent again with the same ``Message-ID`` — at-least-once, never lost.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import repository
from notification_service.domain import AddressUnusable, NotificationStatus, backoff_seconds
from notification_service.emails import Email
from notification_service.mailer import Attachment, Mailer, Outgoing, Refusal, message_id_header
from notification_service.repository import DueEmail
from notification_service.service.delivery import ERROR_LIMIT
from notification_service.settings import Settings
from shared.db import utcnow
from shared.logging import get_logger

if TYPE_CHECKING:
    from notification_service.context import Context

log = get_logger(__name__)


async def send_emails_when_woken(ctx: Context) -> None:
    """One round of the mail sender: wait for a handler's wake-up (then a moment more, for
    the emails of the commits that follow) or the poll interval, then send what is due, batch
    after batch while batches come full. The SMTP connection stays open while mail keeps
    coming, and is closed after a quiet poll interval."""
    settings = ctx.settings
    try:
        quiet = not await ctx.mail_wake.wait(settings.MAIL_POLL_SECONDS)
        if not quiet:
            await asyncio.sleep(settings.MAIL_LINGER_SECONDS)
    except asyncio.CancelledError:  # the service is stopping
        ctx.mailer.drop()
        raise
    held = await send_pending_emails(ctx)
    while held >= settings.MAIL_BATCH_SIZE:
        held = await send_pending_emails(ctx)
    if quiet and not held:
        await ctx.mailer.close()


async def send_pending_emails(ctx: Context) -> int:
    """Send one batch of due emails over one SMTP connection and record the outcomes; how
    many emails the batch held."""
    async with ctx.sessionmaker() as session, session.begin():
        due = await repository.lock_due_emails(session, limit=ctx.settings.MAIL_BATCH_SIZE)
        if not due:
            return 0
        void = [email for email in due if email.ticket_booking_id and email.pdf is None]
        for email in void:
            log.info("email_dropped_tickets_void", booking_id=str(email.ticket_booking_id))
        outcomes = await _send(ctx.mailer, [email for email in due if email not in void])
        done, records = await _settle(session, ctx.settings, outcomes)
        dequeue = [*done, *(email.id for email in void)]
        await repository.record_notifications(session, records, dequeue=dequeue)
    sent = sum(1 for _, refusal in outcomes if refusal is None)
    log.info("emails_sent", sent=sent, failed=len(outcomes) - sent, dropped=len(void))
    return len(due)


Outcome = tuple[DueEmail, Refusal | None]


async def _send(mailer: Mailer, emails: Sequence[DueEmail]) -> list[Outcome]:
    """Build each email and send the ones that could be built, over one connection."""
    refused: dict[uuid.UUID, Refusal | None] = {}
    ready: list[tuple[DueEmail, Outgoing]] = []
    for email in emails:
        try:
            ready.append((email, _message(mailer, email)))
        except AddressUnusable as exc:  # checked when queued: only if the rules changed since
            refused[email.id] = Refusal(str(exc), permanent=True)
    sent = await mailer.send_batch([message for _, message in ready])
    for (email, _), refusal in zip(ready, sent, strict=True):
        refused[email.id] = refusal
    return [(email, refused[email.id]) for email in emails]


def _message(mailer: Mailer, email: DueEmail) -> Outgoing:
    attachments: tuple[Attachment, ...] = ()
    if email.ticket_booking_id is not None and email.pdf is not None:
        name = f"ticket-{email.ticket_booking_id}.pdf"
        attachments = (Attachment(filename=name, content=email.pdf),)
    return mailer.build(
        to_email=email.to_email,
        to_name=email.to_name,
        email=Email(subject=email.subject, text=email.text_body, html=email.html_body),
        message_id=message_id_header(email.message_id, email.kind),
        attachments=attachments,
    )


def retry_delay(settings: Settings, attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure (exponential, capped)."""
    return backoff_seconds(
        settings.MAIL_RETRY_BASE_SECONDS, settings.MAIL_RETRY_MAX_SECONDS, attempts
    )


async def _settle(
    session: AsyncSession, settings: Settings, outcomes: Sequence[Outcome]
) -> tuple[list[uuid.UUID], list[repository.NotificationRecord]]:
    """Each email's ``notification`` row, and whether it is done (sent or given up: off the
    queue) — the others are postponed here."""
    give_up_before = utcnow() - timedelta(hours=settings.MAIL_GIVE_UP_HOURS)
    done, records = [], []
    for email, refusal in outcomes:
        error = None if refusal is None else refusal.error[:ERROR_LIMIT]
        if refusal is None or refusal.permanent or email.created_at < give_up_before:
            done.append(email.id)
        else:
            delay = retry_delay(settings, email.attempts + 1)
            await repository.postpone_email(
                session, email.id, delay_seconds=delay, error=refusal.error[:ERROR_LIMIT]
            )
        status = NotificationStatus.SENT if refusal is None else NotificationStatus.FAILED
        records.append(
            repository.NotificationRecord(
                message_id=email.message_id,
                kind=email.kind,
                user_id=email.user_id,
                subject=email.subject,
                status=status,
                error=error,
            )
        )
    return done, records
