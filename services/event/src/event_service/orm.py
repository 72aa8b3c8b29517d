"""Tables of the event database (created by the Alembic migrations, never by create_all)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    Boolean,
    Computed,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import make_metadata

metadata = make_metadata()
_NOW = text("now()")


class Base(DeclarativeBase):
    metadata = metadata


# Weighted full-text document of an event (title > location > description), kept by PostgreSQL.
SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(location, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C')"
)
SEARCH_CONFIG = "english"


class EventRow(Base):
    __tablename__ = "event"
    __table_args__ = (
        Index(
            "ix_event_published_starts_at",
            "starts_at",
            postgresql_where=text("status = 'published' AND deleted_at IS NULL"),
        ),
        Index("ix_event_search", "search", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organizer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    location: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    currency: Mapped[str] = mapped_column(CHAR(3))
    sales_start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sales_end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_tickets_per_order: Mapped[int] = mapped_column(Integer)
    max_tickets_per_buyer: Mapped[int] = mapped_column(Integer)
    # hold rules (defences against hoarding; migration 0003)
    verified_email_required: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # no server default here (the migration has one for older rows): the ORM would leave out an
    # explicit None to let it apply, and None means "no cap"
    max_live_holds_per_address: Mapped[int | None] = mapped_column(Integer)
    rehold_cooldown_seconds: Mapped[int] = mapped_column(Integer, server_default=text("60"))
    # schemas.WaitingRoom as JSON; NULL: no waiting room
    waiting_room: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="draft")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    search: Mapped[str | None] = mapped_column(
        TSVECTOR, Computed(SEARCH_DOCUMENT, persisted=True), deferred=True
    )


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
        Index("ix_sold_seat_buyer", "event_id", "user_id"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seat_id: Mapped[str] = mapped_column(Text, primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(index=True)
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    # The buyer and the hold the sale came from (NULL on rows older than migration 0002).
    user_id: Mapped[uuid.UUID | None] = mapped_column()
    hold_id: Mapped[str | None] = mapped_column(Text)


class GaSaleRow(Base):
    """General-admission places of one tier sold by one confirmed booking."""

    __tablename__ = "ga_sale"
    __table_args__ = (
        ForeignKeyConstraint(
            ["event_id", "tier_code"],
            ["ticket_tier.event_id", "ticket_tier.code"],
            ondelete="CASCADE",
        ),
        Index("ix_ga_sale_event_id", "event_id", "tier_code"),
        Index("ix_ga_sale_buyer", "event_id", "user_id"),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tier_code: Mapped[str] = mapped_column(Text, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column()
    quantity: Mapped[int] = mapped_column(Integer)
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_NOW)
    user_id: Mapped[uuid.UUID | None] = mapped_column()
    hold_id: Mapped[str | None] = mapped_column(Text)
