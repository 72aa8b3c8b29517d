"""Seat holds in Redis — with ``cache.py`` the only code touching Redis (keys in ``keys.py``, Lua in
``scripts.py``). Redis is admission control and a cache: PostgreSQL has the last word on sales."""

from event_service.holds.facts import FactsStore
from event_service.holds.ledger import Ledger, SoldState, TierCount
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
)


class HoldStore(Ledger, FactsStore):
    """Holds, claims, the sold mirror, availability snapshots, the sweeper and the events' facts
    of one process."""


__all__ = [
    "AddressLimit",
    "BuyerLimit",
    "ClaimRefused",
    "Cooldown",
    "FactsStale",
    "GeneralSoldOut",
    "Hold",
    "HoldStore",
    "Limits",
    "MirrorMissing",
    "NoGroupFree",
    "OrderLimit",
    "Place",
    "SoldState",
    "TierCount",
]
