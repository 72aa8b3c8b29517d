"""What the notification service owns besides the shared connections, built at start-up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification_service.mailer import Mailer
from notification_service.settings import Settings
from shared.runtime import Runtime


@dataclass(frozen=True)
class Context:
    """The mailer, plus the settings (links, ticket storage) and the sessionmaker for the
    transactions of their own (a failed email's row, a ticket's PDF) beside a handler's."""

    settings: Settings
    mailer: Mailer
    sessionmaker: async_sessionmaker[AsyncSession]


async def build_context(rt: Runtime[Settings, Context]) -> Context:
    """The service's context: its SMTP mailer and a ticket storage directory that exists."""
    settings = rt.settings
    await asyncio.to_thread(settings.TICKET_STORAGE_DIR.mkdir, parents=True, exist_ok=True)
    mailer = Mailer(
        host=settings.SMTP_HOST,
        port=settings.SMTP_PORT,
        sender=settings.SMTP_FROM,
        timeout=settings.SMTP_TIMEOUT_SECONDS,
    )
    return Context(settings=settings, mailer=mailer, sessionmaker=rt.sessionmaker)
