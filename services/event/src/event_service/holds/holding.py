"""Taking, reading, claiming and releasing holds."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast

from event_service.holds import scripts
from event_service.holds.models import (
    AddressLimit,
    BuyerLimit,
    ClaimRefused,
    Cooldown,
    FactsStale,
    GeneralSoldOut,
    Hold,
    Limits,
    MirrorMissing,
    NoGroupFree,
    OrderLimit,
    Place,
    buyer_member,
    from_ms,
    ga_member,
    to_ms,
)
from event_service.holds.reading import Reading


class Holding(Reading):
    def _common(
        self,
        *,
        hold_id: str,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        tier: str | None,
        currency: str,
        limits: Limits,
        ttl_seconds: int,
        claimed: bool,
        token: str,
    ) -> dict[str, Any]:
        record = {
            "user_id": str(user_id),
            "event_id": str(event_id),
            "tier": tier or "",
            "currency": currency,
            "addr": limits.address,
        }
        return {
            "hold": hold_id,
            "user": str(user_id),
            "token": token,
            "ttl": ttl_seconds * 1000,
            "claimed": claimed,
            "record": [item for pair in record.items() for item in pair],
        } | limits.payload()

    def _head_keys(
        self, event_id: uuid.UUID, hold_id: str, user_id: uuid.UUID, limits: Limits
    ) -> list[str]:
        """KEYS 1–5 of both hold scripts: sold mirror, record, buyer's holds, facts, address."""
        return [
            self.keys.sold(event_id),
            self.keys.record(event_id, hold_id),
            self.keys.buyer(event_id, user_id),
            self.keys.facts(event_id),
            self.keys.address(event_id, limits.address),
        ]

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
        result = await self._admit(keys=keys, args=[json.dumps(payload)])
        if int(result[0]) != scripts.OK:
            _raise_refusal(int(result[0]), result)

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
        hold_id = str(uuid.uuid4())
        ttl = ttl_seconds or self.settings.HOLD_TTL_SECONDS
        everything = [p for group in groups for p in group]
        tiers = self._tiers_of(everything)
        index = {t: i + 1 for i, t in enumerate(tiers)}
        payload = self._common(
            hold_id=hold_id,
            event_id=event_id,
            user_id=user_id,
            tier=None,
            currency=currency,
            limits=limits,
            ttl_seconds=ttl,
            claimed=claimed,
            token=token,
        )
        payload |= {
            "tiers": tiers,
            "groups": [[[p.seat_id, index[p.tier]] for p in group] for group in groups],
            "places": [_places_json(group) for group in groups],
            "amounts": [sum(p.price for p in group) for group in groups],
        }
        keys = [
            *self._head_keys(event_id, hold_id, user_id, limits),
            *(self.keys.held(event_id, t) for t in tiers),
            *(self.keys.seat(event_id, cast(str, p.seat_id)) for p in everything),
        ]
        result = await self._hold_seats(keys=keys, args=[json.dumps(payload)])
        code = int(result[0])
        if code != scripts.OK:
            if code == scripts.SEATS_TAKEN:
                raise NoGroupFree([str(s) for s in result[1:]])
            _raise_refusal(code, result)
        await self._index(hold_id, event_id, int(result[3]))
        chosen = list(groups[int(result[1]) - 1])
        made = self._made(hold_id, event_id, user_id, chosen, None, currency, result, claimed)
        return replace(made, address=limits.address)

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
        hold_id = str(uuid.uuid4())
        ttl = ttl_seconds or self.settings.HOLD_TTL_SECONDS
        places = [Place(None, tier, price) for _ in range(quantity)]
        payload = self._common(
            hold_id=hold_id,
            event_id=event_id,
            user_id=user_id,
            tier=tier,
            currency=currency,
            limits=limits,
            ttl_seconds=ttl,
            claimed=claimed,
            token=token,
        )
        payload |= {
            "tier": tier,
            "quantity": quantity,
            "capacity": capacity,
            "member": ga_member(hold_id, places),
            "places": [_places_json(places)],
            "amounts": [price * quantity],
        }
        keys = [
            *self._head_keys(event_id, hold_id, user_id, limits),
            self.keys.ga_held(event_id),
            self.keys.ga_expiry(event_id),
        ]
        result = await self._hold_general(keys=keys, args=[json.dumps(payload)])
        code = int(result[0])
        if code != scripts.OK:
            _raise_refusal(code, result)
        await self._index(hold_id, event_id, int(result[3]), sweep=True)
        made = self._made(hold_id, event_id, user_id, places, tier, currency, result, claimed)
        return replace(made, address=limits.address)

    async def _index(
        self, hold_id: str, event_id: uuid.UUID, expires_ms: int, *, sweep: bool = False
    ) -> None:
        """After a hold was made (so a refusal costs nothing more): the claim finds the event by
        this key, and — ``sweep`` — the sweeper visits the event by the time the hold lapses.
        Nobody can claim the hold before its answer went out, i.e. before this ran; if the
        process died in between, the hold just lapses unclaimed. One round trip (the index key
        is not tagged by event, so it cannot be written by the script)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.index(hold_id), str(event_id), pxat=expires_ms)
            if sweep:
                pipe.zadd(self.keys.sweep(), {str(event_id): expires_ms}, lt=True)
            await pipe.execute()

    def _made(
        self,
        hold_id: str,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        places: list[Place],
        tier: str | None,
        currency: str,
        result: Sequence[Any],
        claimed: bool,
    ) -> Hold:
        return Hold(
            hold_id=hold_id,
            event_id=event_id,
            user_id=user_id,
            places=places,
            tier=tier,
            quantity=len(places),
            amount=sum(p.price for p in places),
            currency=currency,
            created_at=from_ms(int(result[2])),
            expires_at=from_ms(int(result[3])),
            claimed=claimed,
        )

    # --- ending and claiming ------------------------------------------------------------------

    def _release_payload(
        self, event_id: uuid.UUID, hold_id: str, user_id: uuid.UUID, places: Sequence[Place]
    ) -> tuple[list[str], dict[str, Any]]:
        """(tier zset keys + seat keys, payload) shared by release, undo and consume."""
        zsets, seats, seat_keys = self._seat_args(event_id, places)
        ga = [p for p in places if p.seat_id is None]
        payload = {
            "hold": hold_id,
            "seats": seats,
            "ntiers": len(zsets),
            "member": ga_member(hold_id, places),
            "ga_tier": ga[0].tier if ga else "",
            "ga_qty": len(ga),
            "buyer_member": buyer_member(hold_id, len(places)),
        }
        return [*zsets, *seat_keys], payload

    async def release(self, hold: Hold, *, owner: uuid.UUID | None) -> bool:
        """End the hold (owner checked unless ``owner`` is None); False if it was gone."""
        tail, payload = self._release_payload(
            hold.event_id, hold.hold_id, hold.user_id, hold.places
        )
        payload["owner"] = str(owner) if owner is not None else ""
        keys = [
            self.keys.record(hold.event_id, hold.hold_id),
            self.keys.buyer(hold.event_id, hold.user_id),
            self.keys.ga_held(hold.event_id),
            self.keys.ga_expiry(hold.event_id),
            self.keys.address(hold.event_id, hold.address),
            *tail,
        ]
        result = int(await self._release(keys=keys, args=[json.dumps(payload)]))
        if result == -1:
            raise ClaimRefused(hold.hold_id)
        if result == 1:
            await self.redis.delete(self.keys.index(hold.hold_id))
        return result == 1

    async def claim(
        self,
        event_id: uuid.UUID,
        hold_id: str,
        *,
        user_id: uuid.UUID,
        extend_seconds: int,
        cooldown_seconds: int = 0,
    ) -> Hold | None:
        """Extend the hold once for its owner (never past its hard cap); None if it is gone.
        ``cooldown_seconds``: the event's re-hold cool-down (how long the buyer's key lives)."""
        hold = await self.get(event_id, hold_id)
        if hold is None:
            return None
        zsets, seats, seat_keys = self._seat_args(event_id, hold.places)
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
        }
        keys = [
            self.keys.record(event_id, hold_id),
            self.keys.buyer(event_id, hold.user_id),
            self.keys.ga_expiry(event_id),
            self.keys.address(event_id, hold.address),
            *zsets,
            *seat_keys,
        ]
        result = await self._claim(keys=keys, args=[json.dumps(payload)])
        if int(result[0]) == 0:
            return None
        if int(result[0]) == -1:
            raise ClaimRefused(hold_id)
        expires_ms = int(result[1])
        if int(result[0]) == 1:
            await self.redis.pexpireat(self.keys.index(hold_id), expires_ms)
        return hold.extended(from_ms(expires_ms))


def _places_json(places: Sequence[Place]) -> str:
    return json.dumps([[p.seat_id, p.tier, p.price] for p in places])


def _raise_refusal(code: int, result: Sequence[Any]) -> None:
    if code == scripts.MIRROR_MISSING:
        raise MirrorMissing()
    if code == scripts.STALE:
        raise FactsStale()
    if code == scripts.BUYER_LIMIT:
        raise BuyerLimit(int(result[1]))
    if code == scripts.ORDER_LIMIT:
        raise OrderLimit(int(result[1]))
    if code == scripts.SOLD_OUT:
        raise GeneralSoldOut(int(result[1]))
    if code == scripts.COOLDOWN:
        raise Cooldown(int(result[1]))
    if code == scripts.ADDRESS_LIMIT:
        raise AddressLimit(int(result[1]))
    raise RuntimeError(f"unexpected hold script answer {list(result)!r}")


__all__ = ["Holding", "to_ms"]
