"""Queries of the notification service."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.domain import CHANNEL_EMAIL, NotificationKind, NotificationStatus
from notification_service.orm import Notification, Recipient, TicketDocument, TicketVoid


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
    payment_id: uuid.UUID,
) -> None:
    """Record the booking's PDF (re-recording after a re-render replaces hash and pages)."""
    stmt = insert(TicketDocument).values(
        booking_id=booking_id,
        user_id=user_id,
        event_id=event_id,
        path=path,
        sha256=sha256,
        pages=pages,
        payment_id=payment_id,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[TicketDocument.booking_id],
        set_={"path": path, "sha256": sha256, "pages": pages, "payment_id": payment_id},
    )
    await session.execute(stmt)


async def delete_ticket_document(session: AsyncSession, booking_id: uuid.UUID) -> str | None:
    """Forget the booking's PDF; its path (relative to the storage dir) if there was one."""
    stmt = (
        delete(TicketDocument)
        .where(TicketDocument.booking_id == booking_id)
        .returning(TicketDocument.path)
    )
    path: str | None = (await session.execute(stmt)).scalar_one_or_none()
    return path


async def lock_booking_tickets(session: AsyncSession, booking_id: uuid.UUID) -> None:
    """Serialise rendering and voiding one booking's tickets until the transaction ends (an
    advisory lock: there may be no row to lock yet)."""
    key = int.from_bytes(booking_id.bytes[:8], "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def get_ticket_void(session: AsyncSession, booking_id: uuid.UUID) -> TicketVoid | None:
    return await session.get(TicketVoid, booking_id)


async def add_ticket_void(
    session: AsyncSession, *, booking_id: uuid.UUID, user_id: uuid.UUID, reason: str
) -> None:
    """Void the booking's tickets (the first reason stays)."""
    stmt = insert(TicketVoid).values(booking_id=booking_id, user_id=user_id, reason=reason)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[TicketVoid.booking_id]))
