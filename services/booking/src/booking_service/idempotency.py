"""``Idempotency-Key`` for money/inventory POSTs (API.md): replay, conflict, or run once.

A key is claimed first, in its own short transaction, with a null response; the use case fills
the response in its own transaction; a failed first attempt gives the claim up so a retry can run.
A claim whose request died without either (a crash) is taken over after a while.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking_service.domain import IDEMPOTENCY_CLAIM_STALE_AFTER
from booking_service.orm import IdempotencyKey
from shared.errors import Conflict


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    message = "This Idempotency-Key was used for another request, or that request is still running."


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: Any
    replayed: bool = False


def fingerprint(body: dict[str, Any]) -> str:
    """A stable hash of a request body (key order does not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    session: AsyncSession, *, user_id: uuid.UUID, key: str, request_hash: str, now: datetime
) -> StoredResponse | None:
    """None: the caller now owns the key and must run the request. Otherwise the first
    response to replay. Raises :class:`IdempotencyConflict` (other body, or still running)."""
    async with session.begin():
        inserted = await session.execute(
            insert(IdempotencyKey)
            .values(user_id=user_id, key=key, request_hash=request_hash, created_at=now)
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(IdempotencyKey.key)
        )
        if inserted.first() is not None:
            return None
        row = (
            await session.execute(
                select(
                    IdempotencyKey.request_hash,
                    IdempotencyKey.response_status,
                    IdempotencyKey.response_body,
                    IdempotencyKey.created_at,
                ).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            )
        ).one_or_none()
        if row is None:  # released between our insert and select: let the client retry
            raise IdempotencyConflict()
        if row.request_hash != request_hash:
            raise IdempotencyConflict(
                "This Idempotency-Key was already used with a different request body."
            )
        if row.response_status is not None:
            return StoredResponse(status=row.response_status, body=row.response_body, replayed=True)
        if row.created_at > now - IDEMPOTENCY_CLAIM_STALE_AFTER:
            raise IdempotencyConflict("A request with this Idempotency-Key is still running.")
        taken_over = await session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.created_at == row.created_at,
                IdempotencyKey.response_status.is_(None),
            )
            .values(created_at=now)
            .returning(IdempotencyKey.key)
            .execution_options(synchronize_session=False)
        )
        if taken_over.first() is None:
            raise IdempotencyConflict("A request with this Idempotency-Key is still running.")
        return None


async def complete(
    session: AsyncSession, *, user_id: uuid.UUID, key: str, status: int, body: Any
) -> None:
    """Record the response, in the use case's own transaction."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .values(response_status=status, response_body=body)
        .execution_options(synchronize_session=False)
    )


async def release(session: AsyncSession, *, user_id: uuid.UUID, key: str) -> None:
    """Give up an unfinished claim (the first attempt failed) so a retry can run."""
    async with session.begin():
        await session.execute(
            delete(IdempotencyKey)
            .where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.response_status.is_(None),
            )
            .execution_options(synchronize_session=False)
        )


async def purge(session: AsyncSession, *, before: datetime) -> int:
    """Forget keys created before ``before`` (in the caller's transaction)."""
    result = await session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.created_at < before)
        .returning(IdempotencyKey.key)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())
