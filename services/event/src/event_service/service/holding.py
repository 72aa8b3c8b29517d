"""Use cases of holds: take (seats, general admission, best available), read, release, the
internal claim and the re-take of a late-paid booking."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from event_service import domain, repository, seating
from event_service.domain import (
    BuyerLimitExceeded,
    EventStatus,
    HoldExpired,
    SalesClosed,
    SeatsUnavailable,
    TierSoldOut,
    ValidationFailed,
)
from event_service.holds import (
    BuyerLimit,
    ClaimRefused,
    FactsStale,
    GeneralSoldOut,
    Hold,
    Limits,
    MirrorMissing,
    NoGroupFree,
    OrderLimit,
    Place,
)
from event_service.orm import EventRow, TicketTierRow
from event_service.schemas import (
    ClaimedEvent,
    HeldSeat,
    HoldClaimed,
    HoldCreate,
    HoldRead,
    HoldRetake,
)
from event_service.service.access import may_see
from event_service.service.context import Ctx
from event_service.service.facts import Facts, Layout
from event_service.service.tx import rebuild_mirror, transaction
from shared.db import utcnow
from shared.errors import DomainError, Forbidden, NotFound
from shared.logging import get_logger
from shared.security import Principal

log = get_logger("event_service")

_ATTEMPTS = 4  # facts changed, mirror rebuilt, or best-available candidates taken meanwhile


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


def _claimed(hold: Hold, event: EventRow) -> HoldClaimed:
    return HoldClaimed(
        hold_id=hold.hold_id,
        event_id=hold.event_id,
        user_id=hold.user_id,
        seats=[HeldSeat(seat_id=p.seat_id, tier=p.tier, price=p.price) for p in hold.places],
        tier=hold.tier,
        quantity=hold.quantity,
        amount=hold.amount,
        currency=hold.currency,
        expires_at=hold.expires_at,
        event=ClaimedEvent(
            title=event.title,
            starts_at=event.starts_at,
            location=event.location,
            organizer_id=event.organizer_id,
        ),
    )


async def _with_mirror(
    session: AsyncSession, ctx: Ctx, event_id: uuid.UUID, attempt: Callable[[], Awaitable[Hold]]
) -> Hold:
    """Run ``attempt`` (its own transaction, shared inventory lock); when Redis lost the sold
    mirror, rebuild it from PostgreSQL and try again."""
    for _ in range(_ATTEMPTS):
        try:
            return await attempt()
        except MirrorMissing:
            await rebuild_mirror(session, ctx.holds, event_id)
    raise RuntimeError("the sold mirror of the event vanished again and again")


class _Retry(Exception):
    """Every best-available candidate was taken between reading and holding."""

    def __init__(self, tier: str, quantity: int) -> None:
        super().__init__(tier)
        self.tier, self.quantity = tier, quantity


async def create_hold(
    ctx: Ctx, *, user: Principal, event_id: uuid.UUID, data: HoldCreate
) -> HoldRead:
    """Hold the asked seats, general-admission places or best available seats — all or nothing,
    within the order and buyer limits (checked in the same Redis script).

    No PostgreSQL on this path: the request is checked against the event's facts in memory and
    the one hold script refuses unless they are current (``service/facts.py``). Outdated facts,
    a lost sold mirror or a lost best-available race: read again and retry."""
    lost: _Retry | None = None
    for _ in range(_ATTEMPTS):
        facts = await ctx.facts.get(event_id)
        try:
            wanted = _check(facts, user, data)
            assert facts is not None
            layout = await ctx.facts.layout(facts) if data.seat_ids is not None else None
            places = _places(facts, layout, data) if layout is not None else None
        except DomainError:
            if await ctx.facts.confirm(facts):
                raise
            continue  # decided on outdated facts: read them again
        try:
            hold = await _take(ctx, facts, user.id, data, places)
        except FactsStale:
            ctx.facts.forget(event_id)
            continue
        except MirrorMissing:
            await ctx.rebuild_mirror(event_id)
            continue
        except _Retry as exc:
            lost = exc
            continue
        except BuyerLimit as exc:
            raise BuyerLimitExceeded(
                limit=facts.max_per_buyer, current=exc.current, requested=wanted
            ) from exc
        except OrderLimit as exc:
            raise domain.order_limit_exceeded(exc.limit, wanted) from exc
        log.info("hold_created", event_id=str(event_id), hold_id=hold.hold_id, places=hold.quantity)
        return _hold_read(hold)
    if lost is not None:
        raise TierSoldOut(lost.tier, lost.quantity) from lost
    raise RuntimeError("the event's facts or sold mirror changed again and again")


def _check(facts: Facts | None, user: Principal, data: HoldCreate) -> int:
    """The rules decided by the facts alone; returns the number of places wanted."""
    if facts is None or not may_see(facts.status, facts.organizer_id, user):
        raise NotFound("No such event.")
    if not domain.sales_open(
        status=facts.status,
        deleted=False,
        sales_start_at=facts.sales_start_at,
        sales_end_at=facts.sales_end_at,
        ends_at=facts.ends_at,
        now=utcnow(),
    ):
        raise SalesClosed()
    wanted = len(data.seat_ids) if data.seat_ids is not None else (data.quantity or 0)
    domain.check_order_size(wanted, max_per_order=facts.max_per_order)
    if data.seat_ids is not None:
        return wanted
    assert data.tier is not None
    tier = facts.tiers.get(data.tier)
    if tier is None:
        raise ValidationFailed([("tier", f"no tier {data.tier!r}")])
    if data.best_available and tier.general_admission:
        raise ValidationFailed(
            [("best_available", f"tier {data.tier!r} is general admission: no seats to pick")]
        )
    if not data.best_available and not tier.general_admission:
        raise ValidationFailed(
            [("tier", f"tier {data.tier!r} has reserved seats: give seat_ids or best_available")]
        )
    return wanted


def _places(facts: Facts, layout: Layout, data: HoldCreate) -> list[Place]:
    assert data.seat_ids is not None
    unknown = [s for s in data.seat_ids if s not in layout.index]
    if unknown:
        raise ValidationFailed([("seat_ids", f"no such seats: {', '.join(unknown)}")])
    places = []
    for seat_id in data.seat_ids:
        tier = layout.seats[layout.index[seat_id]].tier
        places.append(Place(seat_id, tier, facts.tiers[tier].price))
    return places


async def _take(
    ctx: Ctx,
    facts: Facts,
    user_id: uuid.UUID,
    data: HoldCreate,
    places: list[Place] | None,
) -> Hold:
    limits = Limits(max_per_order=facts.max_per_order, max_per_buyer=facts.max_per_buyer)
    common: dict[str, Any] = {
        "event_id": facts.event_id,
        "user_id": user_id,
        "currency": facts.currency,
        "limits": limits,
        "token": facts.token,
    }
    if places is not None:
        try:
            return await ctx.holds.hold_seats(groups=[places], **common)
        except NoGroupFree as exc:
            raise SeatsUnavailable(exc.unavailable) from exc
    assert data.tier is not None and data.quantity is not None
    tier = facts.tiers[data.tier]
    if data.best_available:
        return await _best_available(ctx, facts, tier.code, tier.price, data.quantity, common)
    assert tier.capacity is not None
    try:
        return await ctx.holds.hold_general(
            tier=tier.code,
            price=tier.price,
            quantity=data.quantity,
            capacity=tier.capacity,
            **common,
        )
    except GeneralSoldOut as exc:
        raise TierSoldOut(tier.code, data.quantity) from exc


async def _best_available(
    ctx: Ctx, facts: Facts, tier: str, price: int, quantity: int, common: dict[str, Any]
) -> Hold:
    """Pick candidate groups from a fresh reading (see ``seating``), then let the hold script
    take the first still entirely free — atomically; if all went meanwhile, read again."""
    layout = (await ctx.facts.layout(facts)).by_tier(tier)
    taken = await ctx.holds.taken_seats(facts.event_id, [s.seat_id for s in layout])
    rows: dict[tuple[str, str], list[seating.RowSeat]] = {}
    for seat in layout:
        rows.setdefault((seat.section, seat.row), []).append(
            seating.RowSeat(seat.seat_id, seat.number, seat.seat_id not in taken)
        )
    groups = seating.best_available(
        list(rows.values()), quantity, limit=ctx.settings.BEST_AVAILABLE_CANDIDATES
    )
    if not groups:
        raise TierSoldOut(tier, quantity)
    try:
        return await ctx.holds.hold_seats(
            groups=[[Place(s, tier, price) for s in group] for group in groups], **common
        )
    except NoGroupFree as exc:
        raise _Retry(tier, quantity) from exc


async def _own_hold(ctx: Ctx, *, user: Principal, event_id: uuid.UUID, hold_id: str) -> Hold:
    hold = await ctx.holds.get(event_id, hold_id)
    if hold is None or hold.user_id != user.id:
        raise NotFound("No such hold (it may have expired).")
    return hold


async def get_hold(ctx: Ctx, *, user: Principal, event_id: uuid.UUID, hold_id: str) -> HoldRead:
    return _hold_read(await _own_hold(ctx, user=user, event_id=event_id, hold_id=hold_id))


async def release_hold(ctx: Ctx, *, user: Principal, event_id: uuid.UUID, hold_id: str) -> None:
    """The owner lets go of a hold; its places are free at once."""
    hold = await _own_hold(ctx, user=user, event_id=event_id, hold_id=hold_id)
    try:
        released = await ctx.holds.release(hold, owner=user.id)
    except ClaimRefused as exc:
        raise NotFound("No such hold (it may have expired).") from exc
    if not released:
        raise NotFound("No such hold (it may have expired).")
    log.info("hold_released", event_id=str(event_id), hold_id=hold_id)


async def claim_hold(
    session: AsyncSession, ctx: Ctx, *, hold_id: str, user_id: uuid.UUID, extend_seconds: int
) -> HoldClaimed:
    """Booking takes the hold over: extended once (never past its hard cap); idempotent."""
    event_id = await ctx.holds.find_event(hold_id)
    if event_id is None:
        raise HoldExpired()
    event = await repository.get_event(session, event_id)
    if event is None:
        raise HoldExpired()
    if event.status != EventStatus.PUBLISHED:
        raise SalesClosed()
    try:
        hold = await ctx.holds.claim(
            event_id, hold_id, user_id=user_id, extend_seconds=extend_seconds
        )
    except ClaimRefused as exc:
        raise Forbidden("The hold belongs to someone else.") from exc
    if hold is None:
        raise HoldExpired()
    return _claimed(hold, event)


async def retake_hold(session: AsyncSession, ctx: Ctx, *, data: HoldRetake) -> HoldClaimed:
    """A payment landed after its booking expired: the same places again as a new hold, already
    claimed by the buyer — all or nothing, never a place held by anyone or sold in PostgreSQL.
    Order and buyer limits do not apply (the order was accepted and paid for already)."""
    ttl = min(data.ttl_seconds, ctx.settings.HOLD_MAX_SECONDS)
    event_holder: list[EventRow] = []

    async def attempt() -> Hold:
        async with transaction(session):
            await repository.lock_inventory(session, data.event_id, exclusive=False)
            event = await repository.get_event(session, data.event_id)
            if event is None:
                raise NotFound("No such event.")
            if event.status != EventStatus.PUBLISHED:
                raise SalesClosed()
            event_holder[:] = [event]
            tiers = {t.code: t for t in await repository.list_tiers(session, event.id)}
            seat_ids = [s.seat_id for s in data.seats if s.seat_id is not None]
            if seat_ids:
                return await _retake_seats(session, ctx, event, tiers, data.user_id, seat_ids, ttl)
            tier = tiers.get(data.seats[0].tier)
            if tier is None or tier.capacity is None:
                raise ValidationFailed(
                    [("seats", f"no general-admission tier {data.seats[0].tier!r}")]
                )
            try:
                return await ctx.holds.hold_general(
                    event_id=event.id,
                    user_id=data.user_id,
                    tier=tier.code,
                    price=tier.price,
                    quantity=len(data.seats),
                    capacity=tier.capacity,
                    currency=event.currency,
                    limits=Limits.none(),
                    ttl_seconds=ttl,
                    claimed=True,
                )
            except GeneralSoldOut as exc:
                raise TierSoldOut(tier.code, len(data.seats)) from exc

    hold = await _with_mirror(session, ctx, data.event_id, attempt)
    log.info("hold_retaken", event_id=str(data.event_id), hold_id=hold.hold_id)
    return _claimed(hold, event_holder[0])


async def _retake_seats(
    session: AsyncSession,
    ctx: Ctx,
    event: EventRow,
    tiers: dict[str, TicketTierRow],
    user_id: uuid.UUID,
    seat_ids: list[str],
    ttl: int,
) -> Hold:
    found = {s.seat_id: s for s in await repository.get_seats(session, event.id, seat_ids)}
    unknown = [s for s in seat_ids if s not in found]
    if unknown:
        raise ValidationFailed([("seats", f"no such seats: {', '.join(unknown)}")])
    sold = await repository.sold_seats_among(session, event.id, seat_ids)
    if sold:
        raise SeatsUnavailable(sorted(sold))
    places = [Place(s, found[s].tier_code, tiers[found[s].tier_code].price) for s in seat_ids]
    try:
        return await ctx.holds.hold_seats(
            event_id=event.id,
            user_id=user_id,
            groups=[places],
            currency=event.currency,
            limits=Limits.none(),
            ttl_seconds=ttl,
            claimed=True,
        )
    except NoGroupFree as exc:
        raise SeatsUnavailable(exc.unavailable) from exc
