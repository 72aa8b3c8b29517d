"""Best-available seat picking — pure: no I/O, no framework.

The rule (documented in the README):

1. Rows are ranked in layout order (sections in the order they were created, rows in the order
   given, i.e. the organizer's "best first"). Within a row, seats are numbered left to right.
2. Wanted: ``quantity`` *adjacent* free seats (consecutive numbers) in one row. Candidates are
   the non-overlapping runs of free seats, front row first, left first.
3. If no row has such a run, the best *contiguous-as-possible* set in one row: in each row with
   at least ``quantity`` free seats, the ``quantity`` free seats spanning the fewest seat numbers;
   rows ranked by that span, then by row rank.
4. If no single row has enough free seats, the free seats of the best rows are filled in rank
   order (most of the group together, the rest in the next rows) — one candidate.

The candidates go to the hold script in preference order; it takes the first one whose seats are
all still free, atomically. Candidates never overlap, so racing requests spread over them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowSeat:
    seat_id: str
    number: int
    free: bool


Row = Sequence[RowSeat]


def adjacent_runs(rows: Iterable[Row], quantity: int, *, limit: int) -> list[list[str]]:
    """Rule 2: up to ``limit`` non-overlapping runs of ``quantity`` adjacent free seats."""
    found: list[list[str]] = []
    for row in rows:
        run: list[RowSeat] = []
        for seat in sorted(row, key=lambda s: s.number):
            if seat.free and (not run or seat.number == run[-1].number + 1):
                run.append(seat)
            else:
                run = [seat] if seat.free else []
            if len(run) == quantity:
                found.append([s.seat_id for s in run])
                if len(found) >= limit:
                    return found
                run = []
    return found


def tightest_in_row(rows: Sequence[Row], quantity: int, *, limit: int) -> list[list[str]]:
    """Rule 3: per row, the ``quantity`` free seats spanning the fewest numbers; best rows first."""
    ranked: list[tuple[int, int, list[str]]] = []
    for rank, row in enumerate(rows):
        free = sorted((s for s in row if s.free), key=lambda s: s.number)
        if len(free) < quantity:
            continue
        best = min(
            range(len(free) - quantity + 1),
            key=lambda i: free[i + quantity - 1].number - free[i].number,
        )
        window = free[best : best + quantity]
        ranked.append((window[-1].number - window[0].number, rank, [s.seat_id for s in window]))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [seats for _, _, seats in ranked[:limit]]


def spread_over_rows(rows: Sequence[Row], quantity: int) -> list[str] | None:
    """Rule 4: the free seats of the best rows, in rank order; None if there are too few."""
    picked: list[str] = []
    for row in rows:
        for seat in sorted(row, key=lambda s: s.number):
            if seat.free:
                picked.append(seat.seat_id)
                if len(picked) == quantity:
                    return picked
    return None


def best_available(rows: Sequence[Row], quantity: int, *, limit: int = 8) -> list[list[str]]:
    """Candidate seat groups in preference order (empty: fewer than ``quantity`` seats free)."""
    if quantity <= 0:
        return []
    runs = adjacent_runs(rows, quantity, limit=limit)
    if runs:
        return runs
    tight = tightest_in_row(rows, quantity, limit=limit)
    if tight:
        return tight
    spread = spread_over_rows(rows, quantity)
    return [spread] if spread else []
