"""What the hold store deals in: places, holds, limits, and its few errors."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from event_service.holds.keys import Keys
from event_service.holds.sale_scripts import (
    CONSUME,
    SEAT_STATES,
    SNAPSHOT,
    SWEEP_EVENT,
    SWEEP_SETTLE,
    UNDO,
)
from event_service.holds.scripts import ADMIT, CLAIM, HOLD_GENERAL, HOLD_SEATS, RELEASE
from event_service.settings import Settings


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
    (live holds plus places sold, both counted in Redis — see ``sale_scripts.CONSUME``), and the
    event's hold rules: live holds per client ``address`` (``max_per_address`` None: no cap;
    address '': not counted) and the cool-down after a lapsed hold (checked if
    ``check_cooldown``; lapses are remembered ``cooldown_seconds``). ``exclude_hold``: a live
    hold of the buyer's not to count (the re-take's own earlier hold)."""

    max_per_order: int
    max_per_buyer: int
    address: str = ""
    max_per_address: int | None = None
    cooldown_seconds: int = 0
    check_cooldown: bool = False
    exclude_hold: str = ""

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
        }


class MirrorMissing(Exception):
    """Redis has no sold-seat mirror of the event: rebuild it from PostgreSQL, then retry."""


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
    """The client address has as many live holds of the event as it may."""

    def __init__(self, current: int) -> None:
        super().__init__(str(current))
        self.current = current


class GeneralSoldOut(Exception):
    def __init__(self, left: int) -> None:
        super().__init__(str(left))
        self.left = left


def now_ms() -> int:
    return int(time.time() * 1000)


def from_ms(ms: int | float) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def ga_member(hold_id: str, places: Iterable[Place]) -> str:
    """The hold's entry in the general-admission expiry index (``''`` for reserved seats)."""
    counts = Counter(p.tier for p in places if p.seat_id is None)
    if not counts:
        return ""
    return hold_id + "|" + ",".join(f"{tier}:{counts[tier]}" for tier in sorted(counts))


def buyer_member(hold_id: str, quantity: int) -> str:
    return f"{hold_id}|{quantity}"


class StoreBase:
    """Redis client, settings, key names and the registered scripts."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.keys = Keys(settings)
        self._hold_seats = redis.register_script(HOLD_SEATS)
        self._hold_general = redis.register_script(HOLD_GENERAL)
        self._admit = redis.register_script(ADMIT)
        self._release = redis.register_script(RELEASE)
        self._claim = redis.register_script(CLAIM)
        self._consume = redis.register_script(CONSUME)
        self._undo = redis.register_script(UNDO)
        self._snapshot = redis.register_script(SNAPSHOT)
        self._seat_states = redis.register_script(SEAT_STATES)
        self._sweep_event = redis.register_script(SWEEP_EVENT)
        self._sweep_settle = redis.register_script(SWEEP_SETTLE)

    async def _eval_many(
        self,
        script: AsyncScript,
        calls: Sequence[tuple[list[str], list[str]]],
        *,
        get: str | None = None,
    ) -> list[Any]:
        """Run ``script`` once per ``(keys, args)`` in one round trip (a pipeline of EVALSHA,
        after ``GET get`` if given); on NOSCRIPT load it and run again. (redis-py's own
        pipelined scripts would ask SCRIPT EXISTS first: a second round trip every time.)"""
        for attempt in (1, 2):
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    if get is not None:
                        pipe.get(get)
                    for keys, args in calls:
                        pipe.evalsha(script.sha, len(keys), *keys, *args)
                    result: list[Any] = await pipe.execute()
                    return result
            except NoScriptError:
                if attempt == 2:
                    raise
                await self.redis.script_load(script.script)
        raise AssertionError("unreachable")

    def _tiers_of(self, places: Sequence[Place]) -> list[str]:
        """Distinct tiers of the reserved seats among ``places``, in first-seen order."""
        return list(dict.fromkeys(p.tier for p in places if p.seat_id is not None))

    def _seat_args(
        self, event_id: uuid.UUID, places: Sequence[Place]
    ) -> tuple[list[str], list[list[object]], list[str]]:
        """(tier zset keys, [[seat, tier index, tier]], seat keys) of the reserved places."""
        tiers = self._tiers_of(places)
        index = {t: i + 1 for i, t in enumerate(tiers)}
        seats = [p for p in places if p.seat_id is not None]
        return (
            [self.keys.held(event_id, t) for t in tiers],
            [[p.seat_id, index[p.tier], p.tier] for p in seats],
            [self.keys.seat(event_id, p.seat_id) for p in seats if p.seat_id is not None],
        )
