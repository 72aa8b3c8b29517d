"""Queries of the notification service."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, delete, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from notification_service.domain import NotificationStatus
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


_RECIPIENT = text("SELECT email, full_name FROM recipient WHERE user_id = :user_id")
# The lock of lock_booking_tickets and the recipient, in one round trip.
_LOCK_AND_RECIPIENT = text(
    "SELECT pg_advisory_xact_lock(:key) AS locked, r.email, r.full_name "
    "FROM (VALUES (1)) AS one LEFT JOIN recipient AS r ON r.user_id = :user_id"
)


async def get_recipient(
    session: AsyncSession, user_id: uuid.UUID, *, lock_tickets_of: uuid.UUID | None = None
) -> tuple[str, str | None] | None:
    """The recipient's address and name, if known; with ``lock_tickets_of``, that booking's
    tickets are locked in the same round trip (see :func:`lock_booking_tickets`)."""
    if lock_tickets_of is None:
        row = (await session.execute(_RECIPIENT, {"user_id": user_id})).first()
    else:
        params = {"key": _lock_key(lock_tickets_of), "user_id": user_id}
        row = (await session.execute(_LOCK_AND_RECIPIENT, params)).first()
    return None if row is None or row.email is None else (row.email, row.full_name)


async def add_recipient(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    email: str,
    full_name: str | None,
    overwrite: bool,
) -> None:
    """Insert the recipient; with ``overwrite`` (auth is the source of truth) update it too."""
    stmt = insert(_recipients).values(user_id=user_id, email=email, full_name=full_name)
    if overwrite:
        stmt = stmt.on_conflict_do_update(
            index_elements=[_recipients.c.user_id],
            set_={"email": email, "full_name": full_name, "updated_at": func.now()},
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=[_recipients.c.user_id])
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


# One row per (message, kind): a later attempt updates it, but a sent row never goes back.
# The emails named in :done leave the queue in the same statement.
_RECORD = text(
    "WITH done AS (DELETE FROM pending_email WHERE id = ANY(CAST(:done AS uuid[]))) "
    "INSERT INTO notification (id, message_id, kind, user_id, subject, status, error) "
    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:message_ids AS uuid[]), "
    "CAST(:kinds AS varchar[]), CAST(:user_ids AS uuid[]), CAST(:subjects AS text[]), "
    "CAST(:statuses AS varchar[]), CAST(:errors AS text[])) "
    "ON CONFLICT ON CONSTRAINT uq_notification_message_id_kind DO UPDATE "
    "SET status = excluded.status, error = excluded.error, subject = excluded.subject "
    f"WHERE notification.status <> '{NotificationStatus.SENT.value}'"
)


async def record_notifications(
    session: AsyncSession,
    records: Sequence[NotificationRecord],
    *,
    dequeue: Collection[uuid.UUID] = (),
) -> None:
    """Write the ``notification`` rows, and take the ``dequeue`` emails off the queue (sent,
    given up or dropped) — one statement."""
    await session.execute(
        _RECORD,
        {
            "done": list(dequeue),
            "ids": [uuid.uuid4() for _ in records],
            "message_ids": [r.message_id for r in records],
            "kinds": [r.kind for r in records],
            "user_ids": [r.user_id for r in records],
            "subjects": [r.subject for r in records],
            "statuses": [r.status.value for r in records],
            "errors": [r.error for r in records],
        },
    )


def list_notifications(user_id: uuid.UUID) -> Select[Any]:
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


class Download(NamedTuple):
    """What the download needs: the PDF and whose it is, or why it is gone and whose it was."""

    owner: uuid.UUID | None
    content: bytes | None
    void_owner: uuid.UUID | None
    void_reason: str | None


_DOWNLOAD = text(
    "SELECT d.user_id, d.content, v.user_id, v.reason FROM (VALUES (1)) AS one "
    "LEFT JOIN ticket_document AS d ON d.booking_id = :booking_id "
    "LEFT JOIN ticket_void AS v ON v.booking_id = :booking_id"
)


async def get_download(single: AsyncEngine, booking_id: uuid.UUID) -> Download:
    """The booking's PDF and its void, in one statement outside any transaction block (on an
    AUTOCOMMIT engine: a lone statement is atomic already, BEGIN and ROLLBACK would be two
    more round trips)."""
    async with single.connect() as connection:
        row = (await connection.execute(_DOWNLOAD, {"booking_id": booking_id})).one()
    return Download(*row)


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


@dataclass(frozen=True, slots=True)
class NewDocument:
    """A booking's rendered PDF, to be recorded."""

    booking_id: uuid.UUID
    user_id: uuid.UUID
    event_id: uuid.UUID
    content: bytes
    sha256: str
    pages: int
    payment_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class QueuedEmail:
    """An email for the mail sender (a ``pending_email`` row)."""

    message_id: uuid.UUID
    kind: str
    user_id: uuid.UUID
    to_email: str
    to_name: str
    subject: str
    text_body: str
    html_body: str
    ticket_booking_id: uuid.UUID | None = None


_QUEUE_COLUMNS = ", ".join(["id", *QueuedEmail.__slots__])
_DOCUMENT = (
    "INSERT INTO ticket_document "
    "(booking_id, user_id, event_id, content, sha256, pages, payment_id) "
    "SELECT CAST(:booking_id AS uuid), CAST(:user_id AS uuid), CAST(:event_id AS uuid), "
    "CAST(:content AS bytea), CAST(:sha256 AS varchar), CAST(:pages AS integer), "
    "CAST(:payment_id AS uuid) "
    "WHERE NOT EXISTS (SELECT FROM ticket_void WHERE booking_id = CAST(:booking_id AS uuid)) "
    "ON CONFLICT (booking_id) DO NOTHING RETURNING booking_id"
)
_ADD_DOCUMENT = text(f"WITH stored AS ({_DOCUMENT}) SELECT count(*) AS stored FROM stored")
# The document, and the email carrying it queued when the document stands (stored now, or by
# an earlier confirmation; a void booking has none), in one round trip.
_ADD_DOCUMENT_AND_EMAIL = text(
    f"WITH stored AS ({_DOCUMENT}), "
    "standing AS (SELECT booking_id FROM stored UNION ALL "
    "SELECT booking_id FROM ticket_document WHERE booking_id = CAST(:booking_id AS uuid)), "
    f"queued AS (INSERT INTO pending_email ({_QUEUE_COLUMNS}) "
    "SELECT CAST(:email_id AS uuid), CAST(:message_id AS uuid), CAST(:kind AS varchar), "
    "CAST(:email_user_id AS uuid), CAST(:to_email AS text), CAST(:to_name AS text), "
    "CAST(:subject AS text), CAST(:text_body AS text), CAST(:html_body AS text), "
    "CAST(:booking_id AS uuid) FROM standing LIMIT 1 "
    "ON CONFLICT ON CONSTRAINT uq_pending_email_message_id_kind DO NOTHING) "
    "SELECT count(*) AS stored, (SELECT count(*) FROM standing) AS standing FROM stored"
)


async def add_ticket_document(
    session: AsyncSession, document: NewDocument, *, email: QueuedEmail | None = None
) -> tuple[bool, bool]:
    """Record the booking's PDF unless its tickets are void or it has one already, and queue
    ``email`` (whose attachment is that PDF) unless the tickets are void — one round trip.
    (stored now, standing: stored now or earlier). Call under :func:`lock_booking_tickets`:
    the statement's snapshot then sees every void committed before the lock was granted."""
    params: dict[str, object] = {
        "booking_id": document.booking_id,
        "user_id": document.user_id,
        "event_id": document.event_id,
        "content": document.content,
        "sha256": document.sha256,
        "pages": document.pages,
        "payment_id": document.payment_id,
    }
    if email is None:
        stored = bool((await session.execute(_ADD_DOCUMENT, params)).scalar_one())
        return stored, stored or await _document_exists(session, document.booking_id)
    params |= {
        "email_id": uuid.uuid4(),
        "message_id": email.message_id,
        "kind": email.kind,
        "email_user_id": email.user_id,
        "to_email": email.to_email,
        "to_name": email.to_name,
        "subject": email.subject,
        "text_body": email.text_body,
        "html_body": email.html_body,
    }
    row = (await session.execute(_ADD_DOCUMENT_AND_EMAIL, params)).one()
    return bool(row.stored), bool(row.standing)


async def _document_exists(session: AsyncSession, booking_id: uuid.UUID) -> bool:
    stmt = select(exists().where(_documents.c.booking_id == booking_id))
    return bool(await session.scalar(stmt))


async def delete_ticket_document(session: AsyncSession, booking_id: uuid.UUID) -> bool:
    """Forget the booking's PDF; True if there was one."""
    stmt = (
        delete(TicketDocument)
        .where(TicketDocument.booking_id == booking_id)
        .returning(TicketDocument.booking_id)
    )
    return (await session.execute(stmt)).first() is not None


_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


async def lock_booking_tickets(session: AsyncSession, booking_id: uuid.UUID) -> None:
    """Serialise rendering and voiding one booking's tickets until the transaction ends (an
    advisory lock: there may be no row to lock yet)."""
    await session.execute(_LOCK, {"key": _lock_key(booking_id)})


def _lock_key(booking_id: uuid.UUID) -> int:
    return int.from_bytes(booking_id.bytes[:8], "big", signed=True)


async def add_ticket_void(
    session: AsyncSession, *, booking_id: uuid.UUID, user_id: uuid.UUID, reason: str
) -> None:
    """Void the booking's tickets (the first reason stays)."""
    stmt = insert(TicketVoid).values(booking_id=booking_id, user_id=user_id, reason=reason)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[TicketVoid.booking_id]))


_QUEUE = text(
    f"INSERT INTO pending_email ({_QUEUE_COLUMNS}) VALUES (:id, "
    + ", ".join(f":{name}" for name in QueuedEmail.__slots__)
    + ") ON CONFLICT ON CONSTRAINT uq_pending_email_message_id_kind DO NOTHING"
)


async def add_pending_email(session: AsyncSession, email: QueuedEmail) -> None:
    """Queue an email for the mail sender (once per message and kind)."""
    params = {name: getattr(email, name) for name in QueuedEmail.__slots__}
    await session.execute(_QUEUE, {"id": uuid.uuid4(), **params})


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


_LOCK_DUE = text(
    "SELECT "
    + ", ".join(f"p.{name}" for name in DueEmail.__slots__ if name != "pdf")
    + ", d.content AS pdf FROM pending_email AS p "
    "LEFT JOIN ticket_document AS d ON d.booking_id = p.ticket_booking_id "
    "WHERE p.next_attempt_at <= now() ORDER BY p.next_attempt_at, p.created_at "
    "LIMIT :limit FOR UPDATE OF p SKIP LOCKED"
)


async def lock_due_emails(session: AsyncSession, *, limit: int) -> list[DueEmail]:
    """Up to ``limit`` emails whose time has come, oldest first, each with its PDF, locked
    until the transaction ends; rows another sender holds are skipped, not waited for."""
    rows = await session.execute(_LOCK_DUE, {"limit": limit})
    return [DueEmail(*row) for row in rows]


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
