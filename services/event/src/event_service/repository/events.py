"""Events, tiers and seats: get_ / list_ / add_ / lock_ / set_ queries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_service.domain import EventStatus, SeatSpec
from event_service.orm import SEARCH_CONFIG, EventRow, SeatRow, TicketTierRow

INVENTORY_LOCK_CLASS = 8002


async def lock_inventory(session: AsyncSession, event_id: uuid.UUID, *, exclusive: bool) -> None:
    """The event's inventory lock (transaction-scoped advisory lock, no row written).

    Shared: taking a hold, recording or undoing a sale. Exclusive: rebuilding the Redis sold
    mirror, changing tiers or seats, cancelling or deleting — so those see a still inventory.
    """
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await session.execute(
        text(f"SELECT {fn}(:cls, hashtext(:event_id))"),
        {"cls": INVENTORY_LOCK_CLASS, "event_id": str(event_id)},
    )


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> EventRow | None:
    return await session.scalar(
        select(EventRow).where(EventRow.id == event_id, EventRow.deleted_at.is_(None))
    )


async def get_events(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> list[EventRow]:
    if not event_ids:
        return []
    rows = await session.scalars(
        select(EventRow).where(EventRow.id.in_(event_ids), EventRow.deleted_at.is_(None))
    )
    return list(rows)


async def list_tiers(session: AsyncSession, event_id: uuid.UUID) -> list[TicketTierRow]:
    return (await list_tiers_of(session, [event_id]))[event_id]


async def list_tiers_of(
    session: AsyncSession, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[TicketTierRow]]:
    tiers: dict[uuid.UUID, list[TicketTierRow]] = {e: [] for e in event_ids}
    if not event_ids:
        return tiers
    rows = await session.scalars(
        select(TicketTierRow)
        .where(TicketTierRow.event_id.in_(event_ids))
        .order_by(TicketTierRow.event_id, TicketTierRow.position)
    )
    for row in rows:
        tiers[row.event_id].append(row)
    return tiers


async def add_event(session: AsyncSession, event: EventRow, tiers: Sequence[TicketTierRow]) -> None:
    session.add(event)
    await session.flush()
    await add_tiers(session, tiers)


async def add_tiers(session: AsyncSession, tiers: Sequence[TicketTierRow]) -> None:
    session.add_all(tiers)
    await session.flush()


async def delete_layout(session: AsyncSession, event_id: uuid.UUID) -> None:
    """Tiers and seats go (seats cascade from their tier); only while nothing is sold."""
    await session.execute(delete(SeatRow).where(SeatRow.event_id == event_id))
    await session.execute(delete(TicketTierRow).where(TicketTierRow.event_id == event_id))


_INSERT_SEATS = text(
    'INSERT INTO seat (event_id, seat_id, section, "row", number, tier_code, position) '
    "SELECT :event_id, s.seat_id, s.section, s.row, s.number, s.tier_code, s.position "
    "FROM unnest(CAST(:seat_ids AS text[]), CAST(:sections AS text[]), CAST(:rows AS text[]), "
    "CAST(:numbers AS integer[]), CAST(:tiers AS text[]), CAST(:positions AS integer[])) "
    "AS s(seat_id, section, row, number, tier_code, position)"
)


async def add_seats(session: AsyncSession, event_id: uuid.UUID, seats: Sequence[SeatSpec]) -> None:
    """All seats in one statement (up to 100,000 of them)."""
    if not seats:
        return
    await session.execute(
        _INSERT_SEATS,
        {
            "event_id": event_id,
            "seat_ids": [s.seat_id for s in seats],
            "sections": [s.section for s in seats],
            "rows": [s.row for s in seats],
            "numbers": [s.number for s in seats],
            "tiers": [s.tier for s in seats],
            "positions": list(range(len(seats))),
        },
    )


async def set_status(
    session: AsyncSession, event_id: uuid.UUID, *, to: str, allowed_from: Sequence[str]
) -> EventRow | None:
    """Guarded status change; None when the event was not in one of ``allowed_from``."""
    return await session.scalar(
        update(EventRow)
        .where(
            EventRow.id == event_id,
            EventRow.status.in_(list(allowed_from)),
            EventRow.deleted_at.is_(None),
        )
        .values(status=to, updated_at=func.now())
        .returning(EventRow)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


async def set_fields(
    session: AsyncSession, event_id: uuid.UUID, values: dict[str, Any]
) -> EventRow | None:
    """Update the given columns (and ``updated_at``) of a live event; None if it is gone."""
    return await session.scalar(
        update(EventRow)
        .where(EventRow.id == event_id, EventRow.deleted_at.is_(None))
        .values(**values, updated_at=func.now())
        .returning(EventRow)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


async def soft_delete(session: AsyncSession, event_id: uuid.UUID) -> bool:
    row = await session.scalar(
        update(EventRow)
        .where(EventRow.id == event_id, EventRow.deleted_at.is_(None))
        .values(deleted_at=func.now(), updated_at=func.now())
        .returning(EventRow.id)
    )
    return row is not None


def published_events(
    *,
    q: str | None,
    location: str | None,
    starts_from: datetime | None,
    starts_to: datetime | None,
    organizer_id: uuid.UUID | None,
    sort: str,
) -> Select[Any]:
    """Published events; ``q`` is web-search syntax over the indexed document (GIN)."""
    stmt = select(EventRow).where(
        EventRow.status == EventStatus.PUBLISHED, EventRow.deleted_at.is_(None)
    )
    if q:
        query = func.websearch_to_tsquery(SEARCH_CONFIG, q)
        stmt = stmt.where(EventRow.search.op("@@")(query))
    if location:
        stmt = stmt.where(EventRow.location.ilike(f"%{_escape_like(location)}%", escape="\\"))
    if starts_from is not None:
        stmt = stmt.where(EventRow.starts_at >= starts_from)
    if starts_to is not None:
        stmt = stmt.where(EventRow.starts_at <= starts_to)
    if organizer_id is not None:
        stmt = stmt.where(EventRow.organizer_id == organizer_id)
    if sort == "-starts_at":
        return stmt.order_by(EventRow.starts_at.desc(), EventRow.id)
    if sort == "price":
        lowest = (
            select(func.min(TicketTierRow.price))
            .where(TicketTierRow.event_id == EventRow.id)
            .scalar_subquery()
        )
        return stmt.order_by(lowest.asc().nulls_last(), EventRow.starts_at, EventRow.id)
    return stmt.order_by(EventRow.starts_at, EventRow.id)


def events_of(organizer_id: uuid.UUID) -> Select[Any]:
    return (
        select(EventRow)
        .where(EventRow.organizer_id == organizer_id, EventRow.deleted_at.is_(None))
        .order_by(EventRow.created_at.desc(), EventRow.id)
    )


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_seats(session: AsyncSession, event_id: uuid.UUID) -> list[SeatRow]:
    rows = await session.scalars(
        select(SeatRow).where(SeatRow.event_id == event_id).order_by(SeatRow.position)
    )
    return list(rows)


async def list_tier_seats(
    session: AsyncSession, event_id: uuid.UUID, tier: str
) -> list[tuple[str, str, str, int]]:
    """``(seat_id, section, row, number)`` of one tier, in layout order."""
    rows = await session.execute(
        select(SeatRow.seat_id, SeatRow.section, SeatRow.row, SeatRow.number)
        .where(SeatRow.event_id == event_id, SeatRow.tier_code == tier)
        .order_by(SeatRow.position)
    )
    return [(s, sec, r, int(n)) for s, sec, r, n in rows]


async def get_seats(
    session: AsyncSession, event_id: uuid.UUID, seat_ids: Sequence[str]
) -> list[SeatRow]:
    rows = await session.scalars(
        select(SeatRow).where(SeatRow.event_id == event_id, SeatRow.seat_id.in_(seat_ids))
    )
    return list(rows)


async def count_seats_by_tier(
    session: AsyncSession, event_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], int]:
    if not event_ids:
        return {}
    rows = await session.execute(
        select(SeatRow.event_id, SeatRow.tier_code, func.count())
        .where(SeatRow.event_id.in_(event_ids))
        .group_by(SeatRow.event_id, SeatRow.tier_code)
    )
    return {(e, t): int(n) for e, t, n in rows}


_FACTS = text(
    """
    SELECT e.status, e.organizer_id, e.title, e.location, e.starts_at,
           e.currency, e.sales_start_at, e.sales_end_at, e.ends_at,
           e.max_tickets_per_order, e.max_tickets_per_buyer, e.updated_at,
           e.verified_email_required, e.max_live_holds_per_address, e.rehold_cooldown_seconds,
           e.waiting_room,
           (SELECT coalesce(json_agg(json_build_array(t.code, t.price, t.capacity)
                                     ORDER BY t.position), '[]')
              FROM ticket_tier t WHERE t.event_id = e.id) AS tiers
      FROM event e WHERE e.id = :event_id AND e.deleted_at IS NULL
    """
)


async def get_facts(session: AsyncSession, event_id: uuid.UUID) -> dict[str, Any] | None:
    """What a hold (and booking's claim of it) needs to know of a live event (tiers as
    ``[code, price, capacity]``), in one statement; None if there is no such event (or it was
    deleted)."""
    row = (await session.execute(_FACTS, {"event_id": event_id})).mappings().first()
    return dict(row) if row is not None else None


_LAYOUT = text(
    'SELECT seat_id, section, "row", number, tier_code FROM seat '
    "WHERE event_id = :event_id ORDER BY position"
)


async def layout_chunks(
    session: AsyncSession, event_id: uuid.UUID, *, size: int
) -> AsyncIterator[Sequence[tuple[str, str, str, int, str]]]:
    """``(seat_id, section, row, number, tier)`` of every seat, in layout order, ``size`` at a
    time (a server-side cursor: a 50,000-seat event never has all its rows in memory at once)."""
    result = await session.stream(
        _LAYOUT, {"event_id": event_id}, execution_options={"yield_per": size}
    )
    async for rows in result.partitions(size):
        yield cast(Sequence[tuple[str, str, str, int, str]], rows)
