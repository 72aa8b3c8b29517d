"""Internal use cases of booking: the claim of a hold, and the re-take of a late-paid booking."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from event_service import domain, repository
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
    GeneralSoldOut,
    Hold,
    Limits,
    MirrorMissing,
    NoGroupFree,
    Place,
)
from event_service.orm import EventRow, TicketTierRow
from event_service.schemas import ClaimedEvent, HeldSeat, HoldClaimed, HoldRetake
from event_service.service.context import Ctx
from event_service.service.tx import rebuild_mirror, transaction
from shared.db import utcnow
from shared.errors import Forbidden, NotFound
from shared.logging import get_logger

log = get_logger("event_service")

_ATTEMPTS = 4  # the sold mirror vanished and was rebuilt meanwhile


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
            event_id,
            hold_id,
            user_id=user_id,
            extend_seconds=extend_seconds,
            cooldown_seconds=event.rehold_cooldown_seconds,
        )
    except ClaimRefused as exc:
        raise Forbidden("The hold belongs to someone else.") from exc
    if hold is None:
        raise HoldExpired()
    return _claimed(hold, event)


def _retake_limits(event: EventRow, data: HoldRetake) -> Limits:
    """The order was accepted already (no order limit), but the buyer's total still counts:
    places in their live holds (but the booking's own earlier hold) plus places sold. Hold
    rules meant for buyers picking seats (address cap, cool-down) do not apply."""
    return Limits(
        max_per_order=Limits.none().max_per_order,
        max_per_buyer=event.max_tickets_per_buyer,
        cooldown_seconds=event.rehold_cooldown_seconds,
        exclude_hold=data.hold_id or "",
    )


async def retake_hold(session: AsyncSession, ctx: Ctx, *, data: HoldRetake) -> HoldClaimed:
    """A payment landed after its booking expired: the same places again as a new hold, already
    claimed by the buyer — all or nothing, never a place held by anyone or sold in PostgreSQL,
    only while the sale is open and within the buyer's limit (else 409: booking refunds)."""
    ttl = min(data.ttl_seconds, ctx.settings.HOLD_MAX_SECONDS)
    event_holder: list[EventRow] = []

    async def attempt() -> Hold:
        async with transaction(session):
            await repository.lock_inventory(session, data.event_id, exclusive=False)
            event = await repository.get_event(session, data.event_id)
            if event is None:
                raise NotFound("No such event.")
            if not domain.sales_open(
                status=event.status,
                deleted=False,
                sales_start_at=event.sales_start_at,
                sales_end_at=event.sales_end_at,
                ends_at=event.ends_at,
                now=utcnow(),
            ):
                raise SalesClosed()
            event_holder[:] = [event]
            try:
                return await _retake(session, ctx, event, data, ttl)
            except BuyerLimit as exc:
                raise BuyerLimitExceeded(
                    limit=event.max_tickets_per_buyer,
                    current=exc.current,
                    requested=len(data.seats),
                ) from exc

    hold = await _with_mirror(session, ctx, data.event_id, attempt)
    log.info("hold_retaken", event_id=str(data.event_id), hold_id=hold.hold_id)
    return _claimed(hold, event_holder[0])


async def _retake(
    session: AsyncSession, ctx: Ctx, event: EventRow, data: HoldRetake, ttl: int
) -> Hold:
    tiers = {t.code: t for t in await repository.list_tiers(session, event.id)}
    limits = _retake_limits(event, data)
    seat_ids = [s.seat_id for s in data.seats if s.seat_id is not None]
    if seat_ids:
        return await _retake_seats(session, ctx, event, tiers, data.user_id, seat_ids, ttl, limits)
    tier = tiers.get(data.seats[0].tier)
    if tier is None or tier.capacity is None:
        raise ValidationFailed([("seats", f"no general-admission tier {data.seats[0].tier!r}")])
    try:
        return await ctx.holds.hold_general(
            event_id=event.id,
            user_id=data.user_id,
            tier=tier.code,
            price=tier.price,
            quantity=len(data.seats),
            capacity=tier.capacity,
            currency=event.currency,
            limits=limits,
            ttl_seconds=ttl,
            claimed=True,
        )
    except GeneralSoldOut as exc:
        raise TierSoldOut(tier.code, len(data.seats)) from exc


async def _retake_seats(
    session: AsyncSession,
    ctx: Ctx,
    event: EventRow,
    tiers: dict[str, TicketTierRow],
    user_id: uuid.UUID,
    seat_ids: list[str],
    ttl: int,
    limits: Limits,
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
            limits=limits,
            ttl_seconds=ttl,
            claimed=True,
        )
    except NoGroupFree as exc:
        raise SeatsUnavailable(exc.unavailable) from exc
