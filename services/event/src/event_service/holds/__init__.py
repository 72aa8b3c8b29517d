"""Seat holds and sales in Redis — with ``cache.py`` the only code touching Redis (keys in
``keys.py``, Lua in ``lua/``). Redis is admission control and a cache: PostgreSQL has the last
word on sales.

Three collaborators, each with the Redis client and the key names: :class:`HoldStore` (holds:
take, read, claim, release, sweep), :class:`SoldMirror` (PostgreSQL's sales mirrored, and what
is taken) and :class:`FactsStore` (what a hold needs to know of an event, under a token).
"""

from event_service.holds.facts import FactsStore
from event_service.holds.keys import Keys
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
from event_service.holds.scripts import Scripts
from event_service.holds.sold import SoldMirror, SoldState, TierCount
from event_service.holds.store import HoldStore

__all__ = [
    "AddressLimit",
    "BuyerLimit",
    "ClaimRefused",
    "Cooldown",
    "FactsStale",
    "FactsStore",
    "GeneralSoldOut",
    "Hold",
    "HoldStore",
    "Keys",
    "Limits",
    "MirrorMissing",
    "NoGroupFree",
    "OrderLimit",
    "Place",
    "Scripts",
    "SoldMirror",
    "SoldState",
    "TierCount",
]
