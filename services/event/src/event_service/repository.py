"""Queries of the event database: get_ / list_ / add_ / lock_ functions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_service.domain import EventStatus, SeatSpec
from event_service.orm import EventRow, GaSaleRow, SeatRow, SoldSeatRow, TicketTierRow


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> EventRow | None:
    return await session.scalar(
        select(EventRow).where(EventRow.id == event_id, EventRow.deleted_at.is_(None))
    )


async def list_tiers(session: AsyncSession, event_id: uuid.UUID) -> list[TicketTierRow]:
    rows = await session.scalars(
        select(TicketTierRow)
        .where(TicketTierRow.event_id == event_id)
        .order_by(TicketTierRow.position)
    )
    return list(rows)


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
    session.add_all(tiers)
    await session.flush()


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


async def publish_event(session: AsyncSession, event_id: uuid.UUID) -> EventRow | None:
    """draft → published (guarded); None when the event was not a draft."""
    return await session.scalar(
        update(EventRow)
        .where(
            EventRow.id == event_id,
            EventRow.status == EventStatus.DRAFT,
            EventRow.deleted_at.is_(None),
        )
        .values(status=EventStatus.PUBLISHED, updated_at=func.now())
        .returning(EventRow)
        .execution_options(synchronize_session=False)
    )


def published_events(
    *,
    q: str | None,
    location: str | None,
    starts_from: datetime | None,
    starts_to: datetime | None,
    organizer_id: uuid.UUID | None,
    sort: str,
) -> Select[Any]:
    stmt = select(EventRow).where(
        EventRow.status == EventStatus.PUBLISHED, EventRow.deleted_at.is_(None)
    )
    if q:
        pattern = f"%{_escape_like(q)}%"
        stmt = stmt.where(
            or_(
                EventRow.title.ilike(pattern, escape="\\"),
                EventRow.description.ilike(pattern, escape="\\"),
                EventRow.location.ilike(pattern, escape="\\"),
            )
        )
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


async def get_seats(
    session: AsyncSession, event_id: uuid.UUID, seat_ids: Sequence[str]
) -> list[SeatRow]:
    rows = await session.scalars(
        select(SeatRow).where(SeatRow.event_id == event_id, SeatRow.seat_id.in_(seat_ids))
    )
    return list(rows)


async def list_sold_seat_ids(session: AsyncSession, event_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        select(SoldSeatRow.seat_id).where(SoldSeatRow.event_id == event_id)
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


async def count_sold_by_tier(
    session: AsyncSession, event_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], int]:
    """Sold places per (event, tier): reserved seats and general-admission sales."""
    if not event_ids:
        return {}
    seats = await session.execute(
        select(SeatRow.event_id, SeatRow.tier_code, func.count())
        .join(
            SoldSeatRow,
            and_(SoldSeatRow.event_id == SeatRow.event_id, SoldSeatRow.seat_id == SeatRow.seat_id),
        )
        .where(SeatRow.event_id.in_(event_ids))
        .group_by(SeatRow.event_id, SeatRow.tier_code)
    )
    sold = {(e, t): int(n) for e, t, n in seats}
    general = await session.execute(
        select(GaSaleRow.event_id, GaSaleRow.tier_code, func.sum(GaSaleRow.quantity))
        .where(GaSaleRow.event_id.in_(event_ids))
        .group_by(GaSaleRow.event_id, GaSaleRow.tier_code)
    )
    for e, t, n in general:
        sold[(e, t)] = sold.get((e, t), 0) + int(n or 0)
    return sold


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
    "INSERT INTO sold_seat (event_id, seat_id, booking_id, sold_at) "
    "SELECT :event_id, s, :booking_id, now() FROM unnest(CAST(:seat_ids AS text[])) AS s "
    "ON CONFLICT (event_id, seat_id) DO NOTHING"
)


async def add_sold_seats(
    session: AsyncSession, event_id: uuid.UUID, booking_id: uuid.UUID, seat_ids: Sequence[str]
) -> dict[str, uuid.UUID]:
    """Record the seats as sold to the booking; returns the seats held by ANOTHER booking."""
    await session.execute(
        _ADD_SOLD_SEATS,
        {"event_id": event_id, "booking_id": booking_id, "seat_ids": list(seat_ids)},
    )
    rows = await session.execute(
        select(SoldSeatRow.seat_id, SoldSeatRow.booking_id).where(
            SoldSeatRow.event_id == event_id,
            SoldSeatRow.seat_id.in_(seat_ids),
            SoldSeatRow.booking_id != booking_id,
        )
    )
    return dict(rows.all())


_ADD_GA_SALE = text(
    "INSERT INTO ga_sale (booking_id, tier_code, event_id, quantity, sold_at) "
    "VALUES (:booking_id, :tier, :event_id, :quantity, now()) "
    "ON CONFLICT (booking_id, tier_code) DO NOTHING RETURNING booking_id"
)


async def add_general_sale(
    session: AsyncSession, event_id: uuid.UUID, booking_id: uuid.UUID, tier: str, quantity: int
) -> bool:
    result = await session.execute(
        _ADD_GA_SALE,
        {"booking_id": booking_id, "tier": tier, "event_id": event_id, "quantity": quantity},
    )
    return result.first() is not None


_DELETE_SOLD_SEATS = text(
    "DELETE FROM sold_seat WHERE event_id = :event_id AND booking_id = :booking_id "
    "RETURNING seat_id"
)
_DELETE_GA_SALES = text(
    "DELETE FROM ga_sale WHERE event_id = :event_id AND booking_id = :booking_id "
    "RETURNING tier_code, quantity"
)


async def delete_sales_of(
    session: AsyncSession, event_id: uuid.UUID, booking_id: uuid.UUID
) -> tuple[list[str], list[tuple[str, int]]]:
    """Undo a booking's sales: (seat ids, [(tier, quantity)]) that it had bought."""
    params = {"event_id": event_id, "booking_id": booking_id}
    seats = list((await session.execute(_DELETE_SOLD_SEATS, params)).scalars())
    general = [(t, int(q)) for t, q in (await session.execute(_DELETE_GA_SALES, params))]
    return seats, general


async def list_sweepable_events(session: AsyncSession) -> list[tuple[uuid.UUID, set[str]]]:
    """Events whose holds may need sweeping, with their general-admission tier codes."""
    rows = await session.execute(
        select(
            EventRow.id,
            func.array_agg(TicketTierRow.code).filter(TicketTierRow.capacity.is_not(None)),
        )
        .outerjoin(TicketTierRow, TicketTierRow.event_id == EventRow.id)
        .where(EventRow.status == EventStatus.PUBLISHED, EventRow.deleted_at.is_(None))
        .group_by(EventRow.id)
    )
    return [(e, {c for c in (codes or []) if c}) for e, codes in rows]
