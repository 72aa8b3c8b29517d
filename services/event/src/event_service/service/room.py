"""Use cases of an event's waiting room: join, read your place, leave; the admission a hold
needs while the room is on; the gauge of who is in the rooms.

The line is in Redis (``holds/room.py``); the event's rules (enabled, rate, max active, how
early it opens) are its facts, read without PostgreSQL. An admission is a signed token bound to
the user and the event with an expiry (``v1.<event>.<user>.<expiry ms>.<signature>``, HMAC-SHA256
under a key derived from the services' shared ``INTERNAL_TOKEN``): checking it needs no Redis
either, so a hold on a room-enabled event costs what any hold costs, and nobody gets past a room
without one — not even when Redis has forgotten the room.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from event_service.domain import AdmissionRequired, SalesClosed, WaitingRoomDisabled
from event_service.holds.room import RoomCount, RoomEntry, RoomRules, ms_of
from event_service.schemas import QueueEntryRead, WaitingRoom
from event_service.service.access import visible_facts
from event_service.service.facts_cache import Facts
from shared.errors import NotFound
from shared.logging import get_logger
from shared.security import Principal

if TYPE_CHECKING:  # the context imports this module (for the room gauge's job)
    from event_service.context import Context

log = get_logger(__name__)

_ROOM_KEEP_AFTER_END = timedelta(days=1)


def room_of(facts: Facts) -> WaitingRoom:
    return WaitingRoom.model_validate(facts.waiting_room or {})


async def join(
    ctx: Context, *, user: Principal, event_id: uuid.UUID
) -> tuple[QueueEntryRead, bool]:
    """Take a place in the event's line (the same one again if you have one): the entry, and
    whether it is new. 409 ``waiting_room_disabled``; 409 ``sales_closed`` before the room opens
    (``opens_before_sale_seconds`` before the sales start) or once sales are over."""
    facts, room = await _room(ctx, user, event_id)
    now = ctx.clock.now()
    opens = facts.sales_start_at - timedelta(seconds=room.opens_before_sale_seconds)
    if facts.status != "published" or now < opens or not _before_end(facts, now):
        raise SalesClosed()
    entry, created = await ctx.room.join(event_id, user.id, _rules(ctx, facts, room), ms_of(now))
    if created:
        log.info("queue_joined", event_id=str(event_id), state=entry.state)
    return _read(ctx, facts, room, user, entry), created


async def my_entry(ctx: Context, *, user: Principal, event_id: uuid.UUID) -> QueueEntryRead:
    """The caller's place; once admitted, with the admission token. 404 if not in the line."""
    facts, room = await _room(ctx, user, event_id)
    now = ms_of(ctx.clock.now())
    entry = await ctx.room.read(event_id, user.id, _rules(ctx, facts, room), now)
    if entry is None:
        raise NotFound("You are not in this event's waiting room.")
    return _read(ctx, facts, room, user, entry)


async def leave(ctx: Context, *, user: Principal, event_id: uuid.UUID) -> None:
    """Leave the line (nothing to do if you are not in it); a later join queues at the back."""
    await visible_facts(ctx, event_id, user)
    await ctx.room.leave(event_id, user.id, ms_of(ctx.clock.now()))


def check_admission(ctx: Context, facts: Facts, user: Principal, token: str | None) -> None:
    """While the event's room is on, a hold needs the caller's own, unexpired admission for this
    event (403 ``admission_required``). Called once the sale is known to be open."""
    if not facts.room_enabled:
        return
    if token is None or not _valid(ctx, token, facts.event_id, user.id):
        raise AdmissionRequired()


async def count_rooms(ctx: Context) -> RoomCount:
    """Everyone in every room (handing out the admissions due meanwhile), for the gauge; rooms of
    events gone or without a room are dropped from the index."""
    total = RoomCount(0, 0, 0)
    gone = []
    now = ctx.clock.now()
    for event_id in await ctx.room.events():
        facts = await ctx.facts.get(event_id)
        if facts is None or not facts.room_enabled or not _before_end(facts, now):
            gone.append(event_id)
            continue
        found = await ctx.room.count(event_id, _rules(ctx, facts, room_of(facts)), ms_of(now))
        total = RoomCount(
            total.prequeue + found.prequeue,
            total.waiting + found.waiting,
            total.admitted + found.admitted,
        )
    await ctx.room.forget(gone)
    return total


async def _room(ctx: Context, user: Principal, event_id: uuid.UUID) -> tuple[Facts, WaitingRoom]:
    facts = await visible_facts(ctx, event_id, user)
    room = room_of(facts)
    if not room.enabled:
        raise WaitingRoomDisabled()
    return facts, room


def _before_end(facts: Facts, now: datetime) -> bool:
    end = min(facts.sales_end_at or facts.ends_at, facts.ends_at)
    return now < end


def _rules(ctx: Context, facts: Facts, room: WaitingRoom) -> RoomRules:
    return RoomRules(
        start=ms_of(facts.sales_start_at),
        rate=room.admit_per_minute,
        max_active=room.max_active,
        token_ms=ctx.settings.ADMISSION_TOKEN_SECONDS * 1000,
        expire_at=ms_of(facts.ends_at + _ROOM_KEEP_AFTER_END),
    )


def _read(
    ctx: Context, facts: Facts, room: WaitingRoom, user: Principal, entry: RoomEntry
) -> QueueEntryRead:
    now = ctx.clock.now()
    if entry.state == "prequeue":
        wait = max(0.0, (facts.sales_start_at - now).total_seconds())
    else:
        wait = (entry.ahead or 0) * 60 / room.admit_per_minute
    token = expires = None
    if entry.state == "admitted" and entry.admitted_until_ms:
        token = _sign(ctx, facts.event_id, user.id, entry.admitted_until_ms)
        expires = datetime.fromtimestamp(entry.admitted_until_ms / 1000, UTC)
    return QueueEntryRead(
        event_id=facts.event_id,
        state=entry.state,
        position=entry.position,
        ahead=entry.ahead,
        estimated_wait_seconds=math.ceil(wait),
        joined_at=datetime.fromtimestamp(entry.joined_ms / 1000, UTC),
        admission_token=token,
        admission_expires_at=expires,
    )


# --- admission tokens ----------------------------------------------------------------------


def _key(ctx: Context) -> bytes:
    secret = ctx.settings.INTERNAL_TOKEN.get_secret_value().encode()
    return hashlib.sha256(b"event-admission-token\x00" + secret).digest()


def _signature(ctx: Context, message: str) -> str:
    digest = hmac.new(_key(ctx), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _sign(ctx: Context, event_id: uuid.UUID, user_id: uuid.UUID, expires_ms: int) -> str:
    message = f"v1.{event_id.hex}.{user_id.hex}.{expires_ms}"
    return f"{message}.{_signature(ctx, message)}"


def _valid(ctx: Context, token: str, event_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    parts = token.split(".")
    if len(token) > 256 or len(parts) != 5 or not parts[3].isascii():
        return False
    message = ".".join(parts[:4])
    if not hmac.compare_digest(parts[4], _signature(ctx, message)):
        return False
    bound = parts[1] == event_id.hex and parts[2] == user_id.hex
    return bound and int(parts[3]) > ms_of(ctx.clock.now())
