"""The Lua scripts behind holds and sales (``lua/*.lua``; the keys in ``keys.py``), loaded once
per process.

Each script is ``lua/prelude.lua`` (the functions they share, and the rules every script
follows) followed by its own file. A :class:`Script` runs over the process's shared connection
(``holds/wire.py``): ``EVALSHA`` and, on ``NOSCRIPT`` (Redis restarted or ``SCRIPT FLUSH``),
``EVAL`` with the source, which loads it again; :func:`eval_many` (sweeps, through redis-py)
does the same for a pipeline of calls.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any, NoReturn

from pydantic_core import to_json
from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from event_service.holds.models import (
    AddressLimit,
    BuyerLimit,
    Cooldown,
    FactsStale,
    GeneralSoldOut,
    MirrorMissing,
    NoGroupFree,
    OfferGone,
    OrderLimit,
)
from event_service.holds.wire import Arg, ReplyError, Wire

# Result codes of the hold scripts (their first value).
OK = 1
SEATS_TAKEN = 0
MIRROR_MISSING = -1
BUYER_LIMIT = -2
ORDER_LIMIT = -3
SOLD_OUT = -4
STALE = -5  # the event's facts changed (or were fenced) since the caller read them
COOLDOWN = -6  # the buyer let a hold lapse a moment ago (second value: ms left)
ADDRESS_LIMIT = -7  # the client address has as many live holds as the event allows
OFFER_GONE = -8  # the waiting-list entry an offer was for no longer waits
PLACES_FREE = -9  # a waiting list is joined only when the tier has no place for everyone


def dumps(value: Any) -> bytes:
    """``ARGV[1]`` of a script: its parameters as one JSON document (pydantic-core's encoder —
    several times faster than the standard library's on the hot paths)."""
    return to_json(value)


@functools.cache
def source(name: str) -> str:
    """The text of script ``name``: the prelude, then ``lua/<name>.lua``."""
    lua = resources.files("event_service.holds") / "lua"
    return (lua / "prelude.lua").read_text() + (lua / f"{name}.lua").read_text()


@dataclass(frozen=True, slots=True)
class Script:
    """One Lua script over the shared connection: ``await script(keys=[...], args=[...])``."""

    name: str
    script: str  # the source
    sha: str
    wire: Wire

    @classmethod
    def of(cls, name: str, wire: Wire) -> Script:
        text = source(name)
        return cls(name, text, hashlib.sha1(text.encode()).hexdigest(), wire)

    async def __call__(self, *, keys: Sequence[str], args: Sequence[Arg] = ()) -> Any:
        try:
            return await self.wire.call("EVALSHA", self.sha, len(keys), *keys, *args)
        except ReplyError as exc:
            if not exc.no_script:
                raise
        return await self.wire.call("EVAL", self.script, len(keys), *keys, *args)


@dataclass(frozen=True, slots=True)
class Scripts:
    """Every script, over one connection (a field per file in ``lua/``)."""

    admit: Script
    claim: Script
    consume: Script
    hold_general: Script
    hold_seats: Script
    release: Script
    room: Script
    seat_states: Script
    snapshot: Script
    sweep_event: Script
    sweep_settle: Script
    undo: Script
    waitlist_join: Script
    waitlist_leave: Script
    waitlist_settle: Script

    @classmethod
    def register(cls, wire: Wire) -> Scripts:
        return cls(**{f.name: Script.of(f.name, wire) for f in fields(cls)})


async def eval_many(
    redis: Redis,
    script: Script,
    calls: Sequence[tuple[list[str], list[Any]]],
    *,
    get: str | None = None,
) -> list[Any]:
    """Run ``script`` once per ``(keys, args)`` in one round trip (a pipeline of EVALSHA, after
    ``GET get`` if given); on NOSCRIPT load it and run again. (redis-py's own pipelined scripts
    would ask SCRIPT EXISTS first: a second round trip every time.)"""
    try:
        return await _pipelined(redis, script, calls, get)
    except NoScriptError:
        await redis.script_load(script.script)
        return await _pipelined(redis, script, calls, get)


async def _pipelined(
    redis: Redis,
    script: Script,
    calls: Sequence[tuple[list[str], list[Any]]],
    get: str | None,
) -> list[Any]:
    async with redis.pipeline(transaction=False) as pipe:
        if get is not None:
            pipe.get(get)
        for keys, args in calls:
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        result: list[Any] = await pipe.execute()
        return result


def raise_refusal(code: int, result: Sequence[Any]) -> NoReturn:
    """The exception a script's answer other than OK stands for."""
    if code == SEATS_TAKEN:
        raise NoGroupFree([str(s) for s in result[1:]])
    if code == MIRROR_MISSING:
        raise MirrorMissing()
    if code == STALE:
        raise FactsStale()
    if code == BUYER_LIMIT:
        raise BuyerLimit(int(result[1]))
    if code == ORDER_LIMIT:
        raise OrderLimit(int(result[1]))
    if code == SOLD_OUT:
        raise GeneralSoldOut(int(result[1]))
    if code == COOLDOWN:
        raise Cooldown(int(result[1]))
    if code == OFFER_GONE:
        raise OfferGone()
    if code == ADDRESS_LIMIT:
        raise AddressLimit(int(result[1]), int(result[2]))
    raise RuntimeError(f"unexpected hold script answer {list(result)!r}")
