"""Pure rules: event plans, the sales window, order limits, hold index entries, ETags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from event_service import domain
from event_service.domain import (
    LimitExceeded,
    SectionSpec,
    TierSpec,
    ValidationFailed,
)

START = datetime(2030, 5, 1, 20, 0, tzinfo=UTC)
END = START + timedelta(hours=3)
SALES = START - timedelta(days=30)
TIERS = [TierSpec("vip", "VIP", 8000), TierSpec("floor", "Floor", 3000, capacity=100)]


def plan(**overrides: Any) -> list[domain.SeatSpec]:
    args: dict[str, Any] = {
        "starts_at": START,
        "ends_at": END,
        "sales_start_at": SALES,
        "sales_end_at": None,
        "tiers": TIERS,
        "seating": [SectionSpec("A", "vip", ["A", "B"], 3)],
    }
    args.update(overrides)
    return domain.plan_event(**args)


def fields_of(error: ValidationFailed) -> set[str]:
    return {f for f, _ in error.problems}


def test_plan_lays_out_section_row_number_seats_when_valid() -> None:
    seats = plan()
    assert [s.seat_id for s in seats] == ["A-A-1", "A-A-2", "A-A-3", "A-B-1", "A-B-2", "A-B-3"]
    assert {s.tier for s in seats} == {"vip"}


def test_plan_refuses_end_before_start_when_times_are_swapped() -> None:
    with pytest.raises(ValidationFailed) as caught:
        plan(ends_at=START)
    assert fields_of(caught.value) == {"ends_at"}
    assert caught.value.status_code == 422


def test_plan_refuses_sales_end_before_sales_start() -> None:
    with pytest.raises(ValidationFailed) as caught:
        plan(sales_end_at=SALES - timedelta(minutes=1))
    assert fields_of(caught.value) == {"sales_end_at"}


def test_plan_refuses_seats_for_a_general_admission_tier() -> None:
    seating = [SectionSpec("A", "vip", ["A"], 2), SectionSpec("B", "floor", ["A"], 2)]
    with pytest.raises(ValidationFailed) as caught:
        plan(seating=seating)
    assert fields_of(caught.value) == {"seating.1.tier"}


def test_plan_refuses_unknown_tier_when_seating_names_one() -> None:
    with pytest.raises(ValidationFailed) as caught:
        plan(seating=[SectionSpec("A", "gold", ["A"], 2)])
    assert fields_of(caught.value) == {"seating.0.tier"}


def test_plan_accepts_a_reserved_tier_without_seats_when_it_has_none_yet() -> None:
    tiers = [*TIERS, TierSpec("vvip", "VVIP", 20000)]
    assert {s.tier for s in plan(tiers=tiers)} == {"vip"}


def test_plan_refuses_duplicate_codes_negative_prices_and_repeated_seats() -> None:
    tiers = [TierSpec("vip", "VIP", -1), TierSpec("vip", "VIP", 5)]
    seating = [SectionSpec("A", "vip", ["A"], 2), SectionSpec("A", "vip", ["A"], 2)]
    with pytest.raises(ValidationFailed) as caught:
        plan(tiers=tiers, seating=seating)
    assert fields_of(caught.value) == {"tiers.0.price", "tiers.1.code", "seating"}


def test_plan_refuses_more_than_100k_seats_when_sections_add_up() -> None:
    seating = [SectionSpec(str(i), "vip", ["A"], 10_000) for i in range(11)]
    with pytest.raises(ValidationFailed) as caught:
        plan(seating=seating)
    assert "seating" in fields_of(caught.value)


def test_plan_accepts_exactly_100k_places_when_seats_and_capacity_add_up() -> None:
    seating = [SectionSpec(str(i), "vip", ["A"], 10_000) for i in range(10)]
    seated = [TierSpec("vip", "VIP", 8000)]
    assert len(plan(tiers=seated, seating=seating)) == domain.MAX_PLACES_PER_EVENT
    mixed = [SectionSpec(str(i), "vip", ["A"], 10_000) for i in range(9)]
    tiers = [TierSpec("vip", "VIP", 8000), TierSpec("floor", "Floor", 3000, capacity=10_000)]
    assert len(plan(tiers=tiers, seating=mixed)) == 90_000


def test_plan_refuses_general_admission_capacity_past_the_cap_when_added_to_seats() -> None:
    tiers = [TierSpec(f"ga{i}", "GA", 100, capacity=100_000) for i in range(50)]
    with pytest.raises(ValidationFailed) as caught:
        plan(tiers=tiers, seating=[])
    assert fields_of(caught.value) == {"tiers"}
    one_over = [TierSpec("vip", "VIP", 8000), TierSpec("floor", "Floor", 1, capacity=99_995)]
    with pytest.raises(ValidationFailed) as caught:
        plan(tiers=one_over)  # 6 seats + 99,995 places
    assert fields_of(caught.value) == {"tiers"}


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"starts_at": START - timedelta(days=400), "ends_at": END}, {"starts_at"}),
        ({"sales_end_at": END + timedelta(minutes=1)}, {"sales_end_at"}),
        ({"sales_start_at": END + timedelta(days=1)}, {"sales_start_at"}),
        ({"sales_start_at": END}, {"sales_start_at"}),
    ],
    ids=["starts-in-the-past", "sales-end-after-the-event", "sales-start-after-end", "at-end"],
)
def test_plan_refuses_times_when_they_break_a_rule(
    overrides: dict[str, Any], fields: set[str]
) -> None:
    now = START - timedelta(days=200)
    with pytest.raises(ValidationFailed) as caught:
        plan(now=now, moved=("starts_at",), **overrides)
    assert fields_of(caught.value) == fields


def test_plan_accepts_a_sales_window_ending_with_the_event_and_a_past_start_not_moved() -> None:
    assert plan(sales_end_at=END)
    # an event already running may be edited as long as its start is not moved
    assert plan(now=START + timedelta(hours=1), moved=())


def test_check_times_refuses_moving_the_end_into_the_past_when_patched() -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.check_times(
            starts_at=START,
            ends_at=START + timedelta(minutes=30),
            sales_start_at=SALES,
            sales_end_at=None,
            now=START + timedelta(hours=1),
            moved=("ends_at",),
        )
    assert fields_of(caught.value) == {"ends_at"}


@pytest.mark.parametrize(
    ("status", "deleted", "now", "sales_end", "expected"),
    [
        ("published", False, START - timedelta(days=1), None, True),
        ("draft", False, START - timedelta(days=1), None, False),
        ("cancelled", False, START - timedelta(days=1), None, False),
        ("published", True, START - timedelta(days=1), None, False),
        ("published", False, SALES - timedelta(seconds=1), None, False),
        ("published", False, END, None, False),
        ("published", False, START - timedelta(days=1), START - timedelta(days=2), False),
    ],
)
def test_sales_open_only_when_published_and_inside_the_window(
    status: str, deleted: bool, now: datetime, sales_end: datetime | None, expected: bool
) -> None:
    assert (
        domain.sales_open(
            status=status,
            deleted=deleted,
            sales_start_at=SALES,
            sales_end_at=sales_end,
            ends_at=END,
            now=now,
        )
        is expected
    )


def test_order_size_over_the_limit_is_limit_exceeded() -> None:
    domain.check_order_size(4, max_per_order=4)
    with pytest.raises(LimitExceeded) as caught:
        domain.check_order_size(5, max_per_order=4)
    assert caught.value.code == "limit_exceeded" and caught.value.status_code == 409


def test_availability_never_goes_below_zero() -> None:
    assert domain.available(capacity=10, held=3, sold=4) == 3
    assert domain.available(capacity=10, held=8, sold=4) == 0
    assert domain.held_from_counter(capacity=10, sold=4, counter=2) == 4
    assert domain.held_from_counter(capacity=10, sold=4, counter=None) == 0


def test_hold_member_is_deterministic_and_counts_each_tier() -> None:
    member = domain.hold_member("h1", ["vip", "standard", "vip"])
    assert member == domain.hold_member("h1", ["standard", "vip", "vip"])
    assert member == "h1|standard:1,vip:2"


def test_etag_changes_with_any_status_and_matches_weakly() -> None:
    etag = domain.seat_map_etag(version="v1", sold=["A-1"], held=["A-2", "A-3"])
    assert etag.startswith('W/"')
    assert etag == domain.seat_map_etag(version="v1", sold=["A-1"], held=["A-3", "A-2"])
    assert etag != domain.seat_map_etag(version="v1", sold=["A-1", "A-2"], held=["A-3"])
    assert etag != domain.seat_map_etag(version="v1", sold=["A-1"], held=["A-2"])
    assert etag != domain.seat_map_etag(version="v2", sold=["A-1"], held=["A-2", "A-3"])
    assert domain.etag_matches(etag, etag)
    assert domain.etag_matches(f'"x", {etag.removeprefix("W/")}', etag)
    assert not domain.etag_matches('W/"other"', etag)
    assert not domain.etag_matches(None, etag)
