"""``Idempotency-Key`` for money and inventory POSTs (API.md), the same in every service.

The same key and body replay the first response; a different body, or a retry while the first
request still runs, is 409 ``idempotency_conflict``. Keys are per user and kept at least 24 h.

Use cases call :func:`run_once`; the use case's own final transaction records the answer with
``await claim.record(session, response)`` (a no-op without a key).

How: the key is claimed first in its own short transaction (so a concurrent retry sees it at
once), with a null response; the use case records its response in its own final transaction;
a first attempt that fails gives the claim up so a retry can run, and a claim whose request
died without either is taken over after ``stale_after``. The table ``idempotency_key`` (user_id,
key, request_hash, response_status, response_body jsonb, created_at) lives in each service's
database, created by its migrations.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Conflict
from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger("shared.idempotency")

# what ``IdempotencyKeyHeader`` accepts, as one pattern (1–255 printable ASCII, no space)
IDEMPOTENCY_KEY_PATTERN = r"[\x21-\x7e]{1,255}"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe creation: the same key and body replay the first response.",
    ),
]

_INSERT = text(
    "INSERT INTO idempotency_key (user_id, key, request_hash, created_at) "
    "VALUES (:user_id, :key, :hash, now()) ON CONFLICT DO NOTHING RETURNING key"
)
_LOCK = text(
    "SELECT request_hash, response_status, response_body, created_at, "
    "created_at < now() - make_interval(secs => :stale) AS stale "
    "FROM idempotency_key WHERE user_id = :user_id AND key = :key FOR UPDATE"
)
_TAKE_OVER = text(
    "UPDATE idempotency_key SET created_at = now() WHERE user_id = :user_id AND key = :key"
)
_COMPLETE = text(
    "UPDATE idempotency_key SET response_status = :status, response_body = CAST(:body AS jsonb) "
    "WHERE user_id = :user_id AND key = :key"
)
_RELEASE = text(
    "DELETE FROM idempotency_key "
    "WHERE user_id = :user_id AND key = :key AND response_status IS NULL"
)
_PURGE = text("DELETE FROM idempotency_key WHERE created_at < now() - make_interval(secs => :age)")


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    message = "This Idempotency-Key was already used with a different request body."


REPLAY_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: Any
    replayed: bool = False

    def answer(self) -> JSONResponse:
        """The HTTP answer: a replay says so in ``Idempotent-Replayed: true``."""
        headers = {REPLAY_HEADER: "true"} if self.replayed else None
        return JSONResponse(self.body, status_code=self.status, headers=headers)


def fingerprint(body: dict[str, Any], *, secret: str | None = None) -> str:
    """A stable hash of a request body (key order does not matter); keyed with ``secret`` when
    the body holds something sensitive, such as a card number."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    if secret is None:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()


async def claim(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    key: str,
    request_hash: str,
    stale_after: timedelta,
) -> StoredResponse | None:
    """None: the caller now owns the key and must run the request. Otherwise the first
    response, to replay. Raises :class:`IdempotencyConflict` (other body, or still running)."""
    params = {"user_id": user_id, "key": key}
    async with session.begin():
        inserted = await session.execute(_INSERT, {**params, "hash": request_hash})
        if inserted.first() is not None:
            return None
        row = (
            await session.execute(_LOCK, {**params, "stale": stale_after.total_seconds()})
        ).one_or_none()
        if row is None:  # released between our insert and our read: the client may retry
            raise IdempotencyConflict("A request with this Idempotency-Key just failed; retry.")
        if not hmac.compare_digest(row.request_hash, request_hash):
            raise IdempotencyConflict()
        if row.response_status is not None:
            return StoredResponse(status=row.response_status, body=row.response_body, replayed=True)
        if not row.stale:
            raise IdempotencyConflict(
                "A request with this Idempotency-Key is still running; retry later.",
                details={"reason": "in_progress"},
            )
        await session.execute(_TAKE_OVER, params)  # the first request died without an answer
        return None


async def complete(
    session: AsyncSession, *, user_id: uuid.UUID, key: str, response: StoredResponse
) -> None:
    """Record the response, inside the use case's final transaction."""
    await session.execute(
        _COMPLETE,
        {
            "user_id": user_id,
            "key": key,
            "status": response.status,
            "body": json.dumps(response.body, default=str),
        },
    )


async def release(session: AsyncSession, *, user_id: uuid.UUID, key: str) -> None:
    """Give up an unanswered claim (the first attempt failed) so a retry can run."""
    async with session.begin():
        await session.execute(_RELEASE, {"user_id": user_id, "key": key})


async def purge(session: AsyncSession, *, older_than: timedelta) -> int:
    """Forget keys past their keeping time, in the caller's transaction."""
    result = await session.execute(_PURGE, {"age": older_than.total_seconds()})
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class KeyClaim:
    """The running request's hold on its ``Idempotency-Key`` (``key`` None: sent without one)."""

    user_id: uuid.UUID
    key: str | None

    async def record(self, session: AsyncSession, response: StoredResponse) -> None:
        """Store the answer for replays, in the use case's final transaction."""
        if self.key is not None:
            await complete(session, user_id=self.user_id, key=self.key, response=response)


async def run_once(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    key: str | None,
    body: dict[str, Any],
    settings: ServiceSettings,
    run: Callable[[KeyClaim], Awaitable[StoredResponse]],
    secret: str | None = None,
) -> StoredResponse:
    """Run a POST at most once per ``Idempotency-Key``: replay a stored answer, refuse a
    conflicting or concurrent retry (409), or run ``run`` — which records its answer with
    ``claim.record`` — and give the key up again if it fails, so a retry can run."""
    if key is None:
        return await run(KeyClaim(user_id, None))
    stored = await claim(
        session,
        user_id=user_id,
        key=key,
        request_hash=fingerprint(body, secret=secret),
        stale_after=timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS),
    )
    if stored is not None:
        return stored
    try:
        return await run(KeyClaim(user_id, key))
    except Exception:
        try:
            await release(session, user_id=user_id, key=key)
        except Exception:  # the claim goes stale and is taken over after the stale time
            log.exception("idempotency_release_failed")
        raise
