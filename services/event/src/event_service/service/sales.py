"""Sales from booking's messages (the consumer runner owns the transaction).

Ordering against the commit:
- a sale marks Redis *before* the commit (inside the handler): if the commit then fails, Redis
  says "sold" for a while — the safe side, and the redelivered message makes it true;
- undoing a sale frees places in Redis only *after* the commit (``shared.db.after_commit``):
  Redis never offers a place PostgreSQL still has sold.
Both take the shared inventory lock, so a rebuild of the mirror (exclusive) never reads
PostgreSQL between a sale's commit and its Redis effect.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from event_service import repository
from event_service.context import Context
from event_service.domain import OversellDetected
from event_service.holds import Place
from shared.db import after_commit
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class BookedPlaces:
    """What booking's messages say of a booking's places and the hold they came from."""

    event_id: uuid.UUID
    booking_id: uuid.UUID
    user_id: uuid.UUID
    hold_id: str
    places: list[Place]


async def record_sale(session: AsyncSession, ctx: Context, *, booking: BookedPlaces) -> None:
    """A booking is confirmed: its places are sold (PostgreSQL first), its hold is done."""
    if not await _sell_seats(session, booking):  # that statement took the lock
        await repository.lock_inventory(session, booking.event_id, exclusive=False)
    await _sell_general(session, booking)
    await ctx.sold.consume(
        booking.event_id,
        booking.hold_id,
        booking.places,
        booking_id=booking.booking_id,
        user_id=booking.user_id,
    )
    log.info("sale_recorded", event_id=str(booking.event_id), booking_id=str(booking.booking_id))


async def _sell_seats(session: AsyncSession, booking: BookedPlaces) -> bool:
    """The booking's reserved seats sold in PostgreSQL, under the shared inventory lock; False
    if it has none (and the lock was not taken)."""
    seat_ids = [p.seat_id for p in booking.places if p.seat_id is not None]
    if not seat_ids:
        return False
    clashes = await repository.add_sold_seats(
        session,
        booking.event_id,
        booking.booking_id,
        seat_ids,
        user_id=booking.user_id,
        hold_id=booking.hold_id,
    )
    if clashes:
        log.critical(
            "oversell_detected",
            event_id=str(booking.event_id),
            booking_id=str(booking.booking_id),
            seats={s: str(b) for s, b in clashes.items()},
        )
        raise OversellDetected(f"seats {sorted(clashes)} already sold to other bookings")
    return True


async def _sell_general(session: AsyncSession, booking: BookedPlaces) -> None:
    event_id = booking.event_id
    for tier_code, quantity in Counter(p.tier for p in booking.places if p.seat_id is None).items():
        capacity = await repository.lock_tier(session, event_id, tier_code)
        if capacity is None:
            raise ValueError(f"event {event_id} has no general-admission tier {tier_code!r}")
        added = await repository.add_general_sale(
            session,
            event_id,
            booking.booking_id,
            tier_code,
            quantity,
            user_id=booking.user_id,
            hold_id=booking.hold_id,
        )
        sold = await repository.count_general_sold(session, event_id, tier_code) if added else 0
        if sold > capacity:
            log.critical(
                "oversell_detected",
                event_id=str(event_id),
                booking_id=str(booking.booking_id),
                tier=tier_code,
                sold=sold,
                capacity=capacity,
            )
            raise OversellDetected(f"tier {tier_code} sold {sold} of {capacity}")


async def undo_sale(session: AsyncSession, ctx: Context, *, booking: BookedPlaces) -> None:
    """A booking ended (cancelled or expired): what it bought or held is free again."""
    # takes the shared inventory lock too, in the same statement
    seats, general = await repository.delete_sales_of(session, booking.event_id, booking.booking_id)

    async def free_in_redis() -> None:
        await ctx.sold.undo(
            booking.event_id,
            booking.hold_id,
            booking.places,
            booking_id=booking.booking_id,
            user_id=booking.user_id,
            sold_seats=seats,
            general_sold=general,
        )

    after_commit(session, free_in_redis)
    log.info(
        "sale_undone",
        event_id=str(booking.event_id),
        booking_id=str(booking.booking_id),
        seats=len(seats),
        general=sum(q for _, q, _ in general),
    )
