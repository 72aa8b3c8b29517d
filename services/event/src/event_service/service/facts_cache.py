"""What holds and the seat map need to know of an event, kept in memory and checked by token.

The facts (status, sales window, limits, tiers) and the seat layout live in this process's
memory under a token; every hold script (and the seat-map reading) is given the token and
refuses unless it is still the event's current one in Redis (``holds/facts.py``): the token only
exists while PostgreSQL still has exactly these facts, because every change of the event deletes
it under the exclusive inventory lock before changing anything, and only a loader holding the
shared lock writes it. So a hold is one Lua call, and PostgreSQL is read once per change of
the event.

A refusal decided from the facts alone (404, 409 ``sales_closed``, 422) is answered only after
the token was confirmed current — a process never refuses on outdated facts either.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_service import repository
from event_service.holds import FactsStore
from event_service.settings import Settings

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class TierFact:
    code: str
    price: int
    capacity: int | None  # None: reserved seats

    @property
    def general_admission(self) -> bool:
        return self.capacity is not None


@dataclass(frozen=True, slots=True)
class Facts:
    event_id: uuid.UUID
    token: str
    status: str
    organizer_id: uuid.UUID
    # what booking's claim answers about the event (``ClaimedEventV1``)
    title: str
    location: str
    starts_at: datetime
    currency: str
    sales_start_at: datetime
    sales_end_at: datetime | None
    ends_at: datetime
    max_per_order: int
    max_per_buyer: int
    updated_at: str
    tiers: dict[str, TierFact]
    # hold rules (README "Hold rules")
    verified_email_required: bool = False
    max_per_address: int | None = None
    rehold_cooldown: int = 0
    # the waiting room (schemas.WaitingRoom as a dict; None: none)
    waiting_room: dict[str, Any] | None = None

    @property
    def room_enabled(self) -> bool:
        return bool(self.waiting_room and self.waiting_room.get("enabled"))

    @property
    def reserved(self) -> list[str]:
        return [t.code for t in self.tiers.values() if not t.general_admission]


@dataclass(frozen=True, slots=True)
class Seat:
    seat_id: str
    section: str
    row: str
    number: int
    tier: str


@dataclass(frozen=True, slots=True)
class TierRow:
    """One row of a reserved tier, seats left to right (``seat_ids[i]`` has ``numbers[i]``)."""

    seat_ids: list[str]
    numbers: list[int]


@dataclass(slots=True)
class Layout:
    """Every seat of the event in layout order (immutable under one facts token)."""

    token: str
    seats: list[Seat]
    index: dict[str, int]
    _by_tier: dict[str, list[Seat]] | None = None
    _pieces: list[str] | None = field(default=None, repr=False)
    _rows: dict[str, list[TierRow]] = field(default_factory=dict, repr=False)

    def has_rows(self, tier: str) -> bool:
        return tier in self._rows

    def rows(self, tier: str) -> list[TierRow]:
        """The tier's rows, best first (sections as created, rows as listed) — computed once:
        best available reads them on every request."""
        rows = self._rows.get(tier)
        if rows is None:
            grouped: dict[tuple[str, str], list[Seat]] = {}
            for seat in self.by_tier(tier):
                grouped.setdefault((seat.section, seat.row), []).append(seat)
            rows = []
            for seats in grouped.values():
                seats.sort(key=lambda s: s.number)
                rows.append(TierRow([s.seat_id for s in seats], [s.number for s in seats]))
            self._rows[tier] = rows
        return rows

    def by_tier(self, tier: str) -> list[Seat]:
        if self._by_tier is None:
            groups: dict[str, list[Seat]] = {}
            for seat in self.seats:
                groups.setdefault(seat.tier, []).append(seat)
            self._by_tier = groups
        return self._by_tier.get(tier, [])

    def pieces(self, prices: dict[str, int]) -> list[str]:
        """The JSON of each seat as if it were available (``{…,"status":"available"}``) — a
        seat map answer is these joined, with the few held or sold seats swapped
        (:func:`with_status`). Only this one list is kept: a 50,000-seat event's is 7.5 MB."""
        if self._pieces is None:
            self._pieces = [
                json.dumps(
                    {
                        "seat_id": s.seat_id,
                        "section": s.section,
                        "row": s.row,
                        "number": s.number,
                        "tier": s.tier,
                        "price": prices[s.tier],
                    },
                    ensure_ascii=False,
                    separators=(",", ":"),
                )[:-1]
                + _STATUS_AVAILABLE
                for s in self.seats
            ]
        return self._pieces


_STATUS_AVAILABLE = ',"status":"available"}'


def with_status(piece: str, status: str) -> str:
    """A seat's piece (as :meth:`Layout.pieces` has it) with another status."""
    return f'{piece[: -len(_STATUS_AVAILABLE)]},"status":"{status}"}}'


_LAYOUT_CHUNK = 2_000  # seats read and built at a time (≈ 2 ms on the event loop)


def seats_of(rows: Iterable[tuple[str, str, str, int, str]], same: dict[str, str]) -> list[Seat]:
    """The driver makes a string object per value; sections, rows and tiers repeat (a hundred
    seats a row), so each is kept once (``same``): a 50,000-seat layout holds 10 MB, not 18."""
    return [
        Seat(seat_id, same.setdefault(section, section), same.setdefault(row, row), number,
             same.setdefault(tier, tier))
        for seat_id, section, row, number, tier in rows
    ]  # fmt: skip


def layout_of(token: str, seats: list[Seat]) -> Layout:
    """The layout of these seats (``seats_of`` the rows of ``repository.layout_chunks``)."""
    return Layout(token, seats, {s.seat_id: i for i, s in enumerate(seats)})


def facts_data(row: dict[str, Any]) -> str:
    """The JSON stored in Redis, from ``repository.get_facts``."""

    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return json.dumps(
        {
            "status": row["status"],
            "organizer_id": str(row["organizer_id"]),
            "title": row["title"],
            "location": row["location"],
            "starts_at": moment(row["starts_at"]),
            "currency": row["currency"],
            "sales_start_at": moment(row["sales_start_at"]),
            "sales_end_at": moment(row["sales_end_at"]),
            "ends_at": moment(row["ends_at"]),
            "max_per_order": row["max_tickets_per_order"],
            "max_per_buyer": row["max_tickets_per_buyer"],
            "updated_at": moment(row["updated_at"]),
            "tiers": [list(t) for t in row["tiers"]],
            "verified_email_required": row["verified_email_required"],
            "max_per_address": row["max_live_holds_per_address"],
            "rehold_cooldown": row["rehold_cooldown_seconds"],
            "waiting_room": row["waiting_room"],
        }
    )


def facts_of(event_id: uuid.UUID, token: str, data: str) -> Facts:
    d = json.loads(data)
    end = d["sales_end_at"]
    return Facts(
        event_id=event_id,
        token=token,
        status=d["status"],
        organizer_id=uuid.UUID(d["organizer_id"]),
        title=d["title"],
        location=d["location"],
        starts_at=datetime.fromisoformat(d["starts_at"]),
        currency=d["currency"],
        sales_start_at=datetime.fromisoformat(d["sales_start_at"]),
        sales_end_at=datetime.fromisoformat(end) if end is not None else None,
        ends_at=datetime.fromisoformat(d["ends_at"]),
        max_per_order=int(d["max_per_order"]),
        max_per_buyer=int(d["max_per_buyer"]),
        updated_at=d["updated_at"],
        tiers={c: TierFact(c, int(p), cap) for c, p, cap in d["tiers"]},
        verified_email_required=bool(d["verified_email_required"]),
        max_per_address=d["max_per_address"],
        rehold_cooldown=int(d["rehold_cooldown"]),
        waiting_room=d["waiting_room"],
    )


def current_format(data: str) -> bool:
    """Facts an older release wrote lack the waiting room (or the hold rules, or the event's
    title, place and start for booking's claim): they are loaded again."""
    return all(f'"{name}"' in data for name in ("waiting_room", "rehold_cooldown", "starts_at"))


class Bounded(dict[K, V]):
    """A dict that forgets its oldest entries beyond ``size``."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: K, value: V) -> None:
        self.pop(key, None)
        while len(self) >= self.size:
            del self[next(iter(self))]
        self[key] = value


class FactsCache:
    """Per process: the facts and layouts of recently used events (``store``: them in Redis)."""

    def __init__(
        self,
        store: FactsStore,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        self.store = store
        self.sessionmaker = sessionmaker
        self._facts: Bounded[uuid.UUID, Facts] = Bounded(settings.FACTS_MEMORY_EVENTS)
        self._layouts: Bounded[uuid.UUID, Layout] = Bounded(settings.LAYOUT_MEMORY_EVENTS)
        self._loads = SharedLoads()

    async def get(self, event_id: uuid.UUID) -> Facts | None:
        """The event's facts (None: no such live event) — from memory, else Redis, else
        PostgreSQL. Memory may be outdated: scripts check the token."""
        facts = self._facts.get(event_id)
        if facts is None:
            facts = await self._loads.run(("facts", event_id), lambda: self._fetch(event_id))
        return facts

    async def _fetch(self, event_id: uuid.UUID) -> Facts | None:
        stored = await self.store.read(event_id)
        if stored is None or not current_format(stored[1]):
            stored = await self._load(event_id)
            if stored is None:
                return None
        facts = facts_of(event_id, *stored)
        self._facts.put(event_id, facts)
        return facts

    async def _load(self, event_id: uuid.UUID) -> tuple[str, str] | None:
        """From PostgreSQL into Redis, under the shared inventory lock (no change can commit
        between the reading and the writing; see ``holds/facts.py``)."""
        async with self.sessionmaker() as session, session.begin():
            await repository.lock_inventory(session, event_id, exclusive=False)
            row = await repository.get_facts(session, event_id)
            if row is None:
                return None
            token, data = uuid.uuid4().hex, facts_data(row)
            await self.store.write(event_id, token, data)
        return token, data

    async def layout(self, facts: Facts) -> Layout:
        """The seats of the event as they were under ``facts.token``: if a change of the layout
        committed meanwhile, that token is gone and every script using it refuses."""
        layout = self._layouts.get(facts.event_id)
        if layout is not None and layout.token == facts.token:
            return layout
        key = ("layout", facts.event_id)
        return await self._loads.run(key, lambda: self._load_layout(facts))

    async def _load_layout(self, facts: Facts) -> Layout:
        seats: list[Seat] = []
        same: dict[str, str] = {}
        async with self.sessionmaker() as session:
            async for rows in repository.layout_chunks(session, facts.event_id, size=_LAYOUT_CHUNK):
                seats += seats_of(rows, same)
        layout = layout_of(facts.token, seats)
        self._layouts.put(facts.event_id, layout)
        return layout

    async def confirm(self, facts: Facts | None) -> bool:
        """Are these still the event's facts? (Before refusing on them alone.) False also
        forgets them, so the next ``get`` reads the current ones."""
        if facts is None:
            return True  # read from PostgreSQL just now: there is no such event
        if await self.store.token(facts.event_id) == facts.token:
            return True
        self.forget(facts.event_id)
        return False

    def forget(self, event_id: uuid.UUID) -> None:
        self._facts.pop(event_id, None)

    async def fence(self, event_id: uuid.UUID) -> None:
        """Under the exclusive inventory lock, before the event changes (see module doc)."""
        await self.store.fence(event_id)
        self.forget(event_id)


class SharedLoads:
    """One load per key at a time: callers asking while it runs share its result."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """``load()``, or the result of the one already running for ``key``. If that one fails
        (or its caller is cancelled), each waiter loads on its own."""
        running = self._running.get(key)
        if running is not None:
            try:
                result: V = await asyncio.shield(running)
                return result
            except asyncio.CancelledError:
                if not running.cancelled():
                    raise  # we are the ones cancelled
            except Exception:
                pass
            return await load()  # that load failed: try on our own
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await load()
        except BaseException:
            future.cancel()  # the waiters load on their own
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._running[key]
