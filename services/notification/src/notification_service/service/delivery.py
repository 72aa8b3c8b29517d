"""Sending one email and recording it; where to write to a user.

See the package docstring for the failure rules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification_service import repository
from notification_service.domain import NotificationKind, NotificationStatus
from notification_service.emails import Email
from notification_service.mailer import (
    Attachment,
    InvalidAddress,
    Mailer,
    MailError,
    message_id_header,
)
from notification_service.settings import Settings
from shared.logging import get_logger

log = get_logger("notification.service")

_ERROR_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Courier:
    """What sending needs, wired once in ``main.py``."""

    settings: Settings
    mailer: Mailer
    sessionmaker: async_sessionmaker[AsyncSession]


@dataclass(frozen=True, slots=True)
class Outgoing:
    message_id: uuid.UUID
    kind: NotificationKind
    user_id: uuid.UUID
    to_email: str
    to_name: str
    email: Email
    attachments: tuple[Attachment, ...] = ()


async def address_of(
    session: AsyncSession, user_id: uuid.UUID, fallback_email: str
) -> tuple[str, str | None]:
    """Where to write to a user: the projection (from auth) first, else the message's address,
    which then enters the projection."""
    recipient = await repository.get_recipient(session, user_id)
    if recipient is not None:
        return recipient.email, recipient.full_name
    await repository.add_recipient(
        session, user_id=user_id, email=fallback_email, full_name=None, overwrite=False
    )
    return fallback_email, None


async def deliver(session: AsyncSession, courier: Courier, out: Outgoing) -> None:
    """Send one email and record it (see the module docstring for the failure rules)."""
    try:
        message = courier.mailer.build(
            to_email=out.to_email,
            to_name=out.to_name,
            email=out.email,
            message_id=message_id_header(out.message_id, out.kind.value),
            attachments=out.attachments,
        )
    except InvalidAddress as exc:
        log.warning("notification_bad_address", kind=out.kind.value, user_id=str(out.user_id))
        await record(session, out, NotificationStatus.FAILED, str(exc))
        return
    try:
        await courier.mailer.send(message)
    except MailError as exc:
        async with courier.sessionmaker() as other, other.begin():
            await record(other, out, NotificationStatus.FAILED, str(exc))
        raise
    await record(session, out, NotificationStatus.SENT, None)
    log.info("notification_sent", kind=out.kind.value, message_id=str(out.message_id))


async def record(
    session: AsyncSession, out: Outgoing, status: NotificationStatus, error: str | None
) -> None:
    await repository.add_notification(
        session,
        message_id=out.message_id,
        kind=out.kind,
        user_id=out.user_id,
        subject=out.email.subject,
        status=status,
        error=error[:_ERROR_LIMIT] if error else None,
    )
