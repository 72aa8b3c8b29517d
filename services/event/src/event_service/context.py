"""What the event service owns besides the shared connections: the hold stores over Redis, the
per-process caches of event facts and of the catalog, and its clock; built once at start-up,
with the hold sweeper."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_service import repository
from event_service.cache import EventCache
from event_service.clock import Clock
from event_service.holds import FactsStore, HoldStore, Keys, Scripts, SoldMirror
from event_service.holds.room import WaitingRoomStore
from event_service.holds.waitlist import WaitlistStore
from event_service.holds.wire import Wire
from event_service.live import LiveHub
from event_service.metrics import HOLD, WAITING_ROOM_USERS
from event_service.service.facts_cache import FactsCache
from event_service.service.room import count_rooms
from event_service.settings import Settings
from shared.observability import OVERSOLD
from shared.runtime import Runtime


@dataclass(frozen=True)
class Context:
    settings: Settings
    # hot reads and holds open a session only when they really need PostgreSQL
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    holds: HoldStore
    sold: SoldMirror
    facts: FactsCache  # the facts in this process's memory; ``facts.store``: them in Redis
    cache: EventCache
    room: WaitingRoomStore
    waitlist: WaitlistStore
    live: LiveHub  # the live streams' feeds in this process


async def build_context(rt: Runtime[Settings, Context]) -> Context:
    """Register the Lua scripts, build the stores and caches, start the hold sweeper."""
    settings, redis = rt.settings, rt.redis
    wire = Wire(settings.REDIS_URL)  # the scripts' own connection (``holds/wire.py``)
    rt.on_stop(wire.aclose)
    keys, scripts, clock = Keys(settings), Scripts.register(wire), Clock()
    context = Context(
        settings=settings,
        sessionmaker=rt.sessionmaker,
        clock=clock,
        holds=HoldStore(redis, keys, scripts, settings, clock),
        sold=SoldMirror(redis, keys, scripts, settings, clock),
        facts=FactsCache(
            FactsStore(redis, keys, settings.EVENT_FACTS_SECONDS), rt.sessionmaker, settings
        ),
        cache=EventCache(redis, keys, ttl_seconds=settings.EVENT_CACHE_SECONDS),
        room=WaitingRoomStore(redis, keys, scripts),
        waitlist=WaitlistStore(redis, keys, scripts),
        live=LiveHub(),
    )
    rt.on_stop_signal(context.live.end_all)
    rt.every(settings.HOLD_SWEEP_SECONDS, sweep_lapsed_holds, name="event-hold-sweeper")
    rt.every(settings.OVERSOLD_CHECK_SECONDS, count_oversold, name="event-oversold-check")
    rt.every(
        settings.WAITING_ROOM_COUNT_SECONDS, count_waiting_rooms, name="event-waiting-room-count"
    )
    return context


async def sweep_lapsed_holds(ctx: Context) -> None:
    """The hold sweeper: lapsed general-admission holds give their places back (only events
    with a hold due are visited)."""
    HOLD["expired"].inc(await ctx.holds.sweep())


async def count_oversold(ctx: Context) -> None:
    """``ticketing_oversold_seats``, recomputed from PostgreSQL."""
    async with ctx.sessionmaker() as session:
        OVERSOLD.labels(ctx.settings.SERVICE_NAME).set(await repository.oversold_places(session))


async def count_waiting_rooms(ctx: Context) -> None:
    """``ticketing_waiting_room_users{state}`` (and every room's due admissions handed out)."""
    found = await count_rooms(ctx)
    WAITING_ROOM_USERS.labels("prequeue").set(found.prequeue)
    WAITING_ROOM_USERS.labels("waiting").set(found.waiting)
    WAITING_ROOM_USERS.labels("admitted").set(found.admitted)
