"""Queries of the notification service."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.domain import CHANNEL_EMAIL, NotificationKind, NotificationStatus
from notification_service.orm import Notification, Recipient, TicketDocument


async def get_recipient(session: AsyncSession, user_id: uuid.UUID) -> Recipient | None:
    return await session.get(Recipient, user_id)


async def add_recipient(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    email: str,
    full_name: str | None,
    overwrite: bool,
) -> None:
    """Insert the recipient; with ``overwrite`` (auth is the source of truth) update it too."""
    stmt = insert(Recipient).values(user_id=user_id, email=email, full_name=full_name)
    if overwrite:
        stmt = stmt.on_conflict_do_update(
            index_elements=[Recipient.user_id],
            set_={"email": email, "full_name": full_name, "updated_at": func.now()},
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=[Recipient.user_id])
    await session.execute(stmt)


async def add_notification(
    session: AsyncSession,
    *,
    message_id: uuid.UUID,
    kind: NotificationKind,
    user_id: uuid.UUID,
    subject: str,
    status: NotificationStatus,
    error: str | None = None,
) -> None:
    """One row per (message, kind): a retry updates it, but a sent row never goes back."""
    stmt = insert(Notification).values(
        id=uuid.uuid4(),
        message_id=message_id,
        kind=kind.value,
        user_id=user_id,
        subject=subject,
        channel=CHANNEL_EMAIL,
        status=status.value,
        error=error,
    )
    stmt = stmt.on_conflict_do_update(
        constraint="uq_notification_message_id_kind",
        set_={
            "status": stmt.excluded.status,
            "error": stmt.excluded.error,
            "subject": stmt.excluded.subject,
        },
        where=Notification.status != NotificationStatus.SENT.value,
    )
    await session.execute(stmt)


def list_notifications(user_id: uuid.UUID) -> Select[Any]:
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


async def get_notification(
    session: AsyncSession, *, message_id: uuid.UUID, kind: NotificationKind
) -> Notification | None:
    return await session.scalar(
        select(Notification).where(
            Notification.message_id == message_id, Notification.kind == kind.value
        )
    )


async def get_ticket_document(
    session: AsyncSession, booking_id: uuid.UUID
) -> TicketDocument | None:
    return await session.get(TicketDocument, booking_id)


async def add_ticket_document(
    session: AsyncSession,
    *,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    path: str,
    sha256: str,
    pages: int,
) -> None:
    """Record the booking's PDF (re-recording after a re-render replaces hash and pages)."""
    stmt = insert(TicketDocument).values(
        booking_id=booking_id,
        user_id=user_id,
        event_id=event_id,
        path=path,
        sha256=sha256,
        pages=pages,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[TicketDocument.booking_id],
        set_={"path": path, "sha256": sha256, "pages": pages},
    )
    await session.execute(stmt)
