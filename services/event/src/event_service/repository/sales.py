"""Sold seats and general-admission sales: the last word against a second sale."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_service.orm import GaSaleRow, SeatRow, SoldSeatRow
from event_service.repository.events import INVENTORY_LOCK_CLASS


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


_TIER_CAPACITY = text(
    "SELECT capacity FROM ticket_tier WHERE event_id = :event_id AND code = :tier FOR UPDATE"
)


async def lock_tier(session: AsyncSession, event_id: uuid.UUID, tier: str) -> int | None:
    """Lock the tier's row (sales of a general-admission tier one at a time); its capacity, None
    if it is no general-admission tier of the event."""
    capacity = await session.scalar(_TIER_CAPACITY, {"event_id": event_id, "tier": tier})
    return int(capacity) if capacity is not None else None


# The shared inventory lock is taken by the statement itself (a CTE scanned before any row is
# written): one round trip where a lock, then an insert, were two. ``RETURNING`` names the seats
# this statement sold; a seat it did not (ON CONFLICT: sold already, to this booking by a
# redelivered message or to another) is looked up by a statement of its own — with a snapshot
# of its own, so a sale that committed while this one waited is seen.
_SELL_SEATS = text(
    "WITH inventory AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(:cls, hashtext(:key))) "
    "INSERT INTO sold_seat (event_id, seat_id, booking_id, user_id, hold_id, sold_at) "
    "SELECT :event_id, s, :booking_id, :user_id, :hold_id, now() "
    "FROM inventory, unnest(CAST(:seat_ids AS text[])) AS s "
    "ON CONFLICT (event_id, seat_id) DO NOTHING RETURNING seat_id"
)
_OWNERS = text(
    "SELECT seat_id, booking_id FROM sold_seat "
    "WHERE event_id = :event_id AND seat_id = ANY(CAST(:seat_ids AS text[])) "
    "AND booking_id <> :booking_id"
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
    """Under the shared inventory lock (taken here), record the seats as sold to the booking;
    returns the seats sold to ANOTHER booking. One round trip unless a seat was sold already."""
    params = {
        "cls": INVENTORY_LOCK_CLASS,
        "key": str(event_id),
        "event_id": event_id,
        "booking_id": booking_id,
        "user_id": user_id,
        "hold_id": hold_id,
        "seat_ids": list(seat_ids),
    }
    sold = set((await session.scalars(_SELL_SEATS, params)).all())
    rest = [s for s in seat_ids if s not in sold]
    if not rest:
        return {}
    rows = await session.execute(
        _OWNERS, {"event_id": event_id, "booking_id": booking_id, "seat_ids": rest}
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


# The shared inventory lock and both deletions in one statement (see ``_SELL_SEATS``).
_DELETE_SALES = text(
    "WITH inventory AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(:cls, hashtext(:key))), "
    "seats AS (DELETE FROM sold_seat s USING seat t, inventory "
    "WHERE s.event_id = :event_id AND s.booking_id = :booking_id "
    "AND t.event_id = s.event_id AND t.seat_id = s.seat_id "
    "RETURNING s.seat_id, t.tier_code, s.user_id IS NOT NULL AS counted), "
    "general AS (DELETE FROM ga_sale g USING inventory "
    "WHERE g.event_id = :event_id AND g.booking_id = :booking_id "
    "RETURNING g.tier_code, g.quantity, g.user_id IS NOT NULL AS counted) "
    "SELECT seat_id, tier_code, 1 AS quantity, counted FROM seats "
    "UNION ALL SELECT NULL, tier_code, quantity, counted FROM general"
)


async def delete_sales_of(
    session: AsyncSession, event_id: uuid.UUID, booking_id: uuid.UUID
) -> tuple[list[tuple[str, str, bool]], list[tuple[str, int, bool]]]:
    """Under the shared inventory lock (taken here), undo a booking's sales: ([(seat, tier,
    counted)], [(tier, quantity, counted)]) that it had bought; counted = the row names its
    buyer (so the Redis mirror counts it for them). One round trip."""
    params = {
        "cls": INVENTORY_LOCK_CLASS,
        "key": str(event_id),
        "event_id": event_id,
        "booking_id": booking_id,
    }
    seats: list[tuple[str, str, bool]] = []
    general: list[tuple[str, int, bool]] = []
    for seat, tier, quantity, counted in await session.execute(_DELETE_SALES, params):
        if seat is not None:
            seats.append((str(seat), str(tier), bool(counted)))
        else:
            general.append((str(tier), int(quantity), bool(counted)))
    return seats, general


# general-admission places sold past their tier's capacity (a reserved seat cannot be sold twice
# here: ``sold_seat``'s key is the seat)
_OVERSOLD = text(
    "SELECT coalesce(sum(sold - capacity), 0) FROM ("
    "SELECT t.capacity, sum(s.quantity) AS sold FROM ga_sale s "
    "JOIN ticket_tier t ON t.event_id = s.event_id AND t.code = s.tier_code "
    "GROUP BY t.event_id, t.code, t.capacity) tiers WHERE sold > capacity"
)


async def oversold_places(session: AsyncSession) -> int:
    """Places sold beyond a tier's capacity, over every event: must be 0."""
    return int((await session.execute(_OVERSOLD)).scalar_one())
