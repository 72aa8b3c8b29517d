"""Queries of the notification service."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, delete, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.domain import CHANNEL_EMAIL, NotificationKind, NotificationStatus
from notification_service.orm import (
    Notification,
    PendingEmail,
    Recipient,
    TicketDocument,
    TicketVoid,
)

# The hot paths (every booking) use the tables, not the ORM entities: plain Core statements
# skip the ORM's compile and load steps.
_documents = cast(Table, TicketDocument.__table__)
_pending = cast(Table, PendingEmail.__table__)
_notifications = cast(Table, Notification.__table__)
_recipients = cast(Table, Recipient.__table__)


async def get_recipient(session: AsyncSession, user_id: uuid.UUID) -> tuple[str, str | None] | None:
    """The recipient's address and name, if known."""
    stmt = select(_recipients.c.email, _recipients.c.full_name).where(
        _recipients.c.user_id == user_id
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row.email, row.full_name)


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


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """The ``notification`` row of one email (one per message and kind)."""

    message_id: uuid.UUID
    kind: str
    user_id: uuid.UUID
    subject: str
    status: NotificationStatus
    error: str | None = None


def _notifications_upsert(records: Sequence[NotificationRecord]) -> Insert:
    """One row per (message, kind): a later attempt updates it, but a sent row never goes
    back."""
    stmt = insert(_notifications).values(
        [
            {
                "id": uuid.uuid4(),
                "message_id": record.message_id,
                "kind": record.kind,
                "user_id": record.user_id,
                "subject": record.subject,
                "channel": CHANNEL_EMAIL,
                "status": record.status.value,
                "error": record.error,
            }
            for record in records
        ]
    )
    return stmt.on_conflict_do_update(
        constraint="uq_notification_message_id_kind",
        set_={
            "status": stmt.excluded.status,
            "error": stmt.excluded.error,
            "subject": stmt.excluded.subject,
        },
        where=_notifications.c.status != NotificationStatus.SENT.value,
    )


async def add_notifications(session: AsyncSession, records: Sequence[NotificationRecord]) -> None:
    """Write the records (see :func:`_notifications_upsert`), in one statement."""
    if records:
        await session.execute(_notifications_upsert(records))


def list_notifications(user_id: uuid.UUID) -> Select[Any]:
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


async def get_ticket_owner_and_content(
    session: AsyncSession, booking_id: uuid.UUID
) -> tuple[uuid.UUID, bytes] | None:
    """The booking's PDF and whose it is (one row read, the download's only query)."""
    stmt = select(_documents.c.user_id, _documents.c.content).where(
        _documents.c.booking_id == booking_id
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row.user_id, row.content)


class TicketState(NamedTuple):
    void: bool
    rendered: bool
    payment_id: uuid.UUID | None  # the payment the PDF stands on


async def get_ticket_state(session: AsyncSession, booking_id: uuid.UUID) -> TicketState:
    """Whether the booking's tickets are void, whether its PDF exists, and the payment it
    stands on — one round trip."""
    voids = cast(Table, TicketVoid.__table__)
    stmt = select(
        exists().where(voids.c.booking_id == booking_id),
        exists().where(_documents.c.booking_id == booking_id),
        select(_documents.c.payment_id)
        .where(_documents.c.booking_id == booking_id)
        .scalar_subquery(),
    )
    void, rendered, payment_id = (await session.execute(stmt)).one()
    return TicketState(void=void, rendered=rendered, payment_id=payment_id)


async def add_ticket_document(
    session: AsyncSession,
    *,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    content: bytes,
    sha256: str,
    pages: int,
    payment_id: uuid.UUID,
) -> None:
    """Record the booking's PDF."""
    stmt = insert(_documents).values(
        booking_id=booking_id,
        user_id=user_id,
        event_id=event_id,
        content=content,
        sha256=sha256,
        pages=pages,
        payment_id=payment_id,
    )
    await session.execute(stmt)


async def delete_ticket_document(session: AsyncSession, booking_id: uuid.UUID) -> bool:
    """Forget the booking's PDF; True if there was one."""
    stmt = (
        delete(TicketDocument)
        .where(TicketDocument.booking_id == booking_id)
        .returning(TicketDocument.booking_id)
    )
    return (await session.execute(stmt)).first() is not None


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


async def add_pending_email(
    session: AsyncSession,
    *,
    message_id: uuid.UUID,
    kind: NotificationKind,
    user_id: uuid.UUID,
    to_email: str,
    to_name: str,
    subject: str,
    text_body: str,
    html_body: str,
    ticket_booking_id: uuid.UUID | None = None,
) -> None:
    """Queue an email for the mail sender (once per message and kind)."""
    stmt = insert(_pending).values(
        id=uuid.uuid4(),
        message_id=message_id,
        kind=kind.value,
        user_id=user_id,
        to_email=to_email,
        to_name=to_name,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        ticket_booking_id=ticket_booking_id,
    )
    await session.execute(
        stmt.on_conflict_do_nothing(constraint="uq_pending_email_message_id_kind")
    )


@dataclass(frozen=True, slots=True)
class DueEmail:
    """A queued email the sender holds, with the PDF it carries (None: no attachment, or the
    booking's tickets are void)."""

    id: uuid.UUID
    message_id: uuid.UUID
    kind: str
    user_id: uuid.UUID
    to_email: str
    to_name: str
    subject: str
    text_body: str
    html_body: str
    ticket_booking_id: uuid.UUID | None
    attempts: int
    created_at: datetime
    pdf: bytes | None


async def lock_due_emails(session: AsyncSession, *, limit: int) -> list[DueEmail]:
    """Up to ``limit`` emails whose time has come, oldest first, each with its PDF, locked
    until the transaction ends; rows another sender holds are skipped, not waited for."""
    fields = [_pending.c[name] for name in DueEmail.__slots__ if name != "pdf"]
    joined = _pending.outerjoin(_documents, _documents.c.booking_id == _pending.c.ticket_booking_id)
    stmt = (
        select(*fields, _documents.c.content.label("pdf"))
        .select_from(joined)
        .where(_pending.c.next_attempt_at <= func.now())
        .order_by(_pending.c.next_attempt_at, _pending.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=_pending)
    )
    return [DueEmail(**row._mapping) for row in await session.execute(stmt)]


async def finish_emails(
    session: AsyncSession, *, done: Collection[uuid.UUID], records: Sequence[NotificationRecord]
) -> None:
    """Take the ``done`` emails off the queue and write the ``records``, in one statement."""
    if not records:
        if done:
            await session.execute(delete(_pending).where(_pending.c.id.in_(done)))
        return
    stmt = _notifications_upsert(records)
    if done:
        stmt = stmt.add_cte(delete(_pending).where(_pending.c.id.in_(done)).cte("done"))
    await session.execute(stmt)


async def postpone_email(
    session: AsyncSession, email_id: uuid.UUID, *, delay_seconds: float, error: str
) -> None:
    """One more failed attempt: try again after ``delay_seconds``."""
    stmt = (
        update(_pending)
        .where(_pending.c.id == email_id)
        .values(
            attempts=_pending.c.attempts + 1,
            last_error=error,
            next_attempt_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, delay_seconds),
        )
    )
    await session.execute(stmt)
