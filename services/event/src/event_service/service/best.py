"""Best available on large tiers: limits first, then only as many rows as it takes.

Reading every seat of a 100,000-seat tier and ranking it on the event loop takes about a second,
so a request reads only what it needs:

1. the limits and hold rules are checked first, by one read-only script (``HoldStore.admit``);
2. rows are read in rank order, seat by seat but only a few hundred seats per round trip, and
   the search stops as soon as it has ``limit`` candidates — or, once ``_ENOUGH`` seats were
   read, as soon as it has one. Runs never span rows, so the candidates found are exactly the
   first ones a search over the whole tier offers (rule 2 of ``seating``);
3. nothing found in the first ``_ENOUGH`` seats (a crowded tier): what is taken in the whole
   tier is read in one round trip instead — the sold mirror's field names and the tier's held
   seats, a cost of the seats taken, not of the seats in the tier — and the rules run over the
   free seats only (they never look at taken ones), row by row until ``limit`` runs are found,
   in a worker thread when the tier is large.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from event_service import seating
from event_service.context import Context
from event_service.domain import TierSoldOut
from event_service.holds import Hold, Limits, MirrorMissing, NoGroupFree, Place, SoldMirror
from event_service.holds.sold import SOLD_SENTINEL
from event_service.service.facts_cache import Facts, Layout, TierRow

_FIRST_READ = 512  # seats read by the first round trip (at least 2 × quantity × limit)
_MAX_READ = 8_192  # seats per round trip at most: each reply is parsed on the event loop
# seats read seat by seat before reading what is taken in the whole tier instead (which costs
# as much as the sold and held seats of the event, not as the seats of the tier)
_ENOUGH = 1_024
_THREAD_FROM = 5_000  # a whole tier of more seats than this is ranked in a worker thread


@dataclass(frozen=True, slots=True)
class BestAvailable:
    """A request for the best ``quantity`` seats of a reserved tier."""

    tier: str
    price: int
    quantity: int


class LostRace(Exception):
    """Every best-available candidate was taken between reading and holding."""

    def __init__(self, tier: str, quantity: int) -> None:
        super().__init__(tier)
        self.tier, self.quantity = tier, quantity


async def hold_best_available(
    ctx: Context,
    facts: Facts,
    user_id: uuid.UUID,
    wanted: BestAvailable,
    limits: Limits,
    *,
    ttl_seconds: int | None = None,
) -> Hold:
    """Check the limits, pick candidate groups from a fresh reading, then let the hold script
    take the first still entirely free — atomically (LostRace if all went meanwhile)."""
    tier, quantity = wanted.tier, wanted.quantity
    await ctx.holds.admit(
        event_id=facts.event_id,
        user_id=user_id,
        quantity=quantity,
        limits=limits,
        token=facts.token,
    )
    rows = await tier_rows(await ctx.facts.layout(facts), tier)
    groups = await candidates(
        ctx.sold, facts, tier, rows, quantity, limit=ctx.settings.BEST_AVAILABLE_CANDIDATES
    )
    if not groups:
        raise TierSoldOut(tier, quantity)
    try:
        return await ctx.holds.hold_seats(
            event_id=facts.event_id,
            user_id=user_id,
            groups=[[Place(s, tier, wanted.price) for s in group] for group in groups],
            currency=facts.currency,
            limits=limits,
            ttl_seconds=ttl_seconds,
            token=facts.token,
        )
    except NoGroupFree as exc:
        raise LostRace(tier, quantity) from exc


async def tier_rows(layout: Layout, tier: str) -> list[TierRow]:
    """The tier's rows (grouped once per layout; a large layout is grouped in a thread)."""
    if layout.has_rows(tier) or len(layout.seats) <= _THREAD_FROM:
        return layout.rows(tier)
    return await asyncio.to_thread(layout.rows, tier)


async def candidates(
    sold: SoldMirror,
    facts: Facts,
    tier: str,
    rows: Sequence[TierRow],
    quantity: int,
    *,
    limit: int,
) -> list[list[str]]:
    """Up to ``limit`` candidate groups in preference order, reading only the rows it needs
    (see the module doc); empty: fewer than ``quantity`` seats free. FactsStale or
    MirrorMissing as the hold scripts."""
    found: list[list[str]] = []
    read: list[seating.FreeRow] = []
    seats_read, start = 0, 0
    size = max(_FIRST_READ, 2 * quantity * limit)
    while start < len(rows) and seats_read < _ENOUGH:
        end, count = start, 0
        while end < len(rows) and (count == 0 or count + len(rows[end].seat_ids) <= size):
            count += len(rows[end].seat_ids)
            end += 1
        batch = await _read_rows(sold, facts.event_id, rows[start:end])
        read += batch
        found += seating.adjacent_runs(batch, quantity, limit=limit - len(found))
        if len(found) >= limit:
            return found
        seats_read += count
        start, size = end, min(2 * size, _MAX_READ)
    if found:
        return found
    if start >= len(rows):  # a small tier, read whole
        return seating.best_available_free(read, quantity, limit=limit)
    mirror, held = await sold.taken_in_tier(facts.event_id, facts.token, tier)
    if sum(len(row.seat_ids) for row in rows) > _THREAD_FROM:
        return await asyncio.to_thread(_rank_free, rows, mirror, held, quantity, limit)
    return _rank_free(rows, mirror, held, quantity, limit)


def _rank_free(
    rows: Sequence[TierRow], mirror: list[str], held: list[str], quantity: int, limit: int
) -> list[list[str]]:
    """The rules over the free seats of every row, from what is taken in the whole tier;
    stops at ``limit`` runs like the slices do. ``mirror``: the sold mirror's field names
    (``s:<seat>`` for a sold seat)."""
    if SOLD_SENTINEL not in mirror:
        raise MirrorMissing()  # an older format: rebuilt, then read again
    taken = {f[2:] for f in mirror if f.startswith("s:")}
    taken.update(held)
    free: list[seating.FreeRow] = []
    found: list[list[str]] = []
    for row in rows:
        free += _free([row], taken)
        found += seating.adjacent_runs(free[-1:], quantity, limit=limit - len(found))
        if len(found) >= limit:
            return found
    return found or seating.best_available_free(free, quantity, limit=limit)


def _free(rows: Sequence[TierRow], taken: set[str]) -> list[seating.FreeRow]:
    """The free seats of each row (the rules never look at taken ones)."""
    free: list[seating.FreeRow] = []
    for row in rows:
        keep = [i for i, seat_id in enumerate(row.seat_ids) if seat_id not in taken]
        free.append(([row.seat_ids[i] for i in keep], [row.numbers[i] for i in keep]))
    return free


async def _read_rows(
    sold: SoldMirror, event_id: uuid.UUID, rows: Sequence[TierRow]
) -> list[seating.FreeRow]:
    taken = await sold.taken_seats(event_id, [s for row in rows for s in row.seat_ids])
    return _free(rows, taken)
