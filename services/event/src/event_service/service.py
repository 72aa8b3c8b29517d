"""Use cases of the event service: one use case = one transaction; messages via the outbox."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from event_service import domain, repository
from event_service.domain import (
    EventStatus,
    HoldExpired,
    OversellDetected,
    SalesClosed,
    SeatStatus,
    ValidationFailed,
)
from event_service.holds import ClaimRefused, Hold, HoldStore, Place
from event_service.orm import EventRow, TicketTierRow
from event_service.schemas import (
    ClaimedEvent,
    EventCreate,
    EventRead,
    EventSummary,
    HeldSeat,
    HoldClaimed,
    HoldCreate,
    HoldRead,
    TierRead,
)
from event_service.settings import Settings
from shared.contracts.event import EventPublishedV1
from shared.db import utcnow
from shared.errors import Forbidden, InvalidState, NotFound
from shared.logging import get_logger
from shared.messaging import outbox
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal

log = get_logger("event_service")


# --- who may see and manage ---------------------------------------------------------------------


def _manages(event: EventRow, user: Principal | None) -> bool:
    return user is not None and (user.is_admin or user.id == event.organizer_id)


async def _visible_event(
    session: AsyncSession, event_id: uuid.UUID, user: Principal | None
) -> EventRow:
    """The event if the caller may see it: drafts only to their owner and admins (404 else)."""
    event = await repository.get_event(session, event_id)
    if event is None or (event.status == EventStatus.DRAFT and not _manages(event, user)):
        raise NotFound("No such event.")
    return event


async def _managed_event(session: AsyncSession, event_id: uuid.UUID, user: Principal) -> EventRow:
    event = await _visible_event(session, event_id, user)
    if not _manages(event, user):
        raise Forbidden("Only the event's organizer or an admin may do this.")
    return event


# --- availability ---------------------------------------------------------------------------------


async def _tiers_with_availability(
    session: AsyncSession, holds: HoldStore, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[TierRead]]:
    """Per event and tier: capacity, sold (PostgreSQL), held (Redis) and what is left."""
    tiers = await repository.list_tiers_of(session, event_ids)
    seats = await repository.count_seats_by_tier(session, event_ids)
    sold = await repository.count_sold_by_tier(session, event_ids)
    held_reserved = await holds.held_by_tier(event_ids)
    general = [(e, t.code) for e in event_ids for t in tiers[e] if t.capacity is not None]
    counters = await holds.counters(general)
    result: dict[uuid.UUID, list[TierRead]] = {}
    for event_id in event_ids:
        reads = []
        for tier in tiers[event_id]:
            key = (event_id, tier.code)
            tier_sold = sold.get(key, 0)
            if tier.capacity is not None:
                capacity = tier.capacity
                held = domain.held_from_counter(
                    capacity=capacity, sold=tier_sold, counter=counters.get(key)
                )
            else:
                capacity = seats.get(key, 0)
                held = held_reserved[event_id].get(tier.code, 0)
            reads.append(
                TierRead(
                    code=tier.code,
                    name=tier.name,
                    price=tier.price,
                    general_admission=tier.capacity is not None,
                    capacity=capacity,
                    held=held,
                    sold=tier_sold,
                    available=domain.available(capacity=capacity, held=held, sold=tier_sold),
                )
            )
        result[event_id] = reads
    return result


def _event_read(event: EventRow, tiers: list[TierRead]) -> EventRead:
    return EventRead(
        id=event.id,
        organizer_id=event.organizer_id,
        title=event.title,
        description=event.description,
        location=event.location,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        currency=event.currency,
        sales_start_at=event.sales_start_at,
        sales_end_at=event.sales_end_at,
        max_tickets_per_order=event.max_tickets_per_order,
        max_tickets_per_buyer=event.max_tickets_per_buyer,
        status=event.status,
        created_at=event.created_at,
        updated_at=event.updated_at,
        capacity=sum(t.capacity for t in tiers),
        available=sum(t.available for t in tiers),
        tiers=tiers,
    )


def _summary(event: EventRow, tiers: list[TierRead]) -> EventSummary:
    return EventSummary(
        id=event.id,
        organizer_id=event.organizer_id,
        title=event.title,
        location=event.location,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        currency=event.currency,
        status=event.status,
        min_price=min((t.price for t in tiers), default=None),
        capacity=sum(t.capacity for t in tiers),
        available=sum(t.available for t in tiers),
    )


async def _detail(session: AsyncSession, holds: HoldStore, event: EventRow) -> EventRead:
    tiers = await _tiers_with_availability(session, holds, [event.id])
    return _event_read(event, tiers[event.id])


async def _page(
    session: AsyncSession, holds: HoldStore, stmt: Any, params: PageParams
) -> Page[EventSummary]:
    events, total = await paginate(session, stmt, params)
    tiers = await _tiers_with_availability(session, holds, [e.id for e in events])
    return Page(
        items=[_summary(e, tiers[e.id]) for e in events],
        page=params.page,
        page_size=params.page_size,
        total=total,
    )


# --- events -------------------------------------------------------------------------------------


async def create_event(
    session: AsyncSession, holds: HoldStore, *, user: Principal, data: EventCreate
) -> EventRead:
    """Create a draft event with its tiers and seat map."""
    now = utcnow()
    sales_start_at = data.sales_start_at or now
    seats = domain.plan_event(
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        sales_start_at=sales_start_at,
        sales_end_at=data.sales_end_at,
        tiers=[domain.TierSpec(t.code, t.name, t.price, t.capacity) for t in data.tiers],
        seating=[
            domain.SectionSpec(s.section, s.tier, s.rows, s.seats_per_row) for s in data.seating
        ],
    )
    event = EventRow(
        id=uuid.uuid4(),
        organizer_id=user.id,
        title=data.title,
        description=data.description,
        location=data.location,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        currency=data.currency,
        sales_start_at=sales_start_at,
        sales_end_at=data.sales_end_at,
        max_tickets_per_order=data.max_tickets_per_order,
        max_tickets_per_buyer=data.max_tickets_per_buyer,
        status=EventStatus.DRAFT,
        created_at=now,
        updated_at=now,
    )
    tiers = [
        TicketTierRow(
            event_id=event.id,
            code=t.code,
            name=t.name,
            price=t.price,
            capacity=t.capacity,
            position=i,
        )
        for i, t in enumerate(data.tiers)
    ]
    async with session.begin():
        await repository.add_event(session, event, tiers)
        await repository.add_seats(session, event.id, seats)
    log.info("event_created", event_id=str(event.id), seats=len(seats))
    return await _detail(session, holds, event)


async def publish_event(
    session: AsyncSession,
    holds: HoldStore,
    *,
    user: Principal,
    event_id: uuid.UUID,
    settings: Settings,
) -> EventRead:
    """draft → published, announced with event.published."""
    async with session.begin():
        event = await _managed_event(session, event_id, user)
        if await repository.publish_event(session, event_id) is None:
            raise InvalidState(f"Only a draft can be published; this event is {event.status}.")
        await session.refresh(event)
        await outbox.add(
            session,
            EventPublishedV1(
                event_id=event.id,
                organizer_id=event.organizer_id,
                title=event.title,
                starts_at=event.starts_at,
                currency=event.currency,
            ),
            producer=settings.SERVICE_NAME,
        )
    log.info("event_published", event_id=str(event_id))
    return await _detail(session, holds, event)


async def get_event(
    session: AsyncSession, holds: HoldStore, *, user: Principal | None, event_id: uuid.UUID
) -> EventRead:
    event = await _visible_event(session, event_id, user)
    return await _detail(session, holds, event)


async def list_events(
    session: AsyncSession,
    holds: HoldStore,
    *,
    params: PageParams,
    q: str | None,
    location: str | None,
    starts_from: datetime | None,
    starts_to: datetime | None,
    organizer_id: uuid.UUID | None,
    sort: str,
) -> Page[EventSummary]:
    """Published events, with what is left of each."""
    stmt = repository.published_events(
        q=q,
        location=location,
        starts_from=starts_from,
        starts_to=starts_to,
        organizer_id=organizer_id,
        sort=sort,
    )
    return await _page(session, holds, stmt, params)


async def list_my_events(
    session: AsyncSession, holds: HoldStore, *, user: Principal, params: PageParams
) -> Page[EventSummary]:
    return await _page(session, holds, repository.events_of(user.id), params)


@dataclass(frozen=True, slots=True)
class SeatMap:
    etag: str
    seats: list[dict[str, Any]]


async def seat_map(
    session: AsyncSession, holds: HoldStore, *, user: Principal | None, event_id: uuid.UUID
) -> SeatMap:
    """Every seat with its tier, price and status (sold from PostgreSQL, held from Redis)."""
    event = await _visible_event(session, event_id, user)
    prices = {t.code: t.price for t in await repository.list_tiers(session, event_id)}
    seats = await repository.list_seats(session, event_id)
    sold = set(await repository.list_sold_seat_ids(session, event_id))
    held = await holds.held_seats(event_id, [s.seat_id for s in seats if s.seat_id not in sold])
    items = []
    for seat in seats:
        if seat.seat_id in sold:
            status = SeatStatus.SOLD
        elif seat.seat_id in held:
            status = SeatStatus.HELD
        else:
            status = SeatStatus.AVAILABLE
        items.append(
            {
                "seat_id": seat.seat_id,
                "section": seat.section,
                "row": seat.row,
                "number": seat.number,
                "tier": seat.tier_code,
                "price": prices[seat.tier_code],
                "status": status.value,
            }
        )
    etag = domain.seat_map_etag((i["status"] for i in items), version=event.updated_at.isoformat())
    return SeatMap(etag=etag, seats=items)


# --- holds --------------------------------------------------------------------------------------


def _hold_read(hold: Hold) -> HoldRead:
    return HoldRead(
        hold_id=hold.hold_id,
        event_id=hold.event_id,
        seats=[HeldSeat(seat_id=p.seat_id, tier=p.tier, price=p.price) for p in hold.places],
        tier=hold.tier,
        quantity=hold.quantity,
        amount=hold.amount,
        currency=hold.currency,
        created_at=hold.created_at,
        expires_at=hold.expires_at,
    )


async def create_hold(
    session: AsyncSession,
    holds: HoldStore,
    *,
    user: Principal,
    event_id: uuid.UUID,
    data: HoldCreate,
) -> HoldRead:
    """Hold the asked seats (or general-admission places) all or nothing, for a while."""
    event = await _visible_event(session, event_id, user)
    if not domain.sales_open(
        status=event.status,
        deleted=event.deleted_at is not None,
        sales_start_at=event.sales_start_at,
        sales_end_at=event.sales_end_at,
        ends_at=event.ends_at,
        now=utcnow(),
    ):
        raise SalesClosed()
    domain.check_order_size(
        len(data.seat_ids) if data.seat_ids is not None else (data.quantity or 0),
        max_per_order=event.max_tickets_per_order,
    )
    tiers = {t.code: t for t in await repository.list_tiers(session, event_id)}

    async def sold_now() -> list[str]:
        return await repository.list_sold_seat_ids(session, event_id)

    if data.seat_ids is not None:
        found = {s.seat_id: s for s in await repository.get_seats(session, event_id, data.seat_ids)}
        unknown = [s for s in data.seat_ids if s not in found]
        if unknown:
            raise ValidationFailed([("seat_ids", f"no such seats: {', '.join(unknown)}")])
        places = [
            Place(s, found[s].tier_code, tiers[found[s].tier_code].price) for s in data.seat_ids
        ]
        hold = await holds.hold_seats(
            event_id=event_id,
            user_id=user.id,
            places=places,
            currency=event.currency,
            sold_now=sold_now,
        )
    else:
        assert data.tier is not None and data.quantity is not None
        tier = tiers.get(data.tier)
        if tier is None or tier.capacity is None:
            raise ValidationFailed([("tier", f"no general-admission tier {data.tier!r}")])
        capacity = tier.capacity

        async def unsold_now() -> int:
            return capacity - await repository.count_general_sold(session, event_id, tier.code)

        hold = await holds.hold_general(
            event_id=event_id,
            user_id=user.id,
            tier=tier.code,
            price=tier.price,
            quantity=data.quantity,
            currency=event.currency,
            unsold_now=unsold_now,
        )
    log.info("hold_created", event_id=str(event_id), hold_id=hold.hold_id, places=hold.quantity)
    return _hold_read(hold)


async def _own_hold(
    holds: HoldStore, *, user: Principal, event_id: uuid.UUID, hold_id: str
) -> Hold:
    hold = await holds.get(event_id, hold_id)
    if hold is None or hold.user_id != user.id:
        raise NotFound("No such hold (it may have expired).")
    return hold


async def get_hold(
    holds: HoldStore, *, user: Principal, event_id: uuid.UUID, hold_id: str
) -> HoldRead:
    return _hold_read(await _own_hold(holds, user=user, event_id=event_id, hold_id=hold_id))


async def release_hold(
    holds: HoldStore, *, user: Principal, event_id: uuid.UUID, hold_id: str
) -> None:
    """The owner lets go of a hold; its places are free at once."""
    hold = await _own_hold(holds, user=user, event_id=event_id, hold_id=hold_id)
    try:
        released = await holds.release(hold, owner=user.id)
    except ClaimRefused as exc:
        raise NotFound("No such hold (it may have expired).") from exc
    if not released:
        raise NotFound("No such hold (it may have expired).")
    log.info("hold_released", event_id=str(event_id), hold_id=hold_id)


async def claim_hold(
    session: AsyncSession,
    holds: HoldStore,
    *,
    hold_id: str,
    user_id: uuid.UUID,
    extend_seconds: int,
) -> HoldClaimed:
    """Booking takes the hold over: extended once (never past its hard cap); idempotent."""
    event_id = await holds.find_event(hold_id)
    if event_id is None:
        raise HoldExpired()
    try:
        hold = await holds.claim(event_id, hold_id, user_id=user_id, extend_seconds=extend_seconds)
    except ClaimRefused as exc:
        raise Forbidden("The hold belongs to someone else.") from exc
    if hold is None:
        raise HoldExpired()
    event = await repository.get_event(session, event_id)
    if event is None:
        raise HoldExpired()
    if event.status != EventStatus.PUBLISHED:
        raise SalesClosed()
    return HoldClaimed(
        hold_id=hold.hold_id,
        event_id=event_id,
        user_id=hold.user_id,
        seats=[HeldSeat(seat_id=p.seat_id, tier=p.tier, price=p.price) for p in hold.places],
        tier=hold.tier,
        quantity=hold.quantity,
        amount=hold.amount,
        currency=hold.currency,
        expires_at=hold.expires_at,
        event=ClaimedEvent(title=event.title, starts_at=event.starts_at, location=event.location),
    )


# --- sales (from booking's messages; the runner owns the transaction) ----------------------------


async def record_sale(
    session: AsyncSession,
    holds: HoldStore,
    *,
    event_id: uuid.UUID,
    booking_id: uuid.UUID,
    hold_id: str,
    places: Sequence[Place],
) -> None:
    """A booking is confirmed: its places are sold (PostgreSQL first), its hold is done."""
    seat_ids = [p.seat_id for p in places if p.seat_id is not None]
    if seat_ids:
        clashes = await repository.add_sold_seats(session, event_id, booking_id, seat_ids)
        if clashes:
            log.critical(
                "oversell_detected",
                event_id=str(event_id),
                booking_id=str(booking_id),
                seats={s: str(b) for s, b in clashes.items()},
            )
            raise OversellDetected(f"seats {sorted(clashes)} already sold to other bookings")
    for tier_code, quantity in Counter(p.tier for p in places if p.seat_id is None).items():
        tier = await repository.lock_tier(session, event_id, tier_code)
        if tier is None or tier.capacity is None:
            raise ValueError(f"event {event_id} has no general-admission tier {tier_code!r}")
        if await repository.add_general_sale(session, event_id, booking_id, tier_code, quantity):
            sold = await repository.count_general_sold(session, event_id, tier_code)
            if sold > tier.capacity:
                log.critical(
                    "oversell_detected",
                    event_id=str(event_id),
                    booking_id=str(booking_id),
                    tier=tier_code,
                    sold=sold,
                    capacity=tier.capacity,
                )
                raise OversellDetected(f"tier {tier_code} sold {sold} of {tier.capacity}")

    async def sold_now() -> list[str]:
        return await repository.list_sold_seat_ids(session, event_id)

    await holds.mark_sold(event_id, seat_ids, sold_now=sold_now)
    await holds.consume(event_id, hold_id, places, booking_id=booking_id)
    log.info("sale_recorded", event_id=str(event_id), booking_id=str(booking_id))


async def undo_sale(
    session: AsyncSession,
    holds: HoldStore,
    *,
    event_id: uuid.UUID,
    booking_id: uuid.UUID,
    hold_id: str,
    places: Sequence[Place],
) -> None:
    """A booking ended (cancelled or expired): what it bought or held is free again."""
    seat_ids, general = await repository.delete_sales_of(session, event_id, booking_id)
    await holds.unmark_sold(event_id, seat_ids)
    for tier_code, quantity in general:
        await holds.return_general(event_id, tier_code, quantity, booking_id=booking_id)
    await holds.release_for_booking(event_id, hold_id, places)
    log.info(
        "sale_undone",
        event_id=str(event_id),
        booking_id=str(booking_id),
        seats=len(seat_ids),
        general=sum(q for _, q in general),
    )


async def sweep_holds(session: AsyncSession, holds: HoldStore) -> int:
    """Return lapsed general-admission holds to their tiers; prune lapsed entries."""
    swept = 0
    for event_id, general_tiers in await repository.list_sweepable_events(session):
        swept += await holds.sweep(event_id, general_tiers=general_tiers)
    return swept
