"""Tables of the notification service."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from notification_service.domain import NotificationKind, NotificationStatus
from shared.db import make_metadata

metadata = make_metadata()

_KINDS = ", ".join(f"'{kind.value}'" for kind in NotificationKind)
_STATUSES = ", ".join(f"'{status.value}'" for status in NotificationStatus)


class Base(DeclarativeBase):
    metadata = metadata


class Recipient(Base):
    """Who can be emailed: a projection of auth's users (and of booking messages' addresses)."""

    __tablename__ = "recipient"

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    email: Mapped[str] = mapped_column(Text)
    full_name: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class Notification(Base):
    """One email we sent (or failed to send). A message yields at most one row per kind."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("message_id", "kind"),
        CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        Index("ix_notification_user_id_created_at", "user_id", text("created_at DESC")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16), server_default=text("'email'"))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class TicketDocument(Base):
    """A booking's rendered PDF: the bytes themselves and their hash (so any replica serves
    it, and no disk is written)."""

    __tablename__ = "ticket_document"

    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # loaded only where the bytes are wanted (the download, an email's attachment)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    # the payment the tickets stand on (booking.confirmed); null for rows from before 0003
    payment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class TicketVoid(Base):
    """A booking whose tickets no longer stand (cancelled, or its payment refunded).

    Its PDF is deleted and never rendered again, even by a ``booking.confirmed`` that arrives
    after the cancellation; the download answers 404 saying why.
    """

    __tablename__ = "ticket_void"

    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class PendingEmail(Base):
    """An email a handler decided to send, waiting for the mail sender (see
    ``service.mailing``): written in the handler's transaction, deleted once sent or given
    up. One per message and kind, like its ``notification`` row."""

    __tablename__ = "pending_email"
    __table_args__ = (
        UniqueConstraint("message_id", "kind"),
        CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
        Index("ix_pending_email_next_attempt_at", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    to_email: Mapped[str] = mapped_column(Text)
    to_name: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # attach this booking's ticket PDF (read from ticket_document when the email is sent)
    ticket_booking_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


# --- organizers' webhooks (``notification_service.webhooks``) --------------------------------


class EventOwner(Base):
    """Whose each event is: a projection of ``event.published`` (and of the organizer named by
    booking's, check-in's and event's messages), so that an organizer's webhooks hear only their
    own events'."""

    __tablename__ = "event_owner"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    organizer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class Webhook(Base):
    """An HTTPS endpoint an organizer or admin registered for some message types (of one event,
    or of all theirs; an admin's: of every event)."""

    __tablename__ = "webhook"
    __table_args__ = (Index("ix_webhook_owner_id", "owner_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    owner_is_admin: Mapped[bool] = mapped_column(Boolean)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(ARRAY(Text))
    event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class WebhookDelivery(Base):
    """One message to one webhook: the exact body sent on every attempt (signed anew each
    time), until a 2xx answer (``delivered``) or the deadline (``failed``)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("webhook_id", "message_id"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_delivery_webhook_id_created_at", "webhook_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    webhook_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook.id", ondelete="CASCADE")
    )
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    type: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
