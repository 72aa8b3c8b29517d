"""Transactions of use cases, and Redis effects that must wait for a commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from event_service.holds import HoldStore, MirrorMissing, SoldState
from event_service.repository import lock_inventory, sold_state
from shared.logging import get_logger

log = get_logger("event_service")

_AFTER_COMMIT = "event_service.after_commit"
_running: set[asyncio.Task[None]] = set()


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[None]:
    """One use case, one transaction (ending the read-only one autobegun by earlier reads)."""
    if session.in_transaction():
        await session.commit()
    async with session.begin():
        yield


def after_commit(session: AsyncSession, job: Callable[[], Awaitable[None]]) -> None:
    """Run ``job`` once the session's transaction has committed (never if it rolls back).

    For Redis effects that would be wrong if the transaction failed — e.g. freeing seats that
    PostgreSQL still has sold — inside message handlers, whose transaction the runner commits.
    The job runs as a task right after the commit; if the process died in between, Redis stays
    on the safe side (seats still look sold) until the sold mirror is next rebuilt.
    """
    session.sync_session.info.setdefault(_AFTER_COMMIT, []).append(job)


async def _guarded(job: Callable[[], Awaitable[None]]) -> None:
    try:
        await job()
    except Exception:
        log.exception("after_commit_failed")


@event.listens_for(Session, "after_commit")
def _run_jobs(session: Session) -> None:
    jobs = session.info.pop(_AFTER_COMMIT, [])
    if not jobs:
        return
    loop = asyncio.get_running_loop()
    for job in jobs:
        task = loop.create_task(_guarded(job))
        _running.add(task)
        task.add_done_callback(_running.discard)


@event.listens_for(Session, "after_rollback")
def _drop_jobs(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


async def settle() -> None:
    """Wait for after-commit jobs still running (tests, shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)


async def rebuild_mirror_locked(
    session: AsyncSession, holds: HoldStore, event_id: uuid.UUID
) -> None:
    """Rebuild the event's sold mirror from PostgreSQL; the caller holds the exclusive lock."""
    seats, general, buyers = await sold_state(session, event_id)
    await holds.rebuild_sold(event_id, SoldState(seats=seats, general=general, buyers=buyers))
    log.info("sold_mirror_rebuilt", event_id=str(event_id), seats=len(seats))


async def rebuild_mirror(session: AsyncSession, holds: HoldStore, event_id: uuid.UUID) -> None:
    """Rebuild the mirror in a transaction of its own, under the exclusive inventory lock — so
    no sale is between PostgreSQL and Redis while it is read."""
    async with transaction(session):
        await lock_inventory(session, event_id, exclusive=True)
        await rebuild_mirror_locked(session, holds, event_id)


__all__ = [
    "MirrorMissing",
    "after_commit",
    "rebuild_mirror",
    "rebuild_mirror_locked",
    "settle",
    "transaction",
]
