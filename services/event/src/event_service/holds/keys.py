"""Redis key names of the event service (always through ``shared.redis.prefixed``).

Every key carries the layout version (``event:v2:…``): keys of another layout — another type
or meaning under the same name — are never read as this one's; a release with a new layout
starts from empty Redis state for events and rebuilds it from PostgreSQL. Change ``LAYOUT``
whenever a key changes type or meaning.

``{E}`` is the event id as a hash tag: one event's keys share a cluster slot, so every script —
which only touches keys of one event — stays legal on Redis Cluster.

Keys (TTL in brackets):

- ``event:seat:{E}:<seat>`` string: hold id holding a reserved seat [the hold's expiry];
- ``event:held:{E}:<tier>`` zset: reserved seats in holds by expiry, live = score > now [none:
  members carry live holds; lapsed ones are pruned by every hold script];
- ``event:hold:{E}:<hold>`` hash: the hold record (owner, places, amount, times) [its expiry];
- ``event:holdidx:<hold>`` string: the event of a hold whose id does not name it (a plain uuid4:
  holds made before ids became ``<event>_<random>``, ``models.new_hold_id``) — read by the claim,
  no longer written [the hold's expiry];
- ``event:gaexp:{E}`` zset: general-admission holds ``<hold>|<tier>:<n>`` by expiry [none: a
  lapsed entry stays until the sweeper gives its places back];
- ``event:gaheld:{E}`` hash: places per general-admission tier in holds not yet given back
  [none; rebuilt from ``gaexp`` when missing];
- ``event:buyer:{E}:<user>`` zset: the buyer's holds ``<hold>|<n>`` (``<hold>|<n>|b`` once a
  booking claimed it) by expiry; a member past its expiry is a lapsed hold, kept for the event's
  re-hold cool-down [its latest member's score + the cool-down];
- ``event:addr:{E}:<address>`` zset: ids of the holds taken from one client address, by expiry
  (the per-address cap) [its latest member's score];
- ``event:sold:{E}`` hash: mirror of PostgreSQL's sales — ``s:<seat>`` → tier,
  ``g:<booking>:<tier>`` → places, ``n:<tier>`` → sold count, ``b:<user>`` → places sold to the
  buyer, ``v2`` → the format marker [``SOLD_CACHE_SECONDS``; rebuilt from PostgreSQL when missing
  or without the marker];
- ``event:facts:{E}`` hash: ``token`` and ``data`` (JSON) — what a hold needs to know of the
  event (status, sales window, limits, tiers; title, place and start for booking's claim),
  loaded from PostgreSQL under the shared inventory
  lock and deleted ("fenced") by every change under the exclusive lock [``EVENT_FACTS_SECONDS``];
- ``event:wl:{E}:<tier>`` zset: the tier's waiting list, users by join number [the event's end +
  a day];
- ``event:wlent:{E}`` hash: waiting-list entries ``<tier>|<user>`` → JSON (id, quantity,
  status, join time, offer's hold and deadline), ``#seq`` → the last join number [as the lines];
- ``event:wloffers:{E}`` set: entries with an open offer (a hold made for them) [none: emptied as
  offers are sold or lapse];
- ``event:waitlists`` zset: events with a waiting list, by the time it may be forgotten [none];
- ``event:wllock:{E}`` string: the process handing out the event's returned places [seconds];
- ``event:sweep`` zset: events with general-admission holds by next expiry [none: one member per
  event, removed once it has none];
- ``event:catalog:version`` string: a random token replaced on every event change, part of the
  cache keys below [none];
- ``event:static:{E}:<version>`` / ``event:list:<version>:<digest>``: cached static part of an
  event / ids and total of a listing page [``EVENT_CACHE_SECONDS``].
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.redis import prefixed
from shared.settings import ServiceSettings

LAYOUT = "v2"


@dataclass(frozen=True, slots=True)
class Keys:
    settings: ServiceSettings

    def _k(self, key: str) -> str:
        service, rest = key.split(":", 1)
        return prefixed(self.settings, f"{service}:{LAYOUT}:{rest}")

    def seat(self, event_id: uuid.UUID, seat_id: str) -> str:
        return self._k(f"event:seat:{{{event_id}}}:{seat_id}")

    def held(self, event_id: uuid.UUID, tier: str) -> str:
        return self._k(f"event:held:{{{event_id}}}:{tier}")

    def record(self, event_id: uuid.UUID, hold_id: str) -> str:
        return self._k(f"event:hold:{{{event_id}}}:{hold_id}")

    def index(self, hold_id: str) -> str:
        return self._k(f"event:holdidx:{hold_id}")

    def ga_expiry(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:gaexp:{{{event_id}}}")

    def ga_held(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:gaheld:{{{event_id}}}")

    def buyer(self, event_id: uuid.UUID, user_id: uuid.UUID) -> str:
        return self._k(f"event:buyer:{{{event_id}}}:{user_id}")

    def address(self, event_id: uuid.UUID, address: str) -> str:
        """The holds of one client address ('' gives a key no script writes: no address)."""
        return self._k(f"event:addr:{{{event_id}}}:{address}")

    def sold(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:sold:{{{event_id}}}")

    def facts(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:facts:{{{event_id}}}")

    def sold_staging(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:sold:{{{event_id}}}:staging")

    def room(self, event_id: uuid.UUID, part: str) -> str:
        """The waiting room's ``part`` (line, pre, meta, joined, admitted, active)."""
        return self._k(f"event:room:{{{event_id}}}:{part}")

    def rooms(self) -> str:
        """The events whose waiting room anyone joined (for the gauge)."""
        return self._k("event:rooms")

    def waitlist(self, event_id: uuid.UUID, tier: str) -> str:
        return self._k(f"event:wl:{{{event_id}}}:{tier}")

    def waitlist_entries(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:wlent:{{{event_id}}}")

    def waitlist_offers(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:wloffers:{{{event_id}}}")

    def waitlist_lock(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:wllock:{{{event_id}}}")

    def waitlists(self) -> str:
        return self._k("event:waitlists")

    def sweep(self) -> str:
        return self._k("event:sweep")

    def catalog_version(self) -> str:
        return self._k("event:catalog:version")

    def static(self, event_id: uuid.UUID, version: str) -> str:
        return self._k(f"event:static:{{{event_id}}}:{version}")

    def listing(self, version: str, digest: str) -> str:
        return self._k(f"event:list:{version}:{digest}")

    def event_pattern(self, event_id: uuid.UUID) -> str:
        """Every key of one event (for tests and tools; never used on a hot path)."""
        return self._k(f"event:*{{{event_id}}}*")
