"""``Idempotency-Key`` for POST /api/payments: replay, conflict, in-flight (API.md).

A key is claimed in its own short transaction before the work starts, so a concurrent retry
sees it at once (409 while in flight). The answer is stored in the use case's final
transaction. A request that ends in an error releases its key, so the client may retry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payment_service.orm import IdempotencyKey
from shared.db import utcnow
from shared.errors import Conflict


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    message = "This Idempotency-Key was used with a different request."


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]


def fingerprint(body: dict[str, Any], *, secret: str) -> str:
    """A keyed hash of the request body (it holds a card number: never a plain digest)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


async def claim(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    key: str,
    request_hash: str,
    stale_after: timedelta,
) -> StoredResponse | None:
    """None: the caller owns the key and does the work. Otherwise the answer to replay."""
    async with session.begin():
        inserted = await session.execute(
            insert(IdempotencyKey)
            .values(user_id=user_id, key=key, request_hash=request_hash)
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.key)
        )
        if inserted.first() is not None:
            return None
        row = (
            await session.execute(
                select(IdempotencyKey)
                .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                .with_for_update()
            )
        ).scalar_one()
        if not hmac.compare_digest(row.request_hash, request_hash):
            raise IdempotencyConflict()
        if row.response_status is not None and row.response_body is not None:
            return StoredResponse(row.response_status, row.response_body)
        if row.created_at > utcnow() - stale_after:
            raise IdempotencyConflict(
                "A request with this Idempotency-Key is still being processed; retry later.",
                details={"reason": "in_progress"},
            )
        # The first request died without an answer: this retry takes the key over.
        row.created_at = utcnow()
        return None


async def store(
    session: AsyncSession, *, user_id: uuid.UUID, key: str, response: StoredResponse
) -> None:
    """Record the answer, inside the use case's final transaction."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .values(response_status=response.status_code, response_body=response.body)
    )


async def release(session: AsyncSession, *, user_id: uuid.UUID, key: str) -> None:
    """Forget an unanswered key (the request failed), so the client may retry with it."""
    async with session.begin():
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.response_status.is_(None),
            )
        )


async def purge(session: AsyncSession, *, older_than: timedelta) -> int:
    """Drop keys past their keeping time (API.md: at least 24 h)."""
    async with session.begin():
        result = await session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - older_than)
        )
    return int(getattr(result, "rowcount", 0) or 0)
