"""The sold mirror rebuilt from PostgreSQL when Redis lost it (or it is of an older format), and
what a hot path does when a script refused to act on outdated state."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from event_service.context import Context
from event_service.holds import FactsStale, MirrorMissing, SoldMirror, SoldState
from event_service.repository import lock_inventory, sold_state
from event_service.service.tx import transaction
from shared.logging import get_logger

log = get_logger(__name__)


async def rebuild_mirror_locked(
    session: AsyncSession, sold: SoldMirror, event_id: uuid.UUID
) -> None:
    """Rebuild the event's sold mirror from PostgreSQL; the caller holds the exclusive lock."""
    seats, general, buyers = await sold_state(session, event_id)
    await sold.rebuild(event_id, SoldState(seats=seats, general=general, buyers=buyers))
    log.info("sold_mirror_rebuilt", event_id=str(event_id), seats=len(seats))


async def rebuild_mirror(ctx: Context, event_id: uuid.UUID) -> None:
    """Rebuild the mirror in a session and transaction of its own, under the exclusive inventory
    lock — so no sale is between PostgreSQL and Redis while it is read."""
    async with ctx.sessionmaker() as session, transaction(session):
        await lock_inventory(session, event_id, exclusive=True)
        await rebuild_mirror_locked(session, ctx.sold, event_id)


async def recover(ctx: Context, event_id: uuid.UUID, refusal: FactsStale | MirrorMissing) -> None:
    """Before trying again: forget the outdated facts, or rebuild the lost mirror."""
    if isinstance(refusal, FactsStale):
        ctx.facts.forget(event_id)
    else:
        await rebuild_mirror(ctx, event_id)
