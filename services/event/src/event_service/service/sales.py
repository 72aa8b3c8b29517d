"""Sales from booking's messages (the consumer runner owns the transaction), and the sweeper.

Ordering against the commit:
- a sale marks Redis *before* the commit (inside the handler): if the commit then fails, Redis
  says "sold" for a while — the safe side, and the redelivered message makes it true;
- undoing a sale frees places in Redis only *after* the commit (``after_commit``): Redis never
  offers a place PostgreSQL still has sold.
Both take the shared inventory lock, so a rebuild of the mirror (exclusive) never reads
PostgreSQL between a sale's commit and its Redis effect.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from event_service import repository
from event_service.domain import OversellDetected
from event_service.holds import Place
from event_service.service.context import Ctx
from event_service.service.tx import after_commit
from shared.logging import get_logger

log = get_logger("event_service")


async def record_sale(
    session: AsyncSession,
    ctx: Ctx,
    *,
    event_id: uuid.UUID,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    hold_id: str,
    places: Sequence[Place],
) -> None:
    """A booking is confirmed: its places are sold (PostgreSQL first), its hold is done."""
    await repository.lock_inventory(session, event_id, exclusive=False)
    seat_ids = [p.seat_id for p in places if p.seat_id is not None]
    if seat_ids:
        clashes = await repository.add_sold_seats(
            session, event_id, booking_id, seat_ids, user_id=user_id, hold_id=hold_id
        )
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
        added = await repository.add_general_sale(
            session, event_id, booking_id, tier_code, quantity, user_id=user_id, hold_id=hold_id
        )
        if added:
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
    await ctx.holds.consume(event_id, hold_id, places, booking_id=booking_id, user_id=user_id)
    log.info("sale_recorded", event_id=str(event_id), booking_id=str(booking_id))


async def undo_sale(
    session: AsyncSession,
    ctx: Ctx,
    *,
    event_id: uuid.UUID,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    hold_id: str,
    places: Sequence[Place],
) -> None:
    """A booking ended (cancelled or expired): what it bought or held is free again."""
    await repository.lock_inventory(session, event_id, exclusive=False)
    seats, general = await repository.delete_sales_of(session, event_id, booking_id)

    async def free_in_redis() -> None:
        await ctx.holds.undo(
            event_id,
            hold_id,
            places,
            booking_id=booking_id,
            user_id=user_id,
            sold_seats=seats,
            general_sold=general,
        )

    after_commit(session, free_in_redis)
    log.info(
        "sale_undone",
        event_id=str(event_id),
        booking_id=str(booking_id),
        seats=len(seats),
        general=sum(q for _, q, _ in general),
    )


async def sweep_holds(ctx: Ctx) -> int:
    """Give back the places of lapsed general-admission holds (only events with some due)."""
    return await ctx.holds.sweep()
