"""Best available on large tiers: limits first, then only as many rows as it takes.

A request on a 100,000-seat tier used to read the state of every seat (two replies of 100,000
values), build 100,000 objects and rank them on the event loop — about a second, paid even by
requests the buyer limit refused afterwards. Now:

1. the limits and hold rules are checked first, by one read-only script (``holds.admit``);
2. rows are read in rank order, a few hundred seats per round trip at first (doubling up to
   ``_MAX_READ``), and the search stops as soon as it has ``limit`` candidates — or one, once
   ``_ENOUGH`` seats were read. Runs never span rows, so the candidates found are exactly the
   first ones a search over the whole tier would offer (rule 2 of ``seating``);
3. only when no row has a run (rules 3 and 4 rank every row: a nearly sold-out tier) is the
   whole tier read, still in bounded slices, and ranked in a worker thread when it is large.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from event_service import seating
from event_service.domain import TierSoldOut
from event_service.holds import Hold, HoldStore, Limits, NoGroupFree, Place
from event_service.service.context import Ctx
from event_service.service.facts import Facts, Layout, TierRow

_FIRST_READ = 512  # seats read by the first round trip (at least 2 × quantity × limit)
_MAX_READ = 8_192  # seats per round trip at most: each reply is parsed on the event loop
_ENOUGH = 4_096  # with a candidate in hand and this many seats read, stop looking for more
_THREAD_FROM = 5_000  # rows ranking more seats than this are ranked in a worker thread


class LostRace(Exception):
    """Every best-available candidate was taken between reading and holding."""

    def __init__(self, tier: str, quantity: int) -> None:
        super().__init__(tier)
        self.tier, self.quantity = tier, quantity


async def hold_best_available(
    ctx: Ctx, facts: Facts, tier: str, price: int, quantity: int, common: dict[str, Any]
) -> Hold:
    """Check the limits, pick candidate groups from a fresh reading, then let the hold script
    take the first still entirely free — atomically (LostRace if all went meanwhile)."""
    limits: Limits = common["limits"]
    await ctx.holds.admit(
        event_id=facts.event_id,
        user_id=common["user_id"],
        quantity=quantity,
        limits=limits,
        token=facts.token,
    )
    rows = await tier_rows(await ctx.facts.layout(facts), tier)
    groups = await candidates(
        ctx.holds, facts.event_id, rows, quantity, limit=ctx.settings.BEST_AVAILABLE_CANDIDATES
    )
    if not groups:
        raise TierSoldOut(tier, quantity)
    try:
        return await ctx.holds.hold_seats(
            groups=[[Place(s, tier, price) for s in group] for group in groups], **common
        )
    except NoGroupFree as exc:
        raise LostRace(tier, quantity) from exc


async def tier_rows(layout: Layout, tier: str) -> list[TierRow]:
    """The tier's rows (grouped once per layout; a large layout is grouped in a thread)."""
    if layout.has_rows(tier) or len(layout.seats) <= _THREAD_FROM:
        return layout.rows(tier)
    return await asyncio.to_thread(layout.rows, tier)


async def candidates(
    holds: HoldStore,
    event_id: uuid.UUID,
    rows: Sequence[TierRow],
    quantity: int,
    *,
    limit: int,
) -> list[list[str]]:
    """Up to ``limit`` candidate groups in preference order, reading rows best first only
    until they are found (see the module doc); empty: fewer than ``quantity`` seats free."""
    found: list[list[str]] = []
    read: list[list[seating.RowSeat]] = []
    seats_read, start = 0, 0
    size = max(_FIRST_READ, 2 * quantity * limit)
    while start < len(rows):
        end, count = start, 0
        while end < len(rows) and (count == 0 or count + len(rows[end].seat_ids) <= size):
            count += len(rows[end].seat_ids)
            end += 1
        batch = await _read_rows(holds, event_id, rows[start:end])
        read += batch
        found += seating.adjacent_runs(batch, quantity, limit=limit - len(found))
        seats_read += count
        if len(found) >= limit or (found and seats_read >= _ENOUGH):
            return found
        start, size = end, min(2 * size, _MAX_READ)
    if found:
        return found
    # no row has the seats side by side: rules 3 and 4 rank every row (all read by now)
    if seats_read > _THREAD_FROM:
        return await asyncio.to_thread(seating.best_available, read, quantity, limit=limit)
    return seating.best_available(read, quantity, limit=limit)


async def _read_rows(
    holds: HoldStore, event_id: uuid.UUID, rows: Sequence[TierRow]
) -> list[list[seating.RowSeat]]:
    taken = await holds.taken_seats(event_id, [s for row in rows for s in row.seat_ids])
    return [
        [
            seating.RowSeat(seat_id, number, seat_id not in taken)
            for seat_id, number in zip(row.seat_ids, row.numbers, strict=True)
        ]
        for row in rows
    ]
