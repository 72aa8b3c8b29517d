"""The charge's own statements, and payment's copy of a booking: hand-written SQL, one round
trip each (the ORM took two to four, and built each statement anew per request).

The claim is a single statement run outside any transaction block: it locks the copy, checks
that its buyer is asking and that it is payable with no live payment, and inserts the
``processing`` payment — atomically, as one statement is. The record locks the copy before it
touches the payment, as a ``booking.cancelled`` consumer does, so the two never deadlock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from payment_service.domain import LIVE_STATUSES, BookingStatus, PaymentStatus
from payment_service.orm import BookingCopy

_LIVE = [s.value for s in LIVE_STATUSES]

_CLAIM = text("""
WITH copy AS (
    SELECT booking_id, user_id, status, amount, currency FROM booking_copy
    WHERE booking_id = :booking_id FOR UPDATE
), live AS (
    SELECT status FROM payment WHERE booking_id = :booking_id AND status = ANY(:live) LIMIT 1
), claimed AS (
    INSERT INTO payment (id, booking_id, user_id, amount, currency, status, retryable,
                         card_last4, card_brand, created_at, updated_at)
    SELECT :payment_id, c.booking_id, c.user_id, c.amount, c.currency, :processing, false,
           :card_last4, :card_brand, :now, :now
    FROM copy AS c
    WHERE c.user_id = :user_id AND c.status = :payable
      AND c.amount IS NOT NULL AND c.currency IS NOT NULL AND NOT EXISTS (SELECT 1 FROM live)
    RETURNING id, amount, currency
)
SELECT c.user_id, c.status, (SELECT status FROM live) AS live_status,
       p.id AS payment_id, p.amount, p.currency
FROM copy AS c LEFT JOIN claimed AS p ON true
""")

# The copy's lock is taken while the joined row is produced, before the payment's row lock.
_RECORD = text("""
UPDATE payment AS p
SET status = :status, failure_reason = :failure_reason, retryable = :retryable,
    processor_ref = :processor_ref, updated_at = :now
FROM (SELECT status FROM booking_copy WHERE booking_id = :booking_id FOR UPDATE) AS c
WHERE p.id = :payment_id AND p.status = :processing
RETURNING p.id, p.booking_id, p.user_id, p.status, p.amount, p.currency, p.failure_reason,
          p.retryable, p.card_last4, p.card_brand, p.created_at, p.updated_at,
          c.status AS copy_status
""")

_CLOSE_COPY = text(
    "UPDATE booking_copy SET status = :cancelled, updated_at = :now WHERE booking_id = :booking_id"
)

# Insert the copy, or fill in a cancelled/expired tombstone's price; never revive it.
_ADD_COPY = text("""
INSERT INTO booking_copy (booking_id, user_id, event_id, amount, currency, status, expires_at)
VALUES (:booking_id, :user_id, :event_id, :amount, :currency, :status, :expires_at)
ON CONFLICT (booking_id) DO UPDATE
SET amount = excluded.amount, currency = excluded.currency, expires_at = excluded.expires_at,
    updated_at = :now
WHERE booking_copy.amount IS NULL
""")

_END_COPY = text("""
INSERT INTO booking_copy (booking_id, user_id, event_id, status)
VALUES (:booking_id, :user_id, :event_id, :status)
ON CONFLICT (booking_id) DO UPDATE SET status = excluded.status, updated_at = :now
WHERE booking_copy.status = ANY(:replaces)
""")


@dataclass(frozen=True, slots=True)
class Claim:
    """What the claim found: the copy's buyer and state, a live payment's state, and the new
    payment (``payment_id`` None: nothing was inserted)."""

    user_id: uuid.UUID
    booking_status: str
    live_status: str | None
    payment_id: uuid.UUID | None
    amount: int | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class ChargeRow:
    """A payment as its charge recorded it (``PaymentRead``'s fields), and the copy's state."""

    id: uuid.UUID
    booking_id: uuid.UUID
    user_id: uuid.UUID
    status: str
    amount: int
    currency: str
    failure_reason: str | None
    retryable: bool
    card_last4: str
    card_brand: str
    created_at: datetime
    updated_at: datetime
    copy_status: str


async def claim_payment(
    single: AsyncEngine,
    *,
    payment_id: uuid.UUID,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    card_last4: str,
    card_brand: str,
    now: datetime,
) -> Claim | None:
    """Insert a ``processing`` payment if the copy is the caller's, payable and has no live
    payment — one statement, outside any transaction (``single``: ``shared.db.single_statements``).
    None: there is no copy (yet). A concurrent claim that won raises ``IntegrityError`` (the
    unique index)."""
    params = {
        "payment_id": payment_id,
        "booking_id": booking_id,
        "user_id": user_id,
        "card_last4": card_last4,
        "card_brand": card_brand,
        "now": now,
        "live": _LIVE,
        "processing": PaymentStatus.PROCESSING,
        "payable": BookingStatus.PENDING_PAYMENT,
    }
    async with single.connect() as connection:
        row = (await connection.execute(_CLAIM, params)).first()
    return None if row is None else Claim(*row)


async def record_charge(
    session: AsyncSession,
    *,
    payment_id: uuid.UUID,
    booking_id: uuid.UUID,
    status: PaymentStatus,
    failure_reason: str | None,
    retryable: bool,
    processor_ref: str | None,
    now: datetime,
) -> ChargeRow | None:
    """Lock the copy, then give a ``processing`` payment its outcome (guarded); None if it has
    one already (the stale sweep failed it meanwhile)."""
    params = {
        "payment_id": payment_id,
        "booking_id": booking_id,
        "status": status,
        "failure_reason": failure_reason,
        "retryable": retryable,
        "processor_ref": processor_ref,
        "now": now,
        "processing": PaymentStatus.PROCESSING,
    }
    row = (await session.execute(_RECORD, params)).first()
    return None if row is None else ChargeRow(*row)


async def event_of_booking(session: AsyncSession, booking_id: uuid.UUID) -> uuid.UUID | None:
    """The event of the booking a payment is for (its copy is there: the payment's foreign key)."""
    found: uuid.UUID | None = await session.scalar(
        select(BookingCopy.event_id).where(BookingCopy.booking_id == booking_id)
    )
    return found


async def close_booking_copy(
    session: AsyncSession, booking_id: uuid.UUID, *, now: datetime
) -> None:
    """The copy stops being payable (its payment failed for good; booking cancels it)."""
    params = {"booking_id": booking_id, "cancelled": BookingStatus.CANCELLED, "now": now}
    await session.execute(_CLOSE_COPY, params)


async def add_booking_copy(
    session: AsyncSession,
    *,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    amount: int,
    currency: str,
    status: str,
    expires_at: datetime | None,
    now: datetime,
) -> None:
    """Insert the copy, or fill in a cancelled tombstone's price; never revive a cancellation."""
    params = {
        "booking_id": booking_id,
        "user_id": user_id,
        "event_id": event_id,
        "amount": amount,
        "currency": currency,
        "status": status,
        "expires_at": expires_at,
        "now": now,
    }
    await session.execute(_ADD_COPY, params)


async def end_booking_copy(
    session: AsyncSession,
    *,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    status: BookingStatus,
    replaces: tuple[BookingStatus, ...],
    now: datetime,
) -> None:
    """Move the copy to ``status`` from one of ``replaces`` (a tombstone if booking.created has
    not arrived yet); any other state is left as it is."""
    params = {
        "booking_id": booking_id,
        "user_id": user_id,
        "event_id": event_id,
        "status": status,
        "replaces": [s.value for s in replaces],
        "now": now,
    }
    await session.execute(_END_COPY, params)
