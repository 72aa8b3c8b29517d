"""What the notification service owns besides the shared connections, and its mail sender."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from notification_service import qr, service
from notification_service.mailer import Mailer
from notification_service.settings import Settings
from notification_service.webhooks.sender import WebhookSender
from shared.db import WakeUp, single_statements
from shared.runtime import Runtime
from shared.watch import Watch


@dataclass(frozen=True)
class Context:
    """The mailer, the settings (links, the sender's batches and retries), the sessionmaker
    for the mail sender's transactions and the engine for lone statements (the download)."""

    settings: Settings
    mailer: Mailer
    sessionmaker: async_sessionmaker[AsyncSession]
    # the same pool in AUTOCOMMIT: one statement with no BEGIN and ROLLBACK around it
    single: AsyncEngine
    # Downloads waiting for a booking's PDF (``?wait=N``): rung once a handler stored it.
    pdf_watch: Watch
    # Rung once a handler has committed an email: the sender sends it at once, not at the next
    # poll (``after_commit(session, ctx.mail_wake.ring)``).
    mail_wake: WakeUp = field(default_factory=WakeUp)
    # The webhook sender, and its wake-up: rung once a handler has committed deliveries, or a
    # redelivery was asked.
    webhooks: WebhookSender | None = None
    webhook_wake: WakeUp = field(default_factory=WakeUp)


# the downloads that may stop waiting: the PDF is there, or the tickets are void
_RENDERED_OR_VOID = text(
    "SELECT booking_id FROM ticket_document WHERE booking_id = ANY(:ids) "
    "UNION SELECT booking_id FROM ticket_void WHERE booking_id = ANY(:ids)"
)


async def build_context(rt: Runtime[Settings, Context]) -> Context:
    """The service's context: its SMTP mailer, and the mail sender as a periodic job."""
    settings = rt.settings
    mailer = Mailer(
        host=settings.SMTP_HOST,
        port=settings.SMTP_PORT,
        sender=settings.SMTP_FROM,
        timeout=settings.SMTP_TIMEOUT_SECONDS,
    )
    webhook_wake = WakeUp()
    single = single_statements(rt.engine)
    pdf_watch = rt.add_watch(Watch(single, _RENDERED_OR_VOID))
    ctx = Context(
        settings=settings,
        mailer=mailer,
        sessionmaker=rt.sessionmaker,
        single=single,
        webhooks=WebhookSender(settings, rt.sessionmaker, webhook_wake),
        webhook_wake=webhook_wake,
        pdf_watch=pdf_watch,
    )
    # no pause of its own: each round waits for a wake-up or MAIL_POLL_SECONDS
    rt.every(0, service.send_emails_when_woken, name="notification-mail-sender")
    rt.every(0, _send_webhooks, name="notification-webhook-sender")
    # the QR tables of a ticket code's size (about 300 characters), before the first ticket
    await asyncio.to_thread(qr.warm_up, "x" * 300)
    return ctx


async def _send_webhooks(ctx: Context) -> None:
    """One round of the webhook sender (it waits within: a wake-up or WEBHOOK_POLL_SECONDS)."""
    if ctx.webhooks is not None:
        await ctx.webhooks.round()
