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

The rules only ever look at free seats (a taken seat breaks a run, and the numbers of the free
seats around it show that gap just as well), so they work on each row's free seats alone
(``FreeRow``): on a 100,000-seat tier that is two lists per row instead of an object per seat.
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
# The free seats of one row, left to right: their ids and their numbers.
FreeRow = tuple[Sequence[str], Sequence[int]]


def free_row(row: Row) -> FreeRow:
    free = sorted((s for s in row if s.free), key=lambda s: s.number)
    return [s.seat_id for s in free], [s.number for s in free]


def adjacent_runs(rows: Iterable[FreeRow], quantity: int, *, limit: int) -> list[list[str]]:
    """Rule 2: up to ``limit`` non-overlapping runs of ``quantity`` adjacent free seats."""
    found: list[list[str]] = []
    if limit <= 0:
        return found
    for ids, numbers in rows:
        start = 0  # where the current run of consecutive numbers begins
        for i in range(len(numbers)):
            if i > start and numbers[i] != numbers[i - 1] + 1:
                start = i
            if i - start + 1 == quantity:
                found.append(list(ids[start : i + 1]))
                if len(found) >= limit:
                    return found
                start = i + 1
    return found


def tightest_in_row(rows: Sequence[FreeRow], quantity: int, *, limit: int) -> list[list[str]]:
    """Rule 3: per row, the ``quantity`` free seats spanning the fewest numbers; best rows first."""
    ranked: list[tuple[int, int, list[str]]] = []
    for rank, (ids, numbers) in enumerate(rows):
        if len(numbers) < quantity:
            continue
        best = min(
            range(len(numbers) - quantity + 1),
            key=lambda i: numbers[i + quantity - 1] - numbers[i],
        )
        span = numbers[best + quantity - 1] - numbers[best]
        ranked.append((span, rank, list(ids[best : best + quantity])))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [seats for _, _, seats in ranked[:limit]]


def spread_over_rows(rows: Sequence[FreeRow], quantity: int) -> list[str] | None:
    """Rule 4: the free seats of the best rows, in rank order; None if there are too few."""
    picked: list[str] = []
    for ids, _ in rows:
        picked += ids[: quantity - len(picked)]
        if len(picked) == quantity:
            return picked
    return None


def best_available_free(
    rows: Sequence[FreeRow], quantity: int, *, limit: int = 8
) -> list[list[str]]:
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


def best_available(rows: Sequence[Row], quantity: int, *, limit: int = 8) -> list[list[str]]:
    """``best_available_free`` over rows of seats with their status."""
    return best_available_free([free_row(row) for row in rows], quantity, limit=limit)
