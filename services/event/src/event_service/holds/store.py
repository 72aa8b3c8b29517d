"""Holds in Redis: taking them (all or nothing, within the limits and hold rules), reading,
claiming and releasing them, and giving back the places of lapsed general-admission holds."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic_core import to_json
from redis.asyncio import Redis

from event_service.clock import Clock
from event_service.holds import scripts
from event_service.holds.calls import freeing, list_keys, seat_args, tiers_of
from event_service.holds.keys import Keys
from event_service.holds.models import (
    ClaimRefused,
    FactsStale,
    Hold,
    Limits,
    Place,
    buyer_member,
    event_of_hold,
    from_ms,
    ga_member,
    new_hold_id,
)
from event_service.holds.scripts import Script, Scripts, dumps
from event_service.settings import Settings


@dataclass(frozen=True, slots=True)
class _Take:
    """What both hold scripts are told about the hold to make."""

    hold_id: str
    event_id: uuid.UUID
    user_id: uuid.UUID
    tier: str | None
    currency: str
    limits: Limits
    ttl_seconds: int
    claimed: bool
    token: str

    def head_keys(self, keys: Keys) -> list[str]:
        """KEYS 1–5 of both scripts: sold mirror, record, buyer's holds, facts, address."""
        return [
            keys.sold(self.event_id),
            keys.record(self.event_id, self.hold_id),
            keys.buyer(self.event_id, self.user_id),
            keys.facts(self.event_id),
            keys.address(self.event_id, self.limits.address),
        ]

    def payload(self) -> dict[str, Any]:
        record = {
            "user_id": str(self.user_id),
            "event_id": str(self.event_id),
            "tier": self.tier or "",
            "currency": self.currency,
            "addr": self.limits.address,
        }
        if self.limits.offer_to:
            record["offer"] = self.limits.offer_to
        return {
            "hold": self.hold_id,
            "user": str(self.user_id),
            "token": self.token,
            "ttl": self.ttl_seconds * 1000,
            "claimed": self.claimed,
            "record": [item for pair in record.items() for item in pair],
        } | self.limits.payload()

    def made(self, places: list[Place], result: Sequence[Any]) -> Hold:
        return Hold(
            hold_id=self.hold_id,
            event_id=self.event_id,
            user_id=self.user_id,
            places=places,
            tier=self.tier,
            quantity=len(places),
            amount=sum(p.price for p in places),
            currency=self.currency,
            created_at=from_ms(int(result[2])),
            expires_at=from_ms(int(result[3])),
            claimed=self.claimed,
            address=self.limits.address,
        )


@dataclass(frozen=True, slots=True)
class HoldStore:
    """Holds of every event, in Redis (see the module doc)."""

    redis: Redis
    keys: Keys
    scripts: Scripts
    settings: Settings
    clock: Clock  # which events the sweeper visits (what lapsed: Redis's clock decides)

    async def admit(
        self,
        *,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        quantity: int,
        limits: Limits,
        token: str,
    ) -> None:
        """Would a hold of ``quantity`` places pass ``limits``? One reading, no write (besides
        pruning lapsed entries); raises what ``hold_seats`` would for the limits."""
        payload = {"user": str(user_id), "token": token, "want": quantity} | limits.payload()
        keys = [
            self.keys.sold(event_id),
            self.keys.buyer(event_id, user_id),
            self.keys.facts(event_id),
            self.keys.address(event_id, limits.address),
        ]
        result = await self.scripts.admit(keys=keys, args=[dumps(payload)])
        if int(result[0]) != scripts.OK:
            scripts.raise_refusal(int(result[0]), result)

    async def hold_seats(
        self,
        *,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        groups: Sequence[Sequence[Place]],
        currency: str,
        limits: Limits,
        ttl_seconds: int | None = None,
        claimed: bool = False,
        token: str = "",
    ) -> Hold:
        """Hold the first group of reserved seats that is entirely free — all of it or nothing.

        ``token``: the event's facts the caller checked the request against (``FactsCache``); the
        script refuses (FactsStale) unless they are still current. ``""`` skips that check and
        is only for callers holding the shared inventory lock in PostgreSQL.

        Raises NoGroupFree (with the first group's taken seats), OrderLimit, BuyerLimit,
        Cooldown, AddressLimit, FactsStale, or MirrorMissing (rebuild the sold mirror, then call
        again).
        """
        take = self._take(event_id, user_id, None, currency, limits, ttl_seconds, claimed, token)
        everything = [p for group in groups for p in group]
        tiers = tiers_of(everything)
        index = {t: i + 1 for i, t in enumerate(tiers)}
        payload = {
            "tiers": tiers,
            "groups": [[[p.seat_id, index[p.tier]] for p in group] for group in groups],
            "places": [_places_json(group) for group in groups],
            "amounts": [sum(p.price for p in group) for group in groups],
        }
        tail = [
            *(self.keys.held(event_id, t) for t in tiers),
            *(self.keys.seat(event_id, cast(str, p.seat_id)) for p in everything),
            *list_keys(self.keys, event_id, tiers),
        ]
        result = await self._run(self.scripts.hold_seats, take, payload, tail, sweep=False)
        return take.made(list(groups[int(result[1]) - 1]), result)

    async def hold_general(
        self,
        *,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        tier: str,
        price: int,
        quantity: int,
        capacity: int,
        currency: str,
        limits: Limits,
        ttl_seconds: int | None = None,
        claimed: bool = False,
        token: str = "",
    ) -> Hold:
        """Take ``quantity`` places of a general-admission tier, or none (GeneralSoldOut);
        ``token`` as in ``hold_seats``."""
        take = self._take(event_id, user_id, tier, currency, limits, ttl_seconds, claimed, token)
        places = [Place(None, tier, price) for _ in range(quantity)]
        payload = {
            "tier": tier,
            "quantity": quantity,
            "capacity": capacity,
            "member": ga_member(take.hold_id, places),
            "places": [_places_json(places)],
            "amounts": [price * quantity],
        }
        tail = [
            self.keys.ga_held(event_id),
            self.keys.ga_expiry(event_id),
            *list_keys(self.keys, event_id, [tier]),
        ]
        result = await self._run(self.scripts.hold_general, take, payload, tail, sweep=True)
        return take.made(places, result)

    def _take(
        self,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        tier: str | None,
        currency: str,
        limits: Limits,
        ttl_seconds: int | None,
        claimed: bool,
        token: str,
    ) -> _Take:
        ttl = ttl_seconds or self.settings.HOLD_TTL_SECONDS
        hold_id = new_hold_id(event_id)
        return _Take(hold_id, event_id, user_id, tier, currency, limits, ttl, claimed, token)

    async def _run(
        self,
        script: Script,
        take: _Take,
        payload: dict[str, Any],
        tail: list[str],
        *,
        sweep: bool,
    ) -> list[Any]:
        """One hold script — the only round trip of a reserved hold (its id names the event, so
        the claim needs no index key). ``sweep`` (general admission), after the hold was made
        (a refusal costs nothing more): the sweeper visits the event by the time the hold
        lapses; the global index is not tagged by event, so the script cannot write it. If the
        process died in between, the places of that hold come back at the event's next sweep."""
        keys = [*take.head_keys(self.keys), *tail]
        result: list[Any] = await script(keys=keys, args=[dumps(take.payload() | payload)])
        if int(result[0]) != scripts.OK:
            scripts.raise_refusal(int(result[0]), result)
        if sweep:
            await self.redis.zadd(self.keys.sweep(), {str(take.event_id): int(result[3])}, lt=True)
        return result

    # --- reading ------------------------------------------------------------------------------

    async def find_event(self, hold_id: str) -> uuid.UUID | None:
        """The event of the hold: named in its id, or (an id of before) in the index key."""
        event_id = event_of_hold(hold_id)
        if event_id is not None:
            return event_id
        value = cast(str | None, await self.redis.get(self.keys.index(hold_id)))
        return uuid.UUID(value) if value else None

    async def get(self, event_id: uuid.UUID, hold_id: str) -> Hold | None:
        """The live hold (None once it lapsed, was released or became a sale)."""
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.record(event_id, hold_id)))
        if not raw or "user_id" not in raw:
            return None
        places = [Place(s, t, int(p)) for s, t, p in json.loads(raw["places"])]
        return Hold(
            hold_id=hold_id,
            event_id=event_id,
            user_id=uuid.UUID(raw["user_id"]),
            places=places,
            tier=raw.get("tier") or None,
            quantity=len(places),
            amount=int(raw["amount"]),
            currency=raw["currency"],
            created_at=from_ms(int(raw["created_at"])),
            expires_at=from_ms(int(raw["expires_at"])),
            claimed=raw.get("claimed") == "1",
            address=raw.get("addr", ""),
        )

    # --- ending and claiming ------------------------------------------------------------------

    async def release(self, hold: Hold, *, owner: uuid.UUID | None) -> bool:
        """End the hold (owner checked unless ``owner`` is None); False if it was gone."""
        tail, payload = freeing(self.keys, hold.event_id, hold.hold_id, hold.places)
        payload["owner"] = str(owner) if owner is not None else ""
        keys = [
            self.keys.record(hold.event_id, hold.hold_id),
            self.keys.buyer(hold.event_id, hold.user_id),
            self.keys.ga_held(hold.event_id),
            self.keys.ga_expiry(hold.event_id),
            self.keys.address(hold.event_id, hold.address),
            *tail,
        ]
        result = int(await self.scripts.release(keys=keys, args=[dumps(payload)]))
        if result == -1:
            raise ClaimRefused(hold.hold_id)
        return result == 1  # an index key of an id of before just expires with the hold

    async def claim(
        self,
        event_id: uuid.UUID,
        hold_id: str,
        *,
        user_id: uuid.UUID,
        extend_seconds: int,
        cooldown_seconds: int = 0,
        token: str = "",
    ) -> Hold | None:
        """Extend the hold once for its owner (never past its hard cap); None if it is gone.
        ``cooldown_seconds``: the event's re-hold cool-down (how long the buyer's key lives);
        ``token``: the facts the caller decided on (FactsStale unless current; ``""``: none)."""
        hold = await self.get(event_id, hold_id)
        if hold is None:
            return None
        zsets, seats, seat_keys = seat_args(self.keys, event_id, hold.places)
        payload = {
            "user": str(user_id),
            "extend": extend_seconds * 1000,
            "max_life": self.settings.HOLD_MAX_SECONDS * 1000,
            "hold": hold_id,
            "member": ga_member(hold_id, hold.places),
            "buyer_member": buyer_member(hold_id, hold.quantity),
            "seats": seats,
            "ntiers": len(zsets),
            "cooldown": cooldown_seconds * 1000,
            "token": token,
        }
        keys = [
            self.keys.record(event_id, hold_id),
            self.keys.buyer(event_id, hold.user_id),
            self.keys.ga_expiry(event_id),
            self.keys.address(event_id, hold.address),
            self.keys.facts(event_id),
            *zsets,
            *seat_keys,
        ]
        result = await self.scripts.claim(keys=keys, args=[dumps(payload)])
        if int(result[0]) == 0:
            return None
        if int(result[0]) == -1:
            raise ClaimRefused(hold_id)
        if int(result[0]) == scripts.STALE:
            raise FactsStale()
        expires_ms = int(result[1])
        if int(result[0]) == 1 and event_of_hold(hold_id) is None:  # an id of before
            await self.redis.pexpireat(self.keys.index(hold_id), expires_ms)
        return hold.extended(from_ms(expires_ms))

    async def release_all(self, event_id: uuid.UUID, reserved_tiers: Iterable[str]) -> int:
        """The event is cancelled or deleted (no new hold can start): every live hold goes."""
        zsets = [self.keys.held(event_id, t) for t in reserved_tiers]
        holds: set[str] = set()
        doomed: list[str] = []
        for zset in zsets:
            seats = cast(list[str], await self.redis.zrange(zset, 0, -1))
            seat_keys = [self.keys.seat(event_id, s) for s in seats]
            if seat_keys:
                values = cast(list[str | None], await self.redis.mget(seat_keys))
                holds.update(h for h in values if h is not None)
            doomed += [*seat_keys, zset]
        for member in cast(
            list[str], await self.redis.zrange(self.keys.ga_expiry(event_id), 0, -1)
        ):
            holds.add(member.partition("|")[0])
        doomed += [self.keys.ga_expiry(event_id), self.keys.ga_held(event_id)]
        doomed += [self.keys.record(event_id, h) for h in holds]
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in doomed:
                pipe.unlink(key)
            await pipe.execute()
        return len(holds)

    async def sweep(self, *, batch: int = 200) -> int:
        """Give back the places of lapsed general-admission holds, visiting only events whose
        next hold expiry has passed (the global ``event:sweep`` index). Returns holds swept."""
        index = self.keys.sweep()
        due = cast(
            list[str],
            await self.redis.zrangebyscore(index, "-inf", self.clock.now_ms(), start=0, num=batch),
        )
        swept = 0
        for member in due:
            event_id = uuid.UUID(member)
            # park the entry at a bound no hold outlives; a hold made meanwhile lowers it again
            placeholder = self.clock.now_ms() + (self.settings.HOLD_MAX_SECONDS + 60) * 1000
            await self.redis.zadd(index, {member: placeholder}, xx=True)
            result = await self.scripts.sweep_event(
                keys=[self.keys.ga_expiry(event_id), self.keys.ga_held(event_id)]
            )
            swept += int(result[0])
            await self.scripts.sweep_settle(
                keys=[index], args=[member, placeholder, int(result[1])]
            )
        return swept


def _places_json(places: Sequence[Place]) -> str:
    return to_json([[p.seat_id, p.tier, p.price] for p in places]).decode()
