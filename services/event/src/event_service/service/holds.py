"""Use cases of holds: take (seats, general admission, best available), read, release.

(The internal claim and the re-take of a late-paid booking are in ``retake.py``.)"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from event_service import domain
from event_service.context import Context
from event_service.domain import (
    AddressLimitExceeded,
    BuyerLimitExceeded,
    EmailNotVerified,
    LimitExceeded,
    ReholdCooldown,
    SalesClosed,
    SeatsUnavailable,
    TierSoldOut,
    ValidationFailed,
)
from event_service.holds import (
    AddressLimit,
    BuyerLimit,
    ClaimRefused,
    Cooldown,
    FactsStale,
    GeneralSoldOut,
    Hold,
    Limits,
    MirrorMissing,
    NoGroupFree,
    OrderLimit,
    Place,
)
from event_service.metrics import HOLD
from event_service.schemas import HeldSeat, HoldCreate, HoldRead
from event_service.service import room
from event_service.service.access import may_see, on_sale
from event_service.service.best import BestAvailable, LostRace, hold_best_available
from event_service.service.facts_cache import Facts
from event_service.service.mirror import recover
from shared.errors import DomainError, NotFound
from shared.logging import get_logger
from shared.security import Principal

log = get_logger(__name__)

_ATTEMPTS = 4  # facts changed, mirror rebuilt, or best-available candidates taken meanwhile


@dataclass(frozen=True, slots=True)
class _Seats:
    places: list[Place]


@dataclass(frozen=True, slots=True)
class _General:
    tier: str
    price: int
    capacity: int
    quantity: int


_Wanted = _Seats | _General | BestAvailable


def _hold_read(hold: Hold) -> HoldRead:
    # built from the store's own values: nothing to validate (``model_construct``)
    return HoldRead.model_construct(
        hold_id=hold.hold_id,
        event_id=hold.event_id,
        seats=[
            HeldSeat.model_construct(seat_id=p.seat_id, tier=p.tier, price=p.price)
            for p in hold.places
        ],
        tier=hold.tier,
        quantity=hold.quantity,
        amount=hold.amount,
        currency=hold.currency,
        created_at=hold.created_at,
        expires_at=hold.expires_at,
    )


async def create_hold(
    ctx: Context,
    *,
    user: Principal,
    event_id: uuid.UUID,
    data: HoldCreate,
    address: str = "",
    admission: str | None = None,
) -> HoldRead:
    """Hold the asked places (see :func:`_create_hold`), counted in ``ticketing_holds_total``
    by outcome. ``admission``: the caller's ``X-Admission-Token`` (needed while the event's
    waiting room is on)."""
    try:
        hold = await _create_hold(
            ctx, user=user, event_id=event_id, data=data, address=address, admission=admission
        )
    except DomainError as exc:
        outcome = _REFUSALS.get(type(exc))
        if outcome is not None:
            HOLD[outcome].inc()
        raise
    HOLD["created"].inc()
    return hold


# the refusals the metric tells apart (a bad request, an unknown event: not an outcome)
_REFUSALS: dict[type[DomainError], str] = {
    SeatsUnavailable: "conflict",
    TierSoldOut: "conflict",
    LimitExceeded: "limit",
    BuyerLimitExceeded: "limit",
    AddressLimitExceeded: "limit",
    ReholdCooldown: "limit",
    SalesClosed: "closed",
}


async def _create_hold(
    ctx: Context,
    *,
    user: Principal,
    event_id: uuid.UUID,
    data: HoldCreate,
    address: str,
    admission: str | None,
) -> HoldRead:
    """Hold the asked seats, general-admission places or best available seats — all or nothing,
    within the order and buyer limits and the event's hold rules (checked in the same Redis
    script; ``address``: the client's, for the per-address cap).

    No PostgreSQL on this path: the request is checked against the event's facts in memory and
    the one hold script refuses unless they are current (``service/facts_cache.py``). Outdated
    facts, a lost sold mirror or a lost best-available race: read again and retry."""
    lost: LostRace | None = None
    for _ in range(_ATTEMPTS):
        facts = await ctx.facts.get(event_id)
        try:
            checked, wanted = await _check(ctx, facts, user, data, admission)
        except DomainError:
            if await ctx.facts.confirm(facts):
                raise
            continue  # decided on outdated facts: read them again
        try:
            hold = await _take(ctx, checked, user.id, wanted, _limits(checked, address))
        except (FactsStale, MirrorMissing) as exc:
            await recover(ctx, event_id, exc)
            continue
        except LostRace as exc:
            lost = exc
            continue
        except (BuyerLimit, OrderLimit, Cooldown, AddressLimit) as exc:
            raise _refusal(exc, checked, _count(wanted)) from exc
        # the access log has the request; a line per hold is worth it only when debugging
        log.debug(
            "hold_created", event_id=str(event_id), hold_id=hold.hold_id, places=hold.quantity
        )
        return _hold_read(hold)
    if lost is not None:
        raise TierSoldOut(lost.tier, lost.quantity) from lost
    raise RuntimeError("the event's facts or sold mirror changed again and again")


def _limits(facts: Facts, address: str) -> Limits:
    return Limits(
        max_per_order=facts.max_per_order,
        max_per_buyer=facts.max_per_buyer,
        address=address,
        max_per_address=facts.max_per_address,
        cooldown_seconds=facts.rehold_cooldown,
        check_cooldown=True,
    )


def _count(wanted: _Wanted) -> int:
    return len(wanted.places) if isinstance(wanted, _Seats) else wanted.quantity


def _refusal(
    exc: BuyerLimit | OrderLimit | Cooldown | AddressLimit, facts: Facts, wanted: int
) -> DomainError:
    """The contract's error for a refusal of the hold script."""
    if isinstance(exc, BuyerLimit):
        return BuyerLimitExceeded(limit=facts.max_per_buyer, current=exc.current, requested=wanted)
    if isinstance(exc, Cooldown):
        retry = max(1, math.ceil(exc.retry_ms / 1000))
        return ReholdCooldown(retry_after=retry, cooldown=facts.rehold_cooldown)
    if isinstance(exc, AddressLimit):
        return AddressLimitExceeded(limit=exc.limit, current=exc.current)
    return domain.order_limit_exceeded(exc.limit, wanted)


async def _check(
    ctx: Context, facts: Facts | None, user: Principal, data: HoldCreate, admission: str | None
) -> tuple[Facts, _Wanted]:
    """The rules decided by the facts (and the layout) alone; what the request wants."""
    if facts is None or not may_see(facts.status, facts.organizer_id, user):
        raise NotFound("No such event.")
    if not on_sale(facts, ctx.clock.now()):
        raise SalesClosed()
    room.check_admission(ctx, facts, user, admission)
    if facts.verified_email_required and not user.email_verified:
        raise EmailNotVerified()
    if data.seat_ids is not None:
        domain.check_order_size(len(data.seat_ids), max_per_order=facts.max_per_order)
        return facts, _Seats(await _places(ctx, facts, data.seat_ids))
    return facts, _tier_wanted(facts, data)


def _tier_wanted(facts: Facts, data: HoldCreate) -> _General | BestAvailable:
    if data.tier is None or data.quantity is None:  # HoldCreate refuses that already
        raise ValidationFailed([("tier", "give seat_ids, or tier and quantity")])
    domain.check_order_size(data.quantity, max_per_order=facts.max_per_order)
    tier = facts.tiers.get(data.tier)
    if tier is None:
        raise ValidationFailed([("tier", f"no tier {data.tier!r}")])
    if data.best_available:
        if tier.capacity is not None:
            raise ValidationFailed(
                [("best_available", f"tier {data.tier!r} is general admission: no seats to pick")]
            )
        return BestAvailable(tier.code, tier.price, data.quantity)
    if tier.capacity is None:
        raise ValidationFailed(
            [("tier", f"tier {data.tier!r} has reserved seats: give seat_ids or best_available")]
        )
    return _General(tier.code, tier.price, tier.capacity, data.quantity)


async def _places(ctx: Context, facts: Facts, seat_ids: list[str]) -> list[Place]:
    layout = await ctx.facts.layout(facts)
    unknown = [s for s in seat_ids if s not in layout.index]
    if unknown:
        raise ValidationFailed([("seat_ids", f"no such seats: {', '.join(unknown)}")])
    places = []
    for seat_id in seat_ids:
        tier = layout.seats[layout.index[seat_id]].tier
        places.append(Place(seat_id, tier, facts.tiers[tier].price))
    return places


async def _take(
    ctx: Context, facts: Facts, user_id: uuid.UUID, wanted: _Wanted, limits: Limits
) -> Hold:
    if isinstance(wanted, BestAvailable):
        return await hold_best_available(ctx, facts, user_id, wanted, limits)
    if isinstance(wanted, _Seats):
        try:
            return await ctx.holds.hold_seats(
                event_id=facts.event_id,
                user_id=user_id,
                groups=[wanted.places],
                currency=facts.currency,
                limits=limits,
                token=facts.token,
            )
        except NoGroupFree as exc:
            raise SeatsUnavailable(exc.unavailable) from exc
    try:
        return await ctx.holds.hold_general(
            event_id=facts.event_id,
            user_id=user_id,
            tier=wanted.tier,
            price=wanted.price,
            quantity=wanted.quantity,
            capacity=wanted.capacity,
            currency=facts.currency,
            limits=limits,
            token=facts.token,
        )
    except GeneralSoldOut as exc:
        raise TierSoldOut(wanted.tier, wanted.quantity) from exc


async def _own_hold(ctx: Context, *, user: Principal, event_id: uuid.UUID, hold_id: str) -> Hold:
    hold = await ctx.holds.get(event_id, hold_id)
    if hold is None or hold.user_id != user.id:
        raise NotFound("No such hold (it may have expired).")
    return hold


async def get_hold(ctx: Context, *, user: Principal, event_id: uuid.UUID, hold_id: str) -> HoldRead:
    """The caller's live hold."""
    return _hold_read(await _own_hold(ctx, user=user, event_id=event_id, hold_id=hold_id))


async def release_hold(ctx: Context, *, user: Principal, event_id: uuid.UUID, hold_id: str) -> None:
    """The owner lets go of a hold; its places are free at once."""
    hold = await _own_hold(ctx, user=user, event_id=event_id, hold_id=hold_id)
    try:
        released = await ctx.holds.release(hold, owner=user.id)
    except ClaimRefused as exc:
        raise NotFound("No such hold (it may have expired).") from exc
    if not released:
        raise NotFound("No such hold (it may have expired).")
    HOLD["released"].inc()
    log.info("hold_released", event_id=str(event_id), hold_id=hold_id)
