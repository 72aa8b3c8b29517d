"""Tables of the payment database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import make_metadata

metadata = make_metadata()

TZ = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = metadata


class BookingCopy(Base):
    """Payment's own copy of a booking (booking.created / .cancelled / .expired or the internal
    API).

    A ``booking.cancelled`` or ``booking.expired`` that arrives before its ``booking.created``
    leaves a tombstone without amount; the late ``booking.created`` fills it in but cannot
    revive it.
    """

    __tablename__ = "booking_copy"
    __table_args__ = (
        CheckConstraint("status IN ('pending_payment', 'cancelled', 'expired')", name="status"),
        CheckConstraint(
            "status IN ('cancelled', 'expired') OR (amount IS NOT NULL AND currency IS NOT NULL)",
            name="priced",
        ),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(TZ)
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(
            "status IN ('processing', 'succeeded', 'failed', 'refunded')", name="status"
        ),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        # A second successful (or in-flight) charge for one booking cannot exist.
        Index(
            "uq_payment_live_per_booking",
            "booking_id",
            unique=True,
            postgresql_where=text("status IN ('processing', 'succeeded', 'refunded')"),
        ),
        Index("ix_payment_user_created", "user_id", "created_at"),
        Index("ix_payment_booking_id", "booking_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("booking_copy.booking_id")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    retryable: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    card_last4: Mapped[str] = mapped_column(Text)
    card_brand: Mapped[str] = mapped_column(Text)
    processor_ref: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


class Refund(Base):
    """A refund is recorded (``pending``) and committed before the processor is asked, so no
    money goes back without its record; the outcome is written afterwards. ``leased_until``
    marks who is asking the processor right now (no row lock is held during the call)."""

    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        # Money goes back once per payment: one pending or succeeded refund at most.
        Index(
            "uq_refund_live_per_payment",
            "payment_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'succeeded')"),
        ),
        Index("ix_refund_pending", "created_at", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("payment.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # the admin who asked for it; None when a cancellation refunded by itself
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    processor_ref: Mapped[str | None] = mapped_column(Text)
    leased_until: Mapped[datetime | None] = mapped_column(TZ)
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())


class IdempotencyKey(Base):
    """One ``Idempotency-Key`` per user: the request's fingerprint and, once done, the answer."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "key"),
        Index("ix_idempotency_key_created_at", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    key: Mapped[str] = mapped_column(Text)
    request_hash: Mapped[str] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
