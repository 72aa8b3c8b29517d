"""Pure rules of events, seat maps and holds: no I/O, no framework."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.errors import Conflict, DomainError, Forbidden, RateLimited

MAX_PLACES_PER_EVENT = 100_000  # seats and general-admission capacity together
# A lapsed hold is remembered this long at most (the buyer's key outlives its last hold by the
# event's cool-down, which may not be longer).
MAX_REHOLD_COOLDOWN_SECONDS = 3600


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


class AddressLimitExceeded(LimitExceeded):
    def __init__(self, *, limit: int, current: int) -> None:
        super().__init__(
            f"At most {limit} live holds per client address for this event.",
            details={
                "max_live_holds_per_address": limit,
                "limit": limit,
                "current": current,
                "requested": 1,
            },
        )


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    message = "Verify your email address to hold tickets for this event."


class ReholdCooldown(RateLimited):
    def __init__(self, *, retry_after: int, cooldown: int) -> None:
        message = f"A hold of yours for this event lapsed; you may hold again in {retry_after} s."
        details = {"retry_after_seconds": retry_after, "rehold_cooldown_seconds": cooldown}
        super().__init__(message, retry_after=retry_after, details=details)


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


class WaitingRoomDisabled(Conflict):
    code, message = "waiting_room_disabled", "This event has no waiting room."


class AdmissionRequired(Forbidden):
    code = "admission_required"
    message = "Holds for this event need your admission from its waiting room (X-Admission-Token)."


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
    now: datetime | None = None,
    moved: Collection[str] = (),
) -> list[SeatSpec]:
    """Check the rules spanning fields of an event and lay out its seats (ValidationFailed).
    ``moved``: the times that are new (on create ``starts_at``), which must be after ``now``."""
    problems = _time_problems(
        TimeRules(starts_at, ends_at, sales_start_at, sales_end_at), now=now, moved=moved
    )
    problems += _tier_problems(tiers)
    seats, layout_problems = _lay_out(tiers, seating)
    problems += layout_problems
    if problems:
        raise ValidationFailed(problems)
    return seats


def _tier_problems(tiers: Sequence[TierSpec]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, tier in enumerate(tiers):
        if tier.code in seen:
            problems.append((f"tiers.{index}.code", f"tier code {tier.code!r} is used twice"))
        seen.add(tier.code)
        if tier.price < 0:
            problems.append((f"tiers.{index}.price", "price must be 0 or more"))
    return problems


def _lay_out(
    tiers: Sequence[TierSpec], seating: Sequence[SectionSpec]
) -> tuple[list[SeatSpec], list[tuple[str, str]]]:
    """The seats of ``seating``, and what is wrong with it. A reserved tier without seats is
    fine: it has no places until the organizer adds some (API.md's own example has one)."""
    problems: list[tuple[str, str]] = []
    by_code = {tier.code: tier for tier in tiers}
    seats: list[SeatSpec] = []
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
        total += len(section.rows) * section.seats_per_row
        if total > MAX_PLACES_PER_EVENT:
            continue
        seats.extend(
            SeatSpec(seat_id_of(section.section, row, n), section.section, row, n, seated.code)
            for row in section.rows
            for n in range(1, section.seats_per_row + 1)
        )
    general = sum(t.capacity or 0 for t in tiers)
    if total > MAX_PLACES_PER_EVENT:
        problems.append(("seating", f"at most {MAX_PLACES_PER_EVENT} seats per event"))
    elif total + general > MAX_PLACES_PER_EVENT:
        problems.append(
            (
                "tiers",
                f"at most {MAX_PLACES_PER_EVENT} places per event, seats and general-admission "
                f"capacity together ({total} seats + {general} general admission)",
            )
        )
    duplicates = sorted(sid for sid, n in Counter(s.seat_id for s in seats).items() if n > 1)
    if duplicates:
        shown = ", ".join(duplicates[:5])
        problems.append(("seating", f"seat ids repeat: {shown}"))
    return seats, problems


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


@dataclass(frozen=True, slots=True)
class TimeRules:
    """The times of an event, as they are or would be after a change."""

    starts_at: datetime
    ends_at: datetime
    sales_start_at: datetime
    sales_end_at: datetime | None


def check_times(
    *,
    starts_at: datetime,
    ends_at: datetime,
    sales_start_at: datetime,
    sales_end_at: datetime | None,
    now: datetime | None = None,
    moved: Collection[str] = (),
) -> None:
    """The time rules of an event (ValidationFailed); ``moved`` as in ``plan_event``."""
    times = TimeRules(starts_at, ends_at, sales_start_at, sales_end_at)
    problems = _time_problems(times, now=now, moved=moved)
    if problems:
        raise ValidationFailed(problems)


def _time_problems(
    times: TimeRules, *, now: datetime | None, moved: Collection[str]
) -> list[tuple[str, str]]:
    """``starts_at < ends_at``; ``sales_start_at < sales_end_at <= ends_at`` (a sale never
    outlives the event, nor starts after it); the ``moved`` times after ``now``."""
    problems: list[tuple[str, str]] = []
    if now is not None:
        for name in ("starts_at", "ends_at"):
            if name in moved and getattr(times, name) <= now:
                problems.append((name, f"{name} must be in the future"))
    if times.ends_at <= times.starts_at:
        problems.append(("ends_at", "ends_at must be after starts_at"))
    if times.sales_start_at >= times.ends_at:
        problems.append(("sales_start_at", "sales_start_at must be before ends_at"))
    if times.sales_end_at is not None:
        if times.sales_end_at <= times.sales_start_at:
            problems.append(("sales_end_at", "sales_end_at must be after sales_start_at"))
        elif times.sales_end_at > times.ends_at:
            problems.append(("sales_end_at", "sales_end_at must not be after ends_at"))
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
