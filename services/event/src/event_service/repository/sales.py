"""Sold seats and general-admission sales: the last word against a second sale."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_service.orm import GaSaleRow, SeatRow, SoldSeatRow, TicketTierRow


async def list_sold_seat_ids(session: AsyncSession, event_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        select(SoldSeatRow.seat_id).where(SoldSeatRow.event_id == event_id)
    )
    return list(rows)


async def sold_seats_among(
    session: AsyncSession, event_id: uuid.UUID, seat_ids: Sequence[str]
) -> list[str]:
    rows = await session.scalars(
        select(SoldSeatRow.seat_id).where(
            SoldSeatRow.event_id == event_id, SoldSeatRow.seat_id.in_(list(seat_ids))
        )
    )
    return list(rows)


_BUYERS = text(
    "SELECT user_id, sum(n) FROM ("
    "SELECT user_id, count(*) AS n FROM sold_seat WHERE event_id = :e AND user_id IS NOT NULL "
    "GROUP BY user_id "
    "UNION ALL "
    "SELECT user_id, sum(quantity) AS n FROM ga_sale WHERE event_id = :e "
    "AND user_id IS NOT NULL GROUP BY user_id) b GROUP BY user_id"
)


async def sold_state(
    session: AsyncSession, event_id: uuid.UUID
) -> tuple[dict[str, str], list[tuple[uuid.UUID, str, int]], dict[uuid.UUID, int]]:
    """What the Redis mirror is rebuilt from: ``{seat: tier}``, ``[(booking, tier, n)]`` and
    ``{buyer: places}`` (sales whose buyer is known: every one since migration 0002)."""
    seats = await session.execute(
        select(SoldSeatRow.seat_id, SeatRow.tier_code)
        .join(
            SeatRow,
            and_(SeatRow.event_id == SoldSeatRow.event_id, SeatRow.seat_id == SoldSeatRow.seat_id),
        )
        .where(SoldSeatRow.event_id == event_id)
    )
    general = await session.execute(
        select(GaSaleRow.booking_id, GaSaleRow.tier_code, GaSaleRow.quantity).where(
            GaSaleRow.event_id == event_id
        )
    )
    buyers = await session.execute(_BUYERS, {"e": event_id})
    return (
        {str(s): str(t) for s, t in seats.all()},
        [(b, t, int(q)) for b, t, q in general],
        {u: int(n) for u, n in buyers},
    )


async def count_sold(session: AsyncSession, event_id: uuid.UUID) -> int:
    seats = await session.scalar(
        select(func.count()).select_from(SoldSeatRow).where(SoldSeatRow.event_id == event_id)
    )
    general = await session.scalar(
        select(func.coalesce(func.sum(GaSaleRow.quantity), 0)).where(GaSaleRow.event_id == event_id)
    )
    return int(seats or 0) + int(general or 0)


async def count_general_sold(session: AsyncSession, event_id: uuid.UUID, tier: str) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(GaSaleRow.quantity), 0)).where(
            GaSaleRow.event_id == event_id, GaSaleRow.tier_code == tier
        )
    )
    return int(total or 0)


async def lock_tier(session: AsyncSession, event_id: uuid.UUID, tier: str) -> TicketTierRow | None:
    return await session.scalar(
        select(TicketTierRow)
        .where(TicketTierRow.event_id == event_id, TicketTierRow.code == tier)
        .with_for_update()
    )


_ADD_SOLD_SEATS = text(
    "INSERT INTO sold_seat (event_id, seat_id, booking_id, user_id, hold_id, sold_at) "
    "SELECT :event_id, s, :booking_id, :user_id, :hold_id, now() "
    "FROM unnest(CAST(:seat_ids AS text[])) AS s "
    "ON CONFLICT (event_id, seat_id) DO NOTHING"
)


async def add_sold_seats(
    session: AsyncSession,
    event_id: uuid.UUID,
    booking_id: uuid.UUID,
    seat_ids: Sequence[str],
    *,
    user_id: uuid.UUID,
    hold_id: str,
) -> dict[str, uuid.UUID]:
    """Record the seats as sold to the booking; returns the seats sold to ANOTHER booking."""
    await session.execute(
        _ADD_SOLD_SEATS,
        {
            "event_id": event_id,
            "booking_id": booking_id,
            "user_id": user_id,
            "hold_id": hold_id,
            "seat_ids": list(seat_ids),
        },
    )
    rows = await session.execute(
        select(SoldSeatRow.seat_id, SoldSeatRow.booking_id).where(
            SoldSeatRow.event_id == event_id,
            SoldSeatRow.seat_id.in_(seat_ids),
            SoldSeatRow.booking_id != booking_id,
        )
    )
    return {str(s): b for s, b in rows.all()}


_ADD_GA_SALE = text(
    "INSERT INTO ga_sale (booking_id, tier_code, event_id, quantity, user_id, hold_id, sold_at) "
    "VALUES (:booking_id, :tier, :event_id, :quantity, :user_id, :hold_id, now()) "
    "ON CONFLICT (booking_id, tier_code) DO NOTHING RETURNING booking_id"
)


async def add_general_sale(
    session: AsyncSession,
    event_id: uuid.UUID,
    booking_id: uuid.UUID,
    tier: str,
    quantity: int,
    *,
    user_id: uuid.UUID,
    hold_id: str,
) -> bool:
    result = await session.execute(
        _ADD_GA_SALE,
        {
            "booking_id": booking_id,
            "tier": tier,
            "event_id": event_id,
            "quantity": quantity,
            "user_id": user_id,
            "hold_id": hold_id,
        },
    )
    return result.first() is not None


_DELETE_SOLD_SEATS = text(
    "DELETE FROM sold_seat s USING seat t "
    "WHERE s.event_id = :event_id AND s.booking_id = :booking_id "
    "AND t.event_id = s.event_id AND t.seat_id = s.seat_id "
    "RETURNING s.seat_id, t.tier_code, s.user_id IS NOT NULL"
)
_DELETE_GA_SALES = text(
    "DELETE FROM ga_sale WHERE event_id = :event_id AND booking_id = :booking_id "
    "RETURNING tier_code, quantity, user_id IS NOT NULL"
)


async def delete_sales_of(
    session: AsyncSession, event_id: uuid.UUID, booking_id: uuid.UUID
) -> tuple[list[tuple[str, str, bool]], list[tuple[str, int, bool]]]:
    """Undo a booking's sales: ([(seat, tier, counted)], [(tier, quantity, counted)]) that it had
    bought; counted = the row names its buyer (so the Redis mirror counts it for them)."""
    params = {"event_id": event_id, "booking_id": booking_id}
    seats = [(s, t, bool(c)) for s, t, c in await session.execute(_DELETE_SOLD_SEATS, params)]
    general = [(t, int(q), bool(c)) for t, q, c in await session.execute(_DELETE_GA_SALES, params)]
    return seats, general
