"""The hot reads: event detail, listing and seat map — answered as JSON bytes.

Detail and listing: the static parts this process remembers of the current catalog version and
the live counts come from ONE Redis round trip (the version is read in the same pipeline as the
snapshot scripts; if it is not the remembered one, the slow path reads the cache / PostgreSQL).
Seat map: the layout this process keeps under the event's facts token, and one script reading
sold and held seats (refused if the token is outdated).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_json

from event_service import domain, repository
from event_service.context import Context
from event_service.holds import FactsStale, MirrorMissing, TierCount
from event_service.service import catalog
from event_service.service.access import may_see
from event_service.service.catalog import EventStatic
from event_service.service.facts_cache import with_status
from event_service.service.mirror import recover
from shared.errors import NotFound
from shared.pagination import PageParams, paginate
from shared.security import Principal

_ATTEMPTS = 4


def dumps(value: Any) -> bytes:
    """JSON as FastAPI's JSONResponse writes it (compact, UTF-8), by pydantic-core's encoder."""
    return to_json(value)


@dataclass(frozen=True, slots=True)
class Known:
    """An event's static part as remembered: the model and its JSON form."""

    static: EventStatic
    doc: dict[str, Any]

    @classmethod
    def of(cls, static: EventStatic) -> Known:
        return cls(static, static.model_dump(mode="json"))

    @property
    def wanted(self) -> tuple[uuid.UUID, list[str], list[str]]:
        return self.static.id, self.static.reserved, self.static.general


def _tiers(known: Known, counts: dict[str, TierCount]) -> list[dict[str, Any]]:
    tiers = []
    for tier in known.doc["tiers"]:
        count = counts.get(tier["code"], TierCount(sold=0, held=0))
        available = domain.available(capacity=tier["capacity"], held=count.held, sold=count.sold)
        tiers.append({**tier, "available": available, "held": count.held, "sold": count.sold})
    return tiers


def detail_doc(known: Known, counts: dict[str, TierCount]) -> dict[str, Any]:
    """``EventRead`` as JSON."""
    tiers = _tiers(known, counts)
    doc = {k: v for k, v in known.doc.items() if k != "tiers"}
    doc["capacity"] = sum(t["capacity"] for t in tiers)
    doc["available"] = sum(t["available"] for t in tiers)
    doc["tiers"] = tiers
    return doc


_SUMMARY = ("id", "organizer_id", "title", "location", "starts_at", "ends_at", "currency", "status")


def summary_doc(known: Known, counts: dict[str, TierCount]) -> dict[str, Any]:
    """``EventSummary`` as JSON."""
    tiers = _tiers(known, counts)
    doc = {k: known.doc[k] for k in _SUMMARY}
    doc["min_price"] = min((t["price"] for t in tiers), default=None)
    doc["capacity"] = sum(t["capacity"] for t in tiers)
    doc["available"] = sum(t["available"] for t in tiers)
    return doc


async def _remembered_counts(
    ctx: Context, known: list[Known]
) -> dict[uuid.UUID, dict[str, TierCount]] | None:
    """Live counts of remembered events, if the catalog version is still theirs (one trip)."""
    version, counts = await ctx.sold.snapshots_and_get(
        ctx.cache.version_key, [k.wanted for k in known]
    )
    if not ctx.cache.observe(version) or any(c is None for c in counts.values()):
        return None
    return {e: c for e, c in counts.items() if c is not None}


async def _known(ctx: Context, ids: list[uuid.UUID]) -> tuple[str, dict[uuid.UUID, Known]]:
    """The slow path: version, then static parts from the Redis cache or PostgreSQL."""
    version = await ctx.cache.version()
    missing = []
    found: dict[uuid.UUID, Known] = {}
    for event_id in ids:
        known = ctx.cache.remembered(event_id)
        if known is None:
            missing.append(event_id)
        else:
            found[event_id] = known
    if missing:
        async with ctx.sessionmaker() as session:
            statics = await catalog.load_statics(session, ctx.cache, missing, version)
        for event_id, static in statics.items():
            found[event_id] = Known.of(static)
            ctx.cache.remember(version, event_id, found[event_id])
    return version, found


async def _live_counts(ctx: Context, known: list[Known]) -> dict[uuid.UUID, dict[str, TierCount]]:
    return await catalog.live_counts(ctx, [k.static for k in known])


async def event_detail(ctx: Context, *, user: Principal | None, event_id: uuid.UUID) -> bytes:
    """The event with live availability per tier."""
    known: Known | None = ctx.cache.remembered(event_id)
    counts = await _remembered_counts(ctx, [known]) if known is not None else None
    if known is None or counts is None:
        known = (await _known(ctx, [event_id]))[1].get(event_id)
        if known is None or not may_see(known.static.status, known.static.organizer_id, user):
            raise NotFound("No such event.")
        counts = await _live_counts(ctx, [known])
    if not may_see(known.static.status, known.static.organizer_id, user):
        raise NotFound("No such event.")
    return dumps(detail_doc(known, counts[event_id]))


async def event_listing(
    ctx: Context,
    *,
    params: PageParams,
    q: str | None,
    location: str | None,
    starts_from: datetime | None,
    starts_to: datetime | None,
    organizer_id: uuid.UUID | None,
    sort: str,
) -> bytes:
    """Published events with what is left of each; pages cached, availability live."""
    query = {
        "q": q,
        "location": location,
        "from": starts_from,
        "to": starts_to,
        "organizer_id": organizer_id,
        "sort": sort,
        "page": params.page,
        "size": params.page_size,
    }
    digest = ctx.cache.digest(query)
    page = ctx.cache.remembered_page(digest)
    known: list[Known] | None = None
    counts = None
    if page is not None:
        known = [ctx.cache.remembered(uuid.UUID(i)) for i in page["ids"]]
        if all(k is not None for k in known):
            counts = await _remembered_counts(ctx, known)
    if counts is None or page is None or known is None:
        version = await ctx.cache.version()
        page = await ctx.cache.get_listing(version, digest)
        if page is None:
            stmt = repository.published_events(
                q=q,
                location=location,
                starts_from=starts_from,
                starts_to=starts_to,
                organizer_id=organizer_id,
                sort=sort,
            )
            async with ctx.sessionmaker() as session:
                events, total = await paginate(session, stmt, params)
            page = {"ids": [str(e.id) for e in events], "total": total}
            await ctx.cache.put_listing(version, digest, page)
        ctx.cache.remember_page(version, digest, page)
        ids = [uuid.UUID(i) for i in page["ids"]]
        found = (await _known(ctx, ids))[1]
        known = [found[i] for i in ids if i in found]
        counts = await _live_counts(ctx, known)
    items = [summary_doc(k, counts[k.static.id]) for k in known]
    return dumps(
        {
            "items": items,
            "page": params.page,
            "page_size": params.page_size,
            "total": int(page["total"]),
        }
    )


@dataclass(frozen=True, slots=True)
class SeatMap:
    etag: str
    body: bytes | None  # None: the caller's If-None-Match matched


async def seat_map(
    ctx: Context, *, user: Principal | None, event_id: uuid.UUID, if_none_match: str | None
) -> SeatMap:
    """Every seat with its tier, price and status (sold: the mirror of PostgreSQL's sales)."""
    for _ in range(_ATTEMPTS):
        facts = await ctx.facts.get(event_id)
        if facts is None or not may_see(facts.status, facts.organizer_id, user):
            if await ctx.facts.confirm(facts):
                raise NotFound("No such event.")
            continue
        layout = await ctx.facts.layout(facts)
        try:
            sold, held = await ctx.sold.seat_states(event_id, facts.token, facts.reserved)
        except (FactsStale, MirrorMissing) as exc:
            await recover(ctx, event_id, exc)
            continue
        etag = domain.seat_map_etag(version=facts.updated_at, sold=sold, held=held)
        if domain.etag_matches(if_none_match, etag):
            return SeatMap(etag, None)
        available = layout.pieces({c: t.price for c, t in facts.tiers.items()})
        pieces = list(available)
        for status, seats in ((domain.SeatStatus.HELD, held), (domain.SeatStatus.SOLD, sold)):
            for seat_id in seats:
                i = layout.index.get(seat_id)
                if i is not None:
                    pieces[i] = with_status(available[i], status.value)
        return SeatMap(etag, ("[" + ",".join(pieces) + "]").encode())
    raise RuntimeError("the event's facts or sold mirror changed again and again")


_LIVE_TIER = ("code", "capacity", "available", "held", "sold")


async def live_state(
    ctx: Context, event_id: uuid.UUID
) -> tuple[list[dict[str, Any]], set[str], set[str]] | None:
    """What the live stream says of an event now: its tiers' counts, its sold and its held seats
    (None: no such event any more). Never cached: the stream reads it at most twice a second."""
    known = (await _known(ctx, [event_id]))[1].get(event_id)
    facts = await ctx.facts.get(event_id)
    if known is None or facts is None:
        return None
    counts = (await _live_counts(ctx, [known]))[event_id]
    tiers = [{k: t[k] for k in _LIVE_TIER} for t in _tiers(known, counts)]
    if not facts.reserved:
        return tiers, set(), set()
    for _ in range(_ATTEMPTS):
        try:
            sold, held = await ctx.sold.seat_states(event_id, facts.token, facts.reserved)
            return tiers, set(sold), set(held)
        except (FactsStale, MirrorMissing) as exc:
            await recover(ctx, event_id, exc)
        facts = await ctx.facts.get(event_id)
        if facts is None:
            return None
    raise RuntimeError("the event's facts or sold mirror changed again and again")
