"""Pure rules of events, seat maps and holds: no I/O, no framework."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.errors import Conflict, DomainError

MAX_SEATS_PER_EVENT = 100_000


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SeatStatus(StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    SOLD = "sold"


# --- errors -----------------------------------------------------------------------------------


class ValidationFailed(DomainError):
    """422 with the contract's ``details.fields`` shape, for rules spanning several fields."""

    status_code, code, message = 422, "validation_error", "The request has invalid fields."

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        fields = [
            {"field": field, "location": "body", "message": message, "type": "value_error"}
            for field, message in problems
        ]
        super().__init__(details={"fields": fields})
        self.problems = list(problems)


class SalesClosed(Conflict):
    code, message = "sales_closed", "Tickets for this event are not on sale now."


class LimitExceeded(Conflict):
    code, message = "limit_exceeded", "Too many tickets in one order."


class BuyerLimitExceeded(LimitExceeded):
    def __init__(self, *, limit: int, current: int, requested: int) -> None:
        super().__init__(
            f"At most {limit} tickets per buyer for this event; you already have {current}.",
            details={
                "max_tickets_per_buyer": limit,
                "limit": limit,
                "current": current,
                "requested": requested,
            },
        )


class SeatsUnavailable(Conflict):
    code = "seats_unavailable"

    def __init__(self, unavailable: Sequence[str]) -> None:
        ids = list(unavailable)
        super().__init__(
            f"Seats {', '.join(ids)} are no longer available.",
            details={"unavailable": ids},
        )


class TierSoldOut(Conflict):
    code = "seats_unavailable"

    def __init__(self, tier: str, quantity: int) -> None:
        super().__init__(
            f"{quantity} place(s) in tier {tier} are not available.",
            details={"unavailable": [tier], "tier": tier, "quantity": quantity},
        )


class HoldExpired(Conflict):
    code, message = "hold_expired", "The hold has expired or does not exist."


class InventoryBusy(Conflict):
    code, message = "invalid_state", "Tickets are held or sold; tiers and seats cannot change now."


class OversellDetected(RuntimeError):
    """A sale collides with another booking's sale: must never happen, never passes quietly."""


# --- creating an event ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierSpec:
    code: str
    name: str
    price: int
    capacity: int | None = None

    @property
    def general_admission(self) -> bool:
        return self.capacity is not None


@dataclass(frozen=True, slots=True)
class SectionSpec:
    section: str
    tier: str
    rows: Sequence[str]
    seats_per_row: int


@dataclass(frozen=True, slots=True)
class SeatSpec:
    seat_id: str
    section: str
    row: str
    number: int
    tier: str


def seat_id_of(section: str, row: str, number: int) -> str:
    return f"{section}-{row}-{number}"


def plan_event(
    *,
    starts_at: datetime,
    ends_at: datetime,
    sales_start_at: datetime,
    sales_end_at: datetime | None,
    tiers: Sequence[TierSpec],
    seating: Sequence[SectionSpec],
) -> list[SeatSpec]:
    """Check the rules spanning fields of a new event and lay out its seats (ValidationFailed)."""
    problems = _time_problems(starts_at, ends_at, sales_start_at, sales_end_at)

    by_code: dict[str, TierSpec] = {}
    for index, tier in enumerate(tiers):
        if tier.code in by_code:
            problems.append((f"tiers.{index}.code", f"tier code {tier.code!r} is used twice"))
        by_code[tier.code] = tier
        if tier.price < 0:
            problems.append((f"tiers.{index}.price", "price must be 0 or more"))

    seats: list[SeatSpec] = []
    seated_tiers: set[str] = set()
    total = 0
    for index, section in enumerate(seating):
        seated = by_code.get(section.tier)
        if seated is None:
            problems.append((f"seating.{index}.tier", f"no tier {section.tier!r}"))
            continue
        if seated.general_admission:
            problems.append(
                (f"seating.{index}.tier", f"tier {section.tier!r} is general admission")
            )
            continue
        seated_tiers.add(seated.code)
        total += len(section.rows) * section.seats_per_row
        if total > MAX_SEATS_PER_EVENT:
            continue
        seats.extend(
            SeatSpec(seat_id_of(section.section, row, n), section.section, row, n, seated.code)
            for row in section.rows
            for n in range(1, section.seats_per_row + 1)
        )
    if total > MAX_SEATS_PER_EVENT:
        problems.append(("seating", f"at most {MAX_SEATS_PER_EVENT} seats per event"))
    for index, tier in enumerate(tiers):
        if not tier.general_admission and tier.code not in seated_tiers:
            problems.append(
                (f"tiers.{index}", f"tier {tier.code!r} has no capacity and no seats in seating")
            )
    duplicates = sorted(sid for sid, n in Counter(s.seat_id for s in seats).items() if n > 1)
    if duplicates:
        shown = ", ".join(duplicates[:5])
        problems.append(("seating", f"seat ids repeat: {shown}"))
    if problems:
        raise ValidationFailed(problems)
    return seats


# --- selling ----------------------------------------------------------------------------------


def sales_open(
    *,
    status: str,
    deleted: bool,
    sales_start_at: datetime,
    sales_end_at: datetime | None,
    ends_at: datetime,
    now: datetime,
) -> bool:
    """Published, not deleted, and inside the sales window (which closes at the end at latest)."""
    if status != EventStatus.PUBLISHED or deleted:
        return False
    closes_at = sales_end_at if sales_end_at is not None else ends_at
    return sales_start_at <= now < closes_at


def check_order_size(count: int, *, max_per_order: int) -> None:
    if count > max_per_order:
        raise order_limit_exceeded(max_per_order, count)


def order_limit_exceeded(max_per_order: int, requested: int) -> LimitExceeded:
    return LimitExceeded(
        f"At most {max_per_order} tickets per order.",
        details={
            "max_tickets_per_order": max_per_order,
            "limit": max_per_order,
            "requested": requested,
        },
    )


def check_times(
    *,
    starts_at: datetime,
    ends_at: datetime,
    sales_start_at: datetime,
    sales_end_at: datetime | None,
) -> None:
    """The time rules of an event (ValidationFailed)."""
    problems = _time_problems(starts_at, ends_at, sales_start_at, sales_end_at)
    if problems:
        raise ValidationFailed(problems)


def _time_problems(
    starts_at: datetime, ends_at: datetime, sales_start_at: datetime, sales_end_at: datetime | None
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if ends_at <= starts_at:
        problems.append(("ends_at", "ends_at must be after starts_at"))
    if sales_end_at is not None and sales_end_at <= sales_start_at:
        problems.append(("sales_end_at", "sales_end_at must be after sales_start_at"))
    return problems


def sections_of(seats: Sequence[SeatSpec]) -> list[SectionSpec]:
    """The seating spec that lays out ``seats`` again (sections keep their first-seen order)."""
    order: list[str] = []
    rows: dict[str, list[str]] = {}
    tier: dict[str, str] = {}
    width: dict[str, int] = {}
    for seat in seats:
        if seat.section not in rows:
            order.append(seat.section)
            rows[seat.section] = []
            tier[seat.section] = seat.tier
            width[seat.section] = 0
        if seat.row not in rows[seat.section]:
            rows[seat.section].append(seat.row)
        width[seat.section] = max(width[seat.section], seat.number)
    return [SectionSpec(s, tier[s], rows[s], width[s]) for s in order]


def can_cancel(status: str) -> bool:
    return status in (EventStatus.DRAFT, EventStatus.PUBLISHED)


def can_edit(status: str) -> bool:
    return status in (EventStatus.DRAFT, EventStatus.PUBLISHED)


def available(*, capacity: int, held: int, sold: int) -> int:
    return max(0, capacity - held - sold)


def held_from_counter(*, capacity: int, sold: int, counter: int | None) -> int:
    """General admission: what the counter lacks beyond the sales is held (0 if no counter yet)."""
    if counter is None:
        return 0
    return max(0, capacity - sold - counter)


def hold_member(hold_id: str, tiers: Iterable[str]) -> str:
    """The hold's entry in the event's expiry index: ``<hold_id>|<tier>:<n>,...`` (sorted).

    Deterministic from the places, so a message about a booking can name its hold's entry.
    """
    counts = Counter(tiers)
    return hold_id + "|" + ",".join(f"{tier}:{counts[tier]}" for tier in sorted(counts))


def parse_hold_member(member: str) -> tuple[str, dict[str, int]]:
    hold_id, _, counts = member.partition("|")
    parsed: dict[str, int] = {}
    for part in counts.split(","):
        if part:
            tier, _, n = part.rpartition(":")
            parsed[tier] = int(n)
    return hold_id, parsed


def seat_map_etag(*, version: str, sold: Iterable[str], held: Iterable[str]) -> str:
    """A weak validator that changes whenever any seat changes status (or the event changes):
    a seat's status follows from the layout (changes ``version``), the sold and the held seats."""
    digest = hashlib.blake2b(version.encode(), digest_size=16)
    for seats in (sold, held):
        digest.update(b"\x01")
        digest.update("\x00".join(sorted(seats)).encode())
    return f'W/"{digest.hexdigest()}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    weak = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == weak for tag in if_none_match.split(","))
