"""Booking's tables: bookings, booked seats, tickets, idempotency keys and known events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import make_metadata

metadata = make_metadata()

_STATUSES = "('pending_payment', 'confirmed', 'cancelled', 'expired', 'refunded')"
ACTIVE_SEAT_INDEX = "uq_booked_seat_active_seat"
HOLD_UNIQUE = "uq_booking_hold_id"


class Base(DeclarativeBase):
    metadata = metadata


class Booking(Base):
    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint(f"status IN {_STATUSES}", name="status_known"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_booking_user_id_created_at", "user_id", "created_at"),
        Index("ix_booking_event_id_status", "event_id", "status"),
        Index("ix_booking_organizer_id_event_id", "organizer_id", "event_id"),
        Index(
            "ix_booking_pending_expires_at",
            "expires_at",
            postgresql_where=text("status = 'pending_payment'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    user_email: Mapped[str] = mapped_column(String(254), nullable=False)
    # The access token's ``name`` when booked; "" on rows from before tokens carried one.
    buyer_name: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # From event's claim answer; null on rows from before it carried one (admins still see them).
    organizer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    hold_id: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    event_title: Mapped[str] = mapped_column(Text, nullable=False)
    event_starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    event_location: Mapped[str] = mapped_column(Text, nullable=False)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    seats: Mapped[list[BookedSeat]] = relationship(
        back_populates="booking", lazy="selectin", order_by="BookedSeat.position"
    )
    tickets: Mapped[list[Ticket]] = relationship(
        back_populates="booking", lazy="selectin", order_by="Ticket.position"
    )


class BookedSeat(Base):
    """A place in a booking; ``status`` mirrors the booking's, so the partial index frees seats."""

    __tablename__ = "booked_seat"
    __table_args__ = (
        CheckConstraint(f"status IN {_STATUSES}", name="status_known"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        Index("ix_booked_seat_booking_id", "booking_id"),
        # DESIGN.md invariant 1: the database is the last word against selling a seat twice.
        Index(
            ACTIVE_SEAT_INDEX,
            "event_id",
            "seat_id",
            unique=True,
            postgresql_where=text(
                "status IN ('pending_payment', 'confirmed') AND seat_id IS NOT NULL"
            ),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("booking.id", ondelete="CASCADE"), nullable=False
    )
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    seat_id: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(64), nullable=False)
    price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)

    booking: Mapped[Booking] = relationship(back_populates="seats", lazy="raise")


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (Index("ix_ticket_booking_id", "booking_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("booking.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    seat_id: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(64), nullable=False)
    price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    booking: Mapped[Booking] = relationship(back_populates="tickets", lazy="raise")


class EventCopy(Base):
    """What booking knows of an event before anyone booked it: who organizes it.

    Filled from ``event.published`` (and ``event.cancelled``), so the owner of an event nobody
    has booked yet reads zero sales instead of a 404. An event's organizer never changes."""

    __tablename__ = "event_copy"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    organizer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class IdempotencyKey(Base):
    """One ``Idempotency-Key`` per user: claimed with a null response, filled on completion."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "key", name="pk_idempotency_key"),
        Index("ix_idempotency_key_created_at", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
