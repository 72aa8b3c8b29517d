"""The seating generator and best-available picking: examples and properties (hypothesis)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from event_service import domain, seating
from event_service.domain import SectionSpec, TierSpec
from event_service.seating import RowSeat

START = datetime(2030, 5, 1, 20, 0, tzinfo=UTC)
LABEL = st.text(alphabet="ABCDEFGHJK0123456789", min_size=1, max_size=3)


def row(number_free: str) -> list[RowSeat]:
    """``"x.xx."`` → seats 1..5 where ``x`` is free and ``.`` taken."""
    return [RowSeat(f"S-R-{i + 1}", i + 1, c == "x") for i, c in enumerate(number_free)]


def ids(groups: list[list[str]]) -> list[list[int]]:
    return [[int(s.rsplit("-", 1)[1]) for s in g] for g in groups]


def test_adjacent_runs_come_front_row_first_and_never_overlap_when_rows_have_room() -> None:
    groups = seating.best_available([row("xxxxx"), row("xxxxx")], 2, limit=3)
    assert ids(groups) == [[1, 2], [3, 4], [1, 2]]


def test_a_run_is_preferred_in_a_later_row_over_a_split_in_an_earlier_one() -> None:
    first, second = row("x.x.x"), [RowSeat(f"S-Q-{i}", i, True) for i in (1, 2, 3)]
    groups = seating.best_available([first, second], 3, limit=2)
    assert groups == [["S-Q-1", "S-Q-2", "S-Q-3"]]


def test_tightest_row_wins_when_no_row_has_adjacent_seats() -> None:
    wide, tight = row("x...x.x"), [RowSeat(f"S-Q-{i}", i, i in (2, 4, 5)) for i in range(1, 7)]
    groups = seating.best_available([wide, tight], 3, limit=2)
    assert groups[0] == ["S-Q-2", "S-Q-4", "S-Q-5"]  # spans 3 numbers, the first row spans 7


def test_seats_spread_over_rows_when_no_row_has_enough() -> None:
    groups = seating.best_available([row("x...."), row("..x.x")], 3)
    assert groups == [["S-R-1", "S-R-3", "S-R-5"]]


def test_nothing_is_offered_when_too_few_seats_are_free() -> None:
    assert seating.best_available([row("x...."), row("....x")], 3) == []


rows_strategy = st.lists(
    st.lists(st.booleans(), min_size=1, max_size=12), min_size=1, max_size=6
).map(
    lambda rows: [
        [RowSeat(f"S-{r}-{n + 1}", n + 1, free) for n, free in enumerate(row)]
        for r, row in enumerate(rows)
    ]
)


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, quantity=st.integers(min_value=1, max_value=6))
def test_best_available_offers_only_free_distinct_non_overlapping_groups(
    rows: list[list[RowSeat]], quantity: int
) -> None:
    groups = seating.best_available(rows, quantity, limit=8)
    free = {s.seat_id for r in rows for s in r if s.free}
    offered = [s for g in groups for s in g]
    assert all(len(g) == quantity for g in groups)
    assert set(offered) <= free and len(offered) == len(set(offered))
    assert (groups == []) == (len(free) < quantity)
    has_run = any(
        all(s.free for s in r[i : i + quantity]) and len(r[i : i + quantity]) == quantity
        for r in rows
        for i in range(len(r))
    )
    if has_run:  # then every group is a run of adjacent seats in one row
        for group in groups:
            parts = [s.split("-") for s in group]
            assert len({p[1] for p in parts}) == 1
            numbers = [int(p[2]) for p in parts]
            assert numbers == list(range(numbers[0], numbers[0] + quantity))


section_strategy = st.lists(
    st.tuples(
        LABEL,
        st.sampled_from(["vip", "std"]),
        st.lists(LABEL, min_size=1, max_size=4, unique=True),
        st.integers(min_value=1, max_value=30),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda s: s[0],
)


@settings(max_examples=80, deadline=None)
@given(sections=section_strategy)
def test_generator_lays_out_every_seat_once_with_section_row_number_ids(
    sections: list[tuple[str, str, list[str], int]],
) -> None:
    specs = [SectionSpec(s, t, rows, n) for s, t, rows, n in sections]
    used = sorted({t for _, t, _, _ in sections})
    seats = domain.plan_event(
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        sales_start_at=START - timedelta(days=1),
        sales_end_at=None,
        tiers=[TierSpec(t, t.upper(), 100) for t in used],
        seating=specs,
    )
    assert len(seats) == sum(len(rows) * n for _, _, rows, n in sections)
    assert len({s.seat_id for s in seats}) == len(seats)
    for seat in seats:
        assert re.fullmatch(r"[A-Z0-9]+-[A-Z0-9]+-\d+", seat.seat_id)
        assert seat.seat_id == f"{seat.section}-{seat.row}-{seat.number}"
    by_section = {s: t for s, t, _, _ in sections}
    assert all(seat.tier == by_section[seat.section] for seat in seats)
    assert domain.sections_of(seats) == specs  # the layout can be read back from the seats
