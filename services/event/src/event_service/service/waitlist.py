"""Use cases of the waiting lists (API.md "On-sale protection, live availability and the
waiting list"): join a sold-out tier's list, read your entries, leave — and hand out the places
that come back.

Places come back when a hold lapses or is released, or a booking expires or is cancelled; no
message says so for every one of them (a seat hold just lapses in Redis), so one process at a
time per event (a Redis lock) looks every ``WAITLIST_TICK_SECONDS``: open offers whose hold
ended unsold lapse, then, per tier, while places are free, the first in line whose quantity
fits gets them as a hold of their own (``WAITLIST_OFFER_SECONDS``) and an email. The offer is
made by the hold scripts themselves, which refuse anyone else's hold on a tier while its list
waits: no place is ever both offered and sold, and only an empty list gives places back to
everyone (``holds/lua/prelude.lua``, ``list_allows``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from event_service import domain
from event_service.context import Context
from event_service.domain import EmailNotVerified, SalesClosed, TierSoldOut, ValidationFailed
from event_service.holds import (
    AddressLimit,
    BuyerLimit,
    Cooldown,
    FactsStale,
    GeneralSoldOut,
    Hold,
    Limits,
    MirrorMissing,
    NoGroupFree,
    OrderLimit,
)
from event_service.holds.models import OfferGone
from event_service.holds.room import ms_of
from event_service.holds.waitlist import ListEntry, PlacesFree, Waiting, field
from event_service.metrics import WAITLIST
from event_service.schemas import WaitlistEntryRead, WaitlistJoin
from event_service.service.access import on_sale, visible_facts
from event_service.service.best import BestAvailable, LostRace, hold_best_available
from event_service.service.facts_cache import Facts, TierFact
from event_service.service.mirror import recover
from event_service.service.tx import transaction
from shared.contracts.event import WaitlistOfferedV1
from shared.errors import Conflict
from shared.logging import get_logger
from shared.messaging import outbox
from shared.security import Principal

log = get_logger(__name__)

_KEEP_AFTER_END = timedelta(days=1)
_LOCK_SECONDS = 30  # a pass that outlives this (it never should) lets another process in
_OFFERS_PER_TIER = 50  # offers one pass makes per tier (the next pass goes on)
_PAGE, _SEARCHED = 100, 1_000  # the line is read a page at a time, this far at most


class NotSoldOut(Conflict):
    code = "not_sold_out"
    message = "This tier has places available: hold them instead of waiting."


class AlreadyListed(Conflict):
    code = "already_exists"
    message = "You are already on this tier's waiting list."


# --- the buyer's side ---------------------------------------------------------------------


async def join(
    ctx: Context, *, user: Principal, event_id: uuid.UUID, data: WaitlistJoin
) -> WaitlistEntryRead:
    """Join the tier's waiting list: 409 ``not_sold_out`` while the tier has places for
    everyone, ``already_exists`` while you wait or have an offer, ``sales_closed`` off sale."""
    facts = await visible_facts(ctx, event_id, user)
    if not on_sale(facts, ctx.clock.now()):
        raise SalesClosed()
    if facts.verified_email_required and not user.email_verified:
        raise EmailNotVerified()
    tier = facts.tiers.get(data.tier)
    if tier is None:
        raise ValidationFailed([("tier", f"no tier {data.tier!r}")])
    domain.check_order_size(data.quantity, max_per_order=facts.max_per_order)
    capacity = await _places(ctx, facts, tier)
    for _ in range(2):
        try:
            entry, created = await ctx.waitlist.join(
                event_id,
                user.id,
                tier=tier.code,
                quantity=data.quantity,
                capacity=capacity,
                general=tier.general_admission,
                email=user.email,
                keep_until_ms=ms_of(facts.ends_at + _KEEP_AFTER_END),
            )
        except MirrorMissing as exc:
            await recover(ctx, event_id, exc)
            continue
        except PlacesFree as exc:
            raise NotSoldOut(details={"tier": tier.code, "available": exc.free}) from exc
        if not created:
            raise AlreadyListed(details={"tier": tier.code, "status": entry.status})
        log.info("waitlist_joined", event_id=str(event_id), tier=tier.code, places=data.quantity)
        return _read(event_id, entry)
    raise RuntimeError("the sold mirror was lost again and again")


async def my_entries(
    ctx: Context, *, user: Principal, event_id: uuid.UUID
) -> list[WaitlistEntryRead]:
    """The caller's entries in the event's waiting lists (any status), in tier order."""
    facts = await visible_facts(ctx, event_id, user)
    entries = await ctx.waitlist.mine(event_id, user.id, list(facts.tiers))
    return [_read(event_id, e) for e in entries]


async def leave(ctx: Context, *, user: Principal, event_id: uuid.UUID, tier: str) -> None:
    """Leave the tier's list (nothing to do if you are not on it); an offer already made stays
    yours until it lapses."""
    await visible_facts(ctx, event_id, user)
    if await ctx.waitlist.leave(event_id, user.id, tier):
        log.info("waitlist_left", event_id=str(event_id), tier=tier)


def _read(event_id: uuid.UUID, entry: ListEntry) -> WaitlistEntryRead:
    return WaitlistEntryRead(
        id=uuid.UUID(entry.id),
        event_id=event_id,
        tier=entry.tier,
        quantity=entry.quantity,
        position=entry.position,
        status=entry.status,
        joined_at=entry.joined_at,
        hold_id=entry.hold_id,
        expires_at=entry.expires_at,
    )


async def _places(ctx: Context, facts: Facts, tier: TierFact) -> int:
    if tier.capacity is not None:
        return tier.capacity
    return len((await ctx.facts.layout(facts)).by_tier(tier.code))


# --- handing out the places that come back ------------------------------------------------


async def hand_out(ctx: Context) -> None:
    """Every event with a waiting list, one process at a time each (see the module doc)."""
    for event_id in await ctx.waitlist.events(ms_of(ctx.clock.now())):
        token = await ctx.waitlist.lock(event_id, _LOCK_SECONDS)
        if token is None:
            continue  # another process is at it
        try:
            await hand_out_event(ctx, event_id)
        finally:
            await ctx.waitlist.unlock(event_id, token)


async def hand_out_event(ctx: Context, event_id: uuid.UUID) -> None:
    """Open offers whose hold ended unsold lapse; then every tier's free places are offered."""
    for entry, hold_id in await ctx.waitlist.open_offers(event_id):
        if await ctx.waitlist.settle(event_id, entry, hold_id):
            WAITLIST["lapsed"].inc()
            log.info("waitlist_offer_lapsed", event_id=str(event_id), hold_id=hold_id)
    facts = await ctx.facts.get(event_id)
    if facts is None or not on_sale(facts, ctx.clock.now()):
        return
    for tier in facts.tiers.values():
        await _offer_tier(ctx, facts, tier)


async def _offer_tier(ctx: Context, facts: Facts, tier: TierFact) -> None:
    for _ in range(_OFFERS_PER_TIER):
        who = await _first_fitting(ctx, facts, tier)
        if who is None:
            return
        try:
            hold = await _offer(ctx, facts, tier, who)
        except OfferGone:
            continue  # they left meanwhile: the next one
        except (BuyerLimit, OrderLimit, Cooldown, AddressLimit) as exc:
            await ctx.waitlist.leave(facts.event_id, who.user_id, tier.code)
            WAITLIST["dropped"].inc()
            log.info("waitlist_entry_dropped", event_id=str(facts.event_id), reason=repr(exc))
            continue
        except (GeneralSoldOut, NoGroupFree, LostRace, TierSoldOut):
            return  # taken meanwhile (a re-take): the next pass looks again
        except (FactsStale, MirrorMissing) as exc:
            await recover(ctx, facts.event_id, exc)
            return
        await _tell(ctx, facts, who, hold)


async def _free(ctx: Context, facts: Facts, tier: TierFact) -> int:
    """Places of the tier neither sold nor held (MirrorMissing: rebuilt, none this pass)."""
    general = [tier.code] if tier.general_admission else []
    reserved = [] if general else [tier.code]
    try:
        count = (await ctx.sold.snapshot(facts.event_id, reserved, general))[tier.code]
    except MirrorMissing as exc:
        await recover(ctx, facts.event_id, exc)
        return 0
    return await _places(ctx, facts, tier) - count.sold - count.held


async def _first_fitting(ctx: Context, facts: Facts, tier: TierFact) -> Waiting | None:
    """The first in line whose quantity fits in the tier's free places (a tier nobody waits
    for costs one read, not a count of its places)."""
    page = await ctx.waitlist.waiting(facts.event_id, tier.code, 0, _PAGE)
    free = await _free(ctx, facts, tier) if page else 0
    start = 0
    while page and free > 0 and start < _SEARCHED:
        for who in page:
            if who.quantity <= free:
                return who
        if len(page) < _PAGE:
            return None
        start += _PAGE
        page = await ctx.waitlist.waiting(facts.event_id, tier.code, start, _PAGE)
    return None


async def _offer(ctx: Context, facts: Facts, tier: TierFact, who: Waiting) -> Hold:
    """The offer: a hold of the places for them, made only while they still wait. Their order
    and buyer limits count as for any hold; the address cap and the cool-down do not (they did
    not ask for it at that moment)."""
    limits = Limits(
        max_per_order=facts.max_per_order,
        max_per_buyer=facts.max_per_buyer,
        offer_to=field(tier.code, who.user_id),
    )
    ttl = ctx.settings.WAITLIST_OFFER_SECONDS
    if tier.capacity is None:
        wanted = BestAvailable(tier.code, tier.price, who.quantity)
        return await hold_best_available(ctx, facts, who.user_id, wanted, limits, ttl_seconds=ttl)
    return await ctx.holds.hold_general(
        event_id=facts.event_id,
        user_id=who.user_id,
        tier=tier.code,
        price=tier.price,
        quantity=who.quantity,
        capacity=tier.capacity,
        currency=facts.currency,
        limits=limits,
        ttl_seconds=ttl,
        token=facts.token,
    )


async def _tell(ctx: Context, facts: Facts, who: Waiting, hold: Hold) -> None:
    """The offer's email goes out through the outbox (if this process dies before, the offer
    stands all the same: ``GET /waitlist/me`` shows it)."""
    WAITLIST["made"].inc()
    log.info(
        "waitlist_offer_made",
        event_id=str(facts.event_id),
        hold_id=hold.hold_id,
        places=hold.quantity,
    )
    message = WaitlistOfferedV1(
        event_id=facts.event_id,
        user_id=who.user_id,
        user_email=who.email or None,
        title=facts.title,
        starts_at=facts.starts_at,
        tier=hold.places[0].tier,
        quantity=hold.quantity,
        hold_id=hold.hold_id,
        expires_at=hold.expires_at,
    )
    async with ctx.sessionmaker() as session, transaction(session):
        await outbox.add(session, message)
