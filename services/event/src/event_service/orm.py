"""Tables of the event database (created by the Alembic migrations, never by create_all)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKeyConstraint, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import make_metadata

metadata = make_metadata()
_NOW = text("now()")


class Base(DeclarativeBase):
    metadata = metadata


class EventRow(Base):
    __tablename__ = "event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organizer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    location: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    currency: Mapped[str] = mapped_column(String(3))
    sales_start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sales_end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_tickets_per_order: Mapped[int] = mapped_column(Integer)
    max_tickets_per_buyer: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, server_default="draft")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)


class TicketTierRow(Base):
    __tablename__ = "ticket_tier"
    __table_args__ = (ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),)

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    price: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class SeatRow(Base):
    __tablename__ = "seat"
    __table_args__ = (
        ForeignKeyConstraint(
            ["event_id", "tier_code"],
            ["ticket_tier.event_id", "ticket_tier.code"],
            ondelete="CASCADE",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seat_id: Mapped[str] = mapped_column(Text, primary_key=True)
    section: Mapped[str] = mapped_column(Text)
    row: Mapped[str] = mapped_column(Text)
    number: Mapped[int] = mapped_column(Integer)
    tier_code: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class SoldSeatRow(Base):
    """A reserved seat sold by a confirmed booking: the last word against a second sale."""

    __tablename__ = "sold_seat"
    __table_args__ = (
        ForeignKeyConstraint(
            ["event_id", "seat_id"], ["seat.event_id", "seat.seat_id"], ondelete="CASCADE"
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seat_id: Mapped[str] = mapped_column(Text, primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(index=True)
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)


class GaSaleRow(Base):
    """General-admission places of one tier sold by one confirmed booking."""

    __tablename__ = "ga_sale"
    __table_args__ = (
        ForeignKeyConstraint(
            ["event_id", "tier_code"],
            ["ticket_tier.event_id", "ticket_tier.code"],
            ondelete="CASCADE",
        ),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tier_code: Mapped[str] = mapped_column(Text, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column()
    quantity: Mapped[int] = mapped_column(Integer)
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
