"""Internal use cases of booking: the claim of a hold, and the re-take of a late-paid booking.

Their bodies are the shared contracts (``shared.contracts.event``), which accept what a newer
booking may add; the bounds event holds them to are checked here first (422 naming the field).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from event_service import repository
from event_service.context import Context
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
    Place,
)
from event_service.metrics import HOLD
from event_service.orm import EventRow, TicketTierRow
from event_service.schemas import claim_problems, retake_problems
from event_service.service.access import on_sale
from event_service.service.facts_cache import Facts
from event_service.service.mirror import rebuild_mirror
from event_service.service.tx import transaction
from shared.contracts.event import (
    ClaimedEventV1,
    HeldSeatV1,
    HoldClaimedV1,
    HoldClaimRequestV1,
    HoldRetakeRequestV1,
)
from shared.errors import Forbidden, NotFound
from shared.logging import get_logger

log = get_logger(__name__)

_ATTEMPTS = 4  # the sold mirror vanished and was rebuilt meanwhile; the facts changed


def _claimed(hold: Hold, event: EventRow | Facts) -> HoldClaimedV1:
    return HoldClaimedV1(
        hold_id=hold.hold_id,
        event_id=hold.event_id,
        user_id=hold.user_id,
        seats=[HeldSeatV1(seat_id=p.seat_id, tier=p.tier, price=p.price) for p in hold.places],
        tier=hold.tier,
        quantity=hold.quantity,
        amount=hold.amount,
        currency=hold.currency,
        expires_at=hold.expires_at,
        event=ClaimedEventV1(
            title=event.title,
            starts_at=event.starts_at,
            location=event.location,
            organizer_id=event.organizer_id,
        ),
    )


async def claim_hold(ctx: Context, *, hold_id: str, data: HoldClaimRequestV1) -> HoldClaimedV1:
    """Booking takes the hold over: extended once (never past its hard cap); idempotent.

    No PostgreSQL: the event is named in the hold id, what the claim needs of it (published,
    the cool-down, what the answer says of it) are its facts, and the claim script refuses
    unless they are still current (``service/facts_cache.py``)."""
    problems = claim_problems(data)
    if problems:
        raise ValidationFailed(problems)
    event_id = await ctx.holds.find_event(hold_id)
    if event_id is None:
        raise HoldExpired()
    for _ in range(_ATTEMPTS):
        facts = await ctx.facts.get(event_id)
        if facts is None or facts.status != EventStatus.PUBLISHED:
            if not await ctx.facts.confirm(facts):
                continue  # decided on outdated facts: read them again
            raise HoldExpired() if facts is None else SalesClosed()
        try:
            hold = await ctx.holds.claim(
                event_id,
                hold_id,
                user_id=data.user_id,
                extend_seconds=data.extend_seconds,
                cooldown_seconds=facts.rehold_cooldown,
                token=facts.token,
            )
        except FactsStale:
            ctx.facts.forget(event_id)
            continue
        except ClaimRefused as exc:
            raise Forbidden("The hold belongs to someone else.") from exc
        if hold is None:
            raise HoldExpired()
        HOLD["claimed"].inc()
        return _claimed(hold, facts)
    raise RuntimeError("the event's facts changed again and again")


async def retake_hold(
    session: AsyncSession, ctx: Context, *, data: HoldRetakeRequestV1
) -> HoldClaimedV1:
    """A payment landed after its booking expired: the same places again as a new hold, already
    claimed by the buyer — all or nothing, never a place held by anyone or sold in PostgreSQL,
    only while the sale is open and within the buyer's limit (else 409: booking refunds)."""
    problems = retake_problems(data)
    if problems:
        raise ValidationFailed(problems)
    for _ in range(_ATTEMPTS):
        try:
            hold, event = await _retake_locked(session, ctx, data)
        except MirrorMissing:
            await rebuild_mirror(ctx, data.event_id)
            continue
        log.info("hold_retaken", event_id=str(data.event_id), hold_id=hold.hold_id)
        return _claimed(hold, event)
    raise RuntimeError("the sold mirror of the event vanished again and again")


async def _retake_locked(
    session: AsyncSession, ctx: Context, data: HoldRetakeRequestV1
) -> tuple[Hold, EventRow]:
    """The re-take in a transaction of its own, under the shared inventory lock."""
    async with transaction(session):
        await repository.lock_inventory(session, data.event_id, exclusive=False)
        event = await repository.get_event(session, data.event_id)
        if event is None:
            raise NotFound("No such event.")
        if not on_sale(event, ctx.clock.now()):
            raise SalesClosed()
        try:
            return await _retake(session, ctx, event, data), event
        except BuyerLimit as exc:
            raise BuyerLimitExceeded(
                limit=event.max_tickets_per_buyer, current=exc.current, requested=len(data.seats)
            ) from exc


def _retake_limits(event: EventRow, data: HoldRetakeRequestV1) -> Limits:
    """The order was accepted already (no order limit), but the buyer's total still counts:
    places in their live holds (but the booking's own earlier hold) plus places sold. Hold
    rules meant for buyers picking seats (address cap, cool-down) do not apply, nor does the
    waiting list's turn: these places were paid for."""
    return Limits(
        max_per_order=Limits.none().max_per_order,
        max_per_buyer=event.max_tickets_per_buyer,
        cooldown_seconds=event.rehold_cooldown_seconds,
        exclude_hold=data.hold_id or "",
        yield_to_list=False,
    )


async def _retake(
    session: AsyncSession, ctx: Context, event: EventRow, data: HoldRetakeRequestV1
) -> Hold:
    tiers = {t.code: t for t in await repository.list_tiers(session, event.id)}
    limits = _retake_limits(event, data)
    ttl = min(data.ttl_seconds, ctx.settings.HOLD_MAX_SECONDS)
    seat_ids = [s.seat_id for s in data.seats if s.seat_id is not None]
    if seat_ids:
        places = await _seat_places(session, event, tiers, seat_ids)
        try:
            return await ctx.holds.hold_seats(
                event_id=event.id,
                user_id=data.user_id,
                groups=[places],
                currency=event.currency,
                limits=limits,
                ttl_seconds=ttl,
                claimed=True,
            )
        except NoGroupFree as exc:
            raise SeatsUnavailable(exc.unavailable) from exc
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


async def _seat_places(
    session: AsyncSession,
    event: EventRow,
    tiers: dict[str, TicketTierRow],
    seat_ids: list[str],
) -> list[Place]:
    """The seats as places (422 for unknown seats, 409 for seats sold in PostgreSQL)."""
    found = {s.seat_id: s for s in await repository.get_seats(session, event.id, seat_ids)}
    unknown = [s for s in seat_ids if s not in found]
    if unknown:
        raise ValidationFailed([("seats", f"no such seats: {', '.join(unknown)}")])
    sold = await repository.sold_seats_among(session, event.id, seat_ids)
    if sold:
        raise SeatsUnavailable(sorted(sold))
    return [Place(s, found[s].tier_code, tiers[found[s].tier_code].price) for s in seat_ids]
