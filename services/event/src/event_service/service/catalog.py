"""What readers see of events: static parts (cached) with live availability laid over them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from event_service import domain, repository
from event_service.cache import EventCache
from event_service.context import Context
from event_service.holds import TierCount
from event_service.orm import EventRow, TicketTierRow
from event_service.schemas import (
    EventBase,
    EventRead,
    EventSummary,
    HoldRules,
    TierRead,
    WaitingRoom,
)
from event_service.service.mirror import rebuild_mirror


class TierStatic(BaseModel):
    code: str
    name: str
    price: int
    general_admission: bool
    capacity: int


class EventStatic(EventBase):
    """Everything about an event that only an organizer's write changes (the cached part)."""

    hold_rules: HoldRules = HoldRules()  # entries cached without the rules read as the defaults
    tiers: list[TierStatic]

    @property
    def reserved(self) -> list[str]:
        return [t.code for t in self.tiers if not t.general_admission]

    @property
    def general(self) -> list[str]:
        return [t.code for t in self.tiers if t.general_admission]


def static_of(
    event: EventRow, tiers: Sequence[TicketTierRow], seat_counts: dict[tuple[uuid.UUID, str], int]
) -> EventStatic:
    return EventStatic(
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
        hold_rules=hold_rules_of(event),
        waiting_room=waiting_room_of(event),
        tiers=[
            TierStatic(
                code=t.code,
                name=t.name,
                price=t.price,
                general_admission=t.capacity is not None,
                capacity=t.capacity
                if t.capacity is not None
                else seat_counts.get((event.id, t.code), 0),
            )
            for t in tiers
        ],
    )


def hold_rules_of(event: EventRow) -> HoldRules:
    return HoldRules(
        verified_email_required=event.verified_email_required,
        max_live_holds_per_address=event.max_live_holds_per_address,
        rehold_cooldown_seconds=event.rehold_cooldown_seconds,
    )


def waiting_room_of(event: EventRow) -> WaitingRoom:
    return WaitingRoom.model_validate(event.waiting_room or {})


async def statics_from_db(
    session: AsyncSession, events: Sequence[EventRow]
) -> dict[uuid.UUID, EventStatic]:
    ids = [e.id for e in events]
    tiers = await repository.list_tiers_of(session, ids)
    seats = await repository.count_seats_by_tier(session, ids)
    return {e.id: static_of(e, tiers[e.id], seats) for e in events}


async def load_statics(
    session: AsyncSession,
    cache: EventCache,
    event_ids: Sequence[uuid.UUID],
    version: str | None = None,
) -> dict[uuid.UUID, EventStatic]:
    """Static parts of live (not deleted) events: from the cache, else PostgreSQL (then cached)."""
    version = version if version is not None else await cache.version()
    cached = await cache.get_statics(event_ids, version)
    found = {e: EventStatic.model_validate(v) for e, v in cached.items()}
    missing = [e for e in event_ids if e not in found]
    if missing:
        loaded = await statics_from_db(session, await repository.get_events(session, missing))
        await cache.put_statics({e: s.model_dump_json() for e, s in loaded.items()}, version)
        found |= loaded
    return found


async def live_counts(
    ctx: Context, statics: Sequence[EventStatic]
) -> dict[uuid.UUID, dict[str, TierCount]]:
    """Sold and held per tier of each event, each event read in one Redis script; a missing
    sold mirror is rebuilt from PostgreSQL first."""
    wanted = [(s.id, s.reserved, s.general) for s in statics]
    result = await ctx.sold.snapshots(wanted)
    counts: dict[uuid.UUID, dict[str, TierCount]] = {}
    for static in statics:
        snapshot = result[static.id]
        if snapshot is None:
            await rebuild_mirror(ctx, static.id)
            snapshot = await ctx.sold.snapshot(static.id, static.reserved, static.general)
        counts[static.id] = snapshot
    return counts


def tier_reads(static: EventStatic, counts: dict[str, TierCount]) -> list[TierRead]:
    reads = []
    for tier in static.tiers:
        count = counts.get(tier.code, TierCount(sold=0, held=0))
        reads.append(
            TierRead(
                code=tier.code,
                name=tier.name,
                price=tier.price,
                general_admission=tier.general_admission,
                capacity=tier.capacity,
                sold=count.sold,
                held=count.held,
                available=domain.available(
                    capacity=tier.capacity, held=count.held, sold=count.sold
                ),
            )
        )
    return reads


def event_read(static: EventStatic, counts: dict[str, TierCount]) -> EventRead:
    tiers = tier_reads(static, counts)
    return EventRead(
        **static.model_dump(exclude={"tiers"}),
        capacity=sum(t.capacity for t in tiers),
        available=sum(t.available for t in tiers),
        tiers=tiers,
    )


def summary(static: EventStatic, counts: dict[str, TierCount]) -> EventSummary:
    tiers = tier_reads(static, counts)
    return EventSummary(
        id=static.id,
        organizer_id=static.organizer_id,
        title=static.title,
        location=static.location,
        starts_at=static.starts_at,
        ends_at=static.ends_at,
        currency=static.currency,
        status=static.status,
        min_price=min((t.price for t in tiers), default=None),
        capacity=sum(t.capacity for t in tiers),
        available=sum(t.available for t in tiers),
    )
