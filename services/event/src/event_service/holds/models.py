"""What the hold store deals in: places, holds, limits, and its few errors."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from event_service.domain import hold_member


@dataclass(frozen=True, slots=True)
class Place:
    """One held place: a reserved seat, or (``seat_id`` None) a general-admission place."""

    seat_id: str | None
    tier: str
    price: int


@dataclass(frozen=True, slots=True)
class Hold:
    hold_id: str
    event_id: uuid.UUID
    user_id: uuid.UUID
    places: list[Place]
    tier: str | None
    quantity: int
    amount: int
    currency: str
    created_at: datetime
    expires_at: datetime
    claimed: bool
    address: str = ""  # the client address it was taken from ('' for re-takes)

    @property
    def seat_ids(self) -> list[str]:
        return [p.seat_id for p in self.places if p.seat_id is not None]

    def extended(self, expires_at: datetime) -> Hold:
        return replace(self, expires_at=expires_at, claimed=True)


@dataclass(frozen=True, slots=True)
class Limits:
    """What the hold script checks besides availability: order size and the buyer's total
    (live holds plus places sold, both counted in Redis — see ``lua/consume.lua``), and the
    event's hold rules: live holds per client ``address`` (``max_per_address`` None: no cap;
    address '': not counted) and the cool-down after a lapsed hold (checked if
    ``check_cooldown``; lapses are remembered ``cooldown_seconds``). ``exclude_hold``: a live
    hold of the buyer's not to count (the re-take's own earlier hold). The tier's waiting list
    goes first: refused while anyone waits, if ``yield_to_list``; ``offer_to``: the hold is the
    offer to that entry (``<tier>|<user>``), made only while it still waits."""

    max_per_order: int
    max_per_buyer: int
    address: str = ""
    max_per_address: int | None = None
    cooldown_seconds: int = 0
    check_cooldown: bool = False
    exclude_hold: str = ""
    yield_to_list: bool = True
    offer_to: str = ""

    @classmethod
    def none(cls) -> Limits:
        return cls(max_per_order=1_000_000, max_per_buyer=1_000_000)

    def payload(self) -> dict[str, Any]:
        """The script's parameters for these limits."""
        return {
            "max_order": self.max_per_order,
            "max_buyer": self.max_per_buyer,
            "addr": self.address,
            "max_addr": self.max_per_address if self.max_per_address is not None else -1,
            "cooldown": self.cooldown_seconds * 1000,
            "check_cooldown": self.check_cooldown,
            "exclude": self.exclude_hold,
            "gate": self.yield_to_list,
            "offer": self.offer_to,
        }


class MirrorMissing(Exception):
    """Redis has no sold-seat mirror of the event: rebuild it from PostgreSQL, then retry."""


class OfferGone(Exception):
    """The waiting-list entry an offer was for no longer waits (it left, or got one)."""


class FactsStale(Exception):
    """The event's facts changed since the caller read them: read them again, then retry."""


class ClaimRefused(Exception):
    """The claimant is not the hold's owner."""


class NoGroupFree(Exception):
    """None of the candidate seat groups was entirely free (``unavailable``: the first's)."""

    def __init__(self, unavailable: Sequence[str]) -> None:
        super().__init__(", ".join(unavailable))
        self.unavailable = list(unavailable)


class BuyerLimit(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(str(current))
        self.current = current


class OrderLimit(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(str(limit))
        self.limit = limit


class Cooldown(Exception):
    """The buyer let a hold of the event lapse; ``retry_ms`` until they may hold again."""

    def __init__(self, retry_ms: int) -> None:
        super().__init__(str(retry_ms))
        self.retry_ms = retry_ms


class AddressLimit(Exception):
    """The client address has as many live holds of the event as it may (``limit``)."""

    def __init__(self, current: int, limit: int) -> None:
        super().__init__(str(current))
        self.current, self.limit = current, limit


class GeneralSoldOut(Exception):
    def __init__(self, left: int) -> None:
        super().__init__(str(left))
        self.left = left


def from_ms(ms: int | float) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


_HOLD_ID = re.compile(r"([0-9a-f]{32})_[0-9a-f]{24}")


def new_hold_id(event_id: uuid.UUID) -> str:
    """``<event id, 32 hex>_<96 random bits, 24 hex>``: the claim, which knows only the hold
    id, finds the event in it — no index key to write with every hold."""
    return f"{event_id.hex}_{secrets.token_hex(12)}"


def event_of_hold(hold_id: str) -> uuid.UUID | None:
    """The event a hold id names; None for ids made before they carried it (a plain uuid4,
    found through the index key until such holds have lapsed)."""
    found = _HOLD_ID.fullmatch(hold_id)
    return uuid.UUID(hex=found.group(1)) if found else None


def ga_member(hold_id: str, places: Iterable[Place]) -> str:
    """The hold's entry in the general-admission expiry index (``''`` for reserved seats)."""
    general = [p.tier for p in places if p.seat_id is None]
    return hold_member(hold_id, general) if general else ""


def buyer_member(hold_id: str, quantity: int) -> str:
    return f"{hold_id}|{quantity}"
