"""Use cases of events: create, change, publish, cancel, delete; the organizer's own listing.

Every change takes the exclusive inventory lock and, before changing anything, fences the
event's facts (``service/facts_cache.py``): no hold made from then on acts on the old ones, and no
hold made before is missed by the checks that follow (they run after the fence)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from event_service import domain, repository
from event_service.context import Context
from event_service.domain import EventStatus, InventoryBusy
from event_service.holds import MirrorMissing
from event_service.orm import EventRow, TicketTierRow
from event_service.schemas import (
    EventCreate,
    EventRead,
    EventSummary,
    EventUpdate,
    HoldRules,
    TierCreate,
    WaitingRoom,
)
from event_service.service import catalog
from event_service.service.access import managed_event
from event_service.service.mirror import rebuild_mirror_locked
from event_service.service.tx import transaction
from shared.contracts.event import (
    EventCancelledV1,
    EventCreatedV1,
    EventDeletedV1,
    EventPublishedV1,
)
from shared.errors import InvalidState, NotFound
from shared.logging import get_logger
from shared.messaging import outbox
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal

log = get_logger(__name__)

_LAYOUT_FIELDS = {"tiers", "seating"}
_TIMES = ("starts_at", "ends_at", "sales_start_at", "sales_end_at")


def _rule_columns(rules: HoldRules) -> dict[str, Any]:
    return {
        "verified_email_required": rules.verified_email_required,
        "max_live_holds_per_address": rules.max_live_holds_per_address,
        "rehold_cooldown_seconds": rules.rehold_cooldown_seconds,
    }


def _tier_rows(event_id: uuid.UUID, tiers: list[TierCreate]) -> list[TicketTierRow]:
    return [
        TicketTierRow(
            event_id=event_id,
            code=t.code,
            name=t.name,
            price=t.price,
            capacity=t.capacity,
            position=i,
        )
        for i, t in enumerate(tiers)
    ]


async def _detail_of(session: AsyncSession, ctx: Context, event: EventRow) -> EventRead:
    static = (await catalog.statics_from_db(session, [event]))[event.id]
    counts = await catalog.live_counts(ctx, [static])
    return catalog.event_read(static, counts[event.id])


async def create_event(
    session: AsyncSession, ctx: Context, *, user: Principal, data: EventCreate
) -> EventRead:
    """Create a draft event with its tiers and seat map."""
    now = ctx.clock.now()
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
        now=now,
        moved=("starts_at",),
    )
    room = data.waiting_room.applied_to(WaitingRoom()) if data.waiting_room else WaitingRoom()
    # verified email is required by default behind a waiting room (bots' throw-away accounts)
    default_rules = HoldRules(verified_email_required=room.enabled)
    rules = data.hold_rules.applied_to(default_rules) if data.hold_rules else default_rules
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
        **_rule_columns(rules),
        waiting_room=room.model_dump(),
    )
    async with transaction(session):
        await repository.add_event(session, event, _tier_rows(event.id, data.tiers))
        await repository.add_seats(session, event.id, seats)
        await outbox.add(
            session,
            EventCreatedV1(
                event_id=event.id, organizer_id=user.id, actor_id=user.id, title=event.title
            ),
        )
    await ctx.cache.invalidate()
    log.info("event_created", event_id=str(event.id), seats=len(seats))
    return await _detail_of(session, ctx, event)


async def _held_or_sold(session: AsyncSession, ctx: Context, event: EventRow) -> int:
    """Places held or sold now; the caller holds the exclusive inventory lock (so it stays so)."""
    sold = await repository.count_sold(session, event.id)
    static = (await catalog.statics_from_db(session, [event]))[event.id]
    try:
        counts = await ctx.sold.snapshot(event.id, static.reserved, static.general)
    except MirrorMissing:
        await rebuild_mirror_locked(session, ctx.sold, event.id)
        counts = await ctx.sold.snapshot(event.id, static.reserved, static.general)
    return sold + sum(c.held for c in counts.values())


async def _fenced(
    session: AsyncSession, ctx: Context, event_id: uuid.UUID, user: Principal
) -> EventRow:
    """The start of every change: the exclusive inventory lock, the event (which ``user`` must
    manage), then its facts fenced — before anything is checked or changed."""
    await repository.lock_inventory(session, event_id, exclusive=True)
    event = await managed_event(session, event_id, user)
    await ctx.facts.fence(event_id)
    return event


async def update_event(
    session: AsyncSession, ctx: Context, *, user: Principal, event_id: uuid.UUID, data: EventUpdate
) -> EventRead:
    """Change an event; tiers and seats only while nothing is held or sold (else 409)."""
    given = data.model_dump(exclude_unset=True)
    layout = _LAYOUT_FIELDS & given.keys()
    async with transaction(session):
        event = await _fenced(session, ctx, event_id, user)
        if not domain.can_edit(event.status):
            raise InvalidState(f"A {event.status} event cannot be changed.")
        values = _new_values(event, data, given)
        merged = {name: values.get(name, getattr(event, name)) for name in _TIMES}
        # a time the PATCH changes must lie ahead (an event is never moved into the past)
        moved = [n for n in ("starts_at", "ends_at") if merged[n] != getattr(event, n)]
        checks: dict[str, Any] = {"now": ctx.clock.now(), "moved": moved}
        if layout:
            if await _held_or_sold(session, ctx, event):
                raise InventoryBusy()
            await _replace_layout(session, event, data, merged | checks)
        else:
            domain.check_times(**merged, **checks)
        updated = await repository.set_fields(session, event_id, values)
        if updated is None:
            raise NotFound("No such event.")
        event = updated
    if layout:
        await ctx.sold.forget(event_id)
    await ctx.cache.invalidate()
    log.info("event_updated", event_id=str(event_id), fields=sorted(given))
    return await _detail_of(session, ctx, event)


def _new_values(event: EventRow, data: EventUpdate, given: dict[str, Any]) -> dict[str, Any]:
    """The columns a PATCH sets (hold rules merged into the event's current ones)."""
    values = {
        k: v for k, v in given.items() if k not in _LAYOUT_FIELDS | {"hold_rules", "waiting_room"}
    }
    if data.hold_rules is not None:
        values |= _rule_columns(data.hold_rules.applied_to(catalog.hold_rules_of(event)))
    if data.waiting_room is not None:
        before = catalog.waiting_room_of(event)
        room = data.waiting_room.applied_to(before)
        values["waiting_room"] = room.model_dump()
        told = data.hold_rules is not None and (
            "verified_email_required" in data.hold_rules.model_fields_set
        )
        if room.enabled and not before.enabled and not told:
            values["verified_email_required"] = True  # the default behind a waiting room
    return values


async def _replace_layout(
    session: AsyncSession, event: EventRow, data: EventUpdate, times: dict[str, Any]
) -> None:
    if data.tiers is not None:
        tiers = [domain.TierSpec(t.code, t.name, t.price, t.capacity) for t in data.tiers]
        tier_rows = _tier_rows(event.id, data.tiers)
    else:
        current = await repository.list_tiers(session, event.id)
        tiers = [domain.TierSpec(t.code, t.name, t.price, t.capacity) for t in current]
        tier_rows = [
            TicketTierRow(
                event_id=t.event_id,
                code=t.code,
                name=t.name,
                price=t.price,
                capacity=t.capacity,
                position=t.position,
            )
            for t in current
        ]
    if data.seating is not None:
        seating = [
            domain.SectionSpec(s.section, s.tier, s.rows, s.seats_per_row) for s in data.seating
        ]
    else:
        existing = await repository.list_seats(session, event.id)
        seating = domain.sections_of(
            [domain.SeatSpec(s.seat_id, s.section, s.row, s.number, s.tier_code) for s in existing]
        )
    seats = domain.plan_event(tiers=tiers, seating=seating, **times)
    await repository.delete_layout(session, event.id)
    session.expunge_all()
    await repository.add_tiers(session, tier_rows)
    await repository.add_seats(session, event.id, seats)


async def publish_event(
    session: AsyncSession, ctx: Context, *, user: Principal, event_id: uuid.UUID
) -> EventRead:
    """draft → published, announced with event.published."""
    async with transaction(session):
        event = await _fenced(session, ctx, event_id, user)
        published = await repository.set_status(
            session, event_id, to=EventStatus.PUBLISHED, allowed_from=[EventStatus.DRAFT]
        )
        if published is None:
            raise InvalidState(f"Only a draft can be published; this event is {event.status}.")
        await outbox.add(
            session,
            EventPublishedV1(
                event_id=published.id,
                organizer_id=published.organizer_id,
                title=published.title,
                starts_at=published.starts_at,
                currency=published.currency,
                actor_id=user.id,
            ),
        )
    await ctx.cache.invalidate()
    log.info("event_published", event_id=str(event_id))
    return await _detail_of(session, ctx, published)


async def cancel_event(
    session: AsyncSession, ctx: Context, *, user: Principal, event_id: uuid.UUID, reason: str | None
) -> EventRead:
    """→ cancelled (announced with event.cancelled: booking cancels and refunds every booking);
    live holds end at once."""
    async with transaction(session):
        event = await _fenced(session, ctx, event_id, user)
        cancelled = await repository.set_status(
            session,
            event_id,
            to=EventStatus.CANCELLED,
            allowed_from=[EventStatus.DRAFT, EventStatus.PUBLISHED],
        )
        if cancelled is None:
            raise InvalidState(f"This event is already {event.status}.")
        await outbox.add(
            session,
            EventCancelledV1(
                event_id=cancelled.id,
                organizer_id=cancelled.organizer_id,
                title=cancelled.title,
                reason=reason,
                actor_id=user.id,
            ),
        )
        tiers = await repository.list_tiers(session, event_id)
    # after the commit: no hold can start any more (holds check the status under the lock)
    released = await ctx.holds.release_all(event_id, [t.code for t in tiers if t.capacity is None])
    await ctx.cache.invalidate()
    log.info("event_cancelled", event_id=str(event_id), holds_released=released)
    return await _detail_of(session, ctx, cancelled)


async def delete_event(
    session: AsyncSession, ctx: Context, *, user: Principal, event_id: uuid.UUID
) -> None:
    """Soft delete; refused (409) once anything was sold — or while anything is held, since a
    held place may be a booking waiting for its payment (cancel the event instead)."""
    async with transaction(session):
        event = await _fenced(session, ctx, event_id, user)
        if await repository.count_sold(session, event_id):
            raise InvalidState("Tickets of this event were sold; cancel it instead.")
        if await _held_or_sold(session, ctx, event):
            raise InvalidState("Tickets of this event are held right now; cancel it instead.")
        await repository.soft_delete(session, event_id)
        await outbox.add(
            session,
            EventDeletedV1(
                event_id=event.id,
                organizer_id=event.organizer_id,
                actor_id=user.id,
                title=event.title,
            ),
        )
    await ctx.sold.forget(event_id)
    await ctx.cache.invalidate()
    log.info("event_deleted", event_id=str(event_id))


async def _summaries(
    session: AsyncSession, ctx: Context, ids: list[uuid.UUID], params: PageParams, total: int
) -> Page[EventSummary]:
    statics = await catalog.load_statics(session, ctx.cache, ids)
    present = [statics[i] for i in ids if i in statics]
    counts = await catalog.live_counts(ctx, present)
    return Page(
        items=[catalog.summary(s, counts[s.id]) for s in present],
        page=params.page,
        page_size=params.page_size,
        total=total,
    )


async def list_my_events(
    session: AsyncSession, ctx: Context, *, user: Principal, params: PageParams
) -> Page[EventSummary]:
    """The caller's events, any status (not cached: organizers want to see their writes)."""
    events, total = await paginate(session, repository.events_of(user.id), params)
    return await _summaries(session, ctx, [e.id for e in events], params, total)
