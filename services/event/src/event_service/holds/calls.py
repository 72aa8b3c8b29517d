"""The parts of script calls that more than one store sends: the seats of a hold, and how its
places are freed (by a release, a sale or the end of a booking)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from event_service.holds.keys import Keys
from event_service.holds.models import Place, buyer_member, ga_member


def tiers_of(places: Sequence[Place]) -> list[str]:
    """Distinct tiers of the reserved seats among ``places``, in first-seen order."""
    return list(dict.fromkeys(p.tier for p in places if p.seat_id is not None))


def list_keys(keys: Keys, event_id: uuid.UUID, tiers: Sequence[str]) -> list[str]:
    """The waiting line of each of ``tiers``, the event's waiting-list entries and open offers:
    the last keys of the hold scripts (the list goes first, ``lua/prelude.lua``)."""
    return [
        *(keys.waitlist(event_id, t) for t in tiers),
        keys.waitlist_entries(event_id),
        keys.waitlist_offers(event_id),
    ]


def seat_args(
    keys: Keys, event_id: uuid.UUID, places: Sequence[Place]
) -> tuple[list[str], list[list[object]], list[str]]:
    """(tier zset keys, [[seat, tier index, tier]], seat keys) of the reserved places."""
    tiers = tiers_of(places)
    index = {t: i + 1 for i, t in enumerate(tiers)}
    seats = [(p.seat_id, p.tier) for p in places if p.seat_id is not None]
    return (
        [keys.held(event_id, t) for t in tiers],
        [[seat, index[tier], tier] for seat, tier in seats],
        [keys.seat(event_id, seat) for seat, _ in seats],
    )


def freeing(
    keys: Keys, event_id: uuid.UUID, hold_id: str, places: Sequence[Place]
) -> tuple[list[str], dict[str, Any]]:
    """(tier zset keys + seat keys, payload) of the scripts that free a hold's places: release,
    consume (a sale) and undo (the end of a booking)."""
    zsets, seats, seat_keys = seat_args(keys, event_id, places)
    general = [p for p in places if p.seat_id is None]
    payload = {
        "hold": hold_id,
        "seats": seats,
        "ntiers": len(zsets),
        "member": ga_member(hold_id, places),
        "ga_tier": general[0].tier if general else "",
        "ga_qty": len(general),
        "buyer_member": buyer_member(hold_id, len(places)),
    }
    return [*zsets, *seat_keys], payload
