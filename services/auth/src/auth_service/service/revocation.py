"""Ending sessions early, promptly: their refresh tokens die, and ``session.revoked`` tells every
service to refuse their access tokens until those would have expired anyway.

The revocation is written twice in the ending transaction: a ``session_revocation`` row (what
``GET /internal/revocations`` serves to a service that starts, and auth's own start-up reads)
and the outbox message (what every running process hears within a second).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import repository
from auth_service.domain import SessionEndReason, access_tokens_live_for
from auth_service.settings import Settings
from shared.contracts.auth import SessionRevokedV1
from shared.db import utcnow
from shared.messaging import outbox


async def end_sessions(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: uuid.UUID,
    reason: SessionEndReason,
    now: datetime,
    families: Collection[uuid.UUID] | None = None,
    except_family: uuid.UUID | None = None,
) -> int:
    """End the user's sessions (``families`` only, or all but ``except_family``) in the caller's
    transaction and announce those that may still hold a live access token; how many ended."""
    revoked = await repository.revoke_refresh_tokens(
        session, user_id=user_id, now=now, families=families, except_family=except_family
    )
    live_for = access_tokens_live_for(
        ttl_seconds=settings.ACCESS_TOKEN_TTL_SECONDS, leeway_seconds=settings.JWT_LEEWAY_SECONDS
    )
    # Every access token comes with a refresh token issued at the same instant, so a session
    # whose newest refresh token is older than an access token's whole life has none left.
    # A session already ended earlier has nothing left to revoke: it was announced then.
    ended = {family for family, _ in revoked}
    live = sorted({family for family, issued_at in revoked if issued_at > now - live_for}, key=str)
    if live:
        message = SessionRevokedV1(
            user_id=user_id, session_ids=live, reason=reason.value, expires_at=now + live_for
        )
        await repository.add_revocation(
            session,
            user_id=user_id,
            session_ids=live,
            reason=reason.value,
            revoked_at=now,
            expires_at=message.expires_at,
        )
        await outbox.add(session, message)
    return len(ended)


async def revocations_in_force(session: AsyncSession) -> list[SessionRevokedV1]:
    """The revocations whose sessions may still hold unexpired access tokens."""
    async with session.begin():
        rows = await repository.list_revocations_in_force(session, now=utcnow())
        return [
            SessionRevokedV1(
                user_id=row.user_id,
                session_ids=list(row.session_ids),
                reason=row.reason,
                expires_at=row.expires_at,
            )
            for row in rows
        ]


async def prune_revocations(session: AsyncSession) -> int:
    """Forget revocations past their ``expires_at`` (no token they name can still be valid)."""
    async with session.begin():
        return await repository.delete_revocations_expired(session, before=utcnow())
