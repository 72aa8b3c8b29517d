"""Answers PostgreSQL writes as JSON: a booking with its seats and tickets (``BookingDetail``)
and payment's snapshot (``BookingSnapshotV1``), each one statement returning the finished body.

Buyers poll ``GET /api/bookings/{id}`` until it is confirmed, so this is the most frequent
request booking serves: no ORM objects, no model validation of what we produced, no second
serialization. The shapes and formats are the schemas' own (timestamps as pydantic writes them:
UTC, ``Z``, microseconds only when there are any); a test holds each body to its model.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from booking_service.domain import BookingStatus
from shared.db import fetch_alone


def _iso(column: str) -> str:
    """SQL rendering the timestamptz ``column`` as pydantic does (NULL stays NULL)."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {utc}) "
        f"= {utc} THEN 'Z' ELSE to_char({utc}, '.US\"Z\"') END"
    )


_SEATS = """COALESCE((
    SELECT json_agg(json_build_object('seat_id', s.seat_id, 'tier', s.tier, 'price', s.price)
                    ORDER BY s.position)
    FROM booked_seat AS s WHERE s.booking_id = b.id), '[]'::json)"""

_TICKETS = f"""CASE WHEN b.status = :confirmed THEN COALESCE((
    SELECT json_agg(json_build_object(
        'ticket_id', t.id, 'seat_id', t.seat_id, 'tier', t.tier, 'price', t.price,
        'code', t.code, 'checked_in_at', {_iso("t.checked_in_at")}) ORDER BY t.position)
    FROM ticket AS t WHERE t.booking_id = b.id), '[]'::json) ELSE '[]'::json END"""

# BookingDetail, key for key in the model's order.
_DETAIL = text(f"""
SELECT b.user_id, b.organizer_id, b.status, json_build_object(
    'id', b.id, 'status', b.status, 'event_id', b.event_id, 'organizer_id', b.organizer_id,
    'hold_id', b.hold_id, 'user_id', b.user_id, 'seats', {_SEATS},
    'amount', b.amount, 'currency', b.currency,
    'expires_at', {_iso("b.expires_at")}, 'created_at', {_iso("b.created_at")},
    'updated_at', {_iso("b.updated_at")}, 'confirmed_at', {_iso("b.confirmed_at")},
    'payment_id', b.payment_id, 'cancel_reason', b.cancel_reason,
    'event', json_build_object('title', b.event_title, 'starts_at', {_iso("b.event_starts_at")},
                               'location', b.event_location),
    'tickets', {_TICKETS})::text AS body
FROM booking AS b WHERE b.id = :booking_id
""")

_SNAPSHOT = text(f"""
SELECT json_build_object(
    'id', b.id, 'user_id', b.user_id, 'event_id', b.event_id, 'status', b.status,
    'amount', b.amount, 'currency', b.currency, 'expires_at', {_iso("b.expires_at")})::text
FROM booking AS b WHERE b.id = :booking_id
""")


@dataclass(frozen=True, slots=True)
class BookingView:
    """A booking's ``BookingDetail`` body, who may read it, and its status."""

    user_id: uuid.UUID
    organizer_id: uuid.UUID | None
    status: BookingStatus
    body: str


async def view_booking(db: AsyncSession | AsyncEngine, booking_id: uuid.UUID) -> BookingView | None:
    """The booking's detail as JSON: in the session's transaction (which sees its own changes),
    or as a statement of its own on an engine of single statements."""
    params = {"booking_id": booking_id, "confirmed": BookingStatus.CONFIRMED}
    if isinstance(db, AsyncEngine):
        row = await fetch_alone(db, _DETAIL, params)
    else:
        row = (await db.execute(_DETAIL, params)).first()
    return (
        None
        if row is None
        else BookingView(row.user_id, row.organizer_id, BookingStatus(row.status), row.body)
    )


async def snapshot_json(single: AsyncEngine, booking_id: uuid.UUID) -> str | None:
    """``BookingSnapshotV1`` as JSON, as a statement of its own."""
    row = await fetch_alone(single, _SNAPSHOT, {"booking_id": booking_id})
    return None if row is None else str(row[0])
