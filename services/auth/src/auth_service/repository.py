"""Queries over auth's tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.orm import RefreshToken, UserAccount


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> UserAccount | None:
    return await session.get(UserAccount, user_id)


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> UserAccount | None:
    stmt = select(UserAccount).where(UserAccount.id == user_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_user_by_email(session: AsyncSession, email: str) -> UserAccount | None:
    stmt = select(UserAccount).where(UserAccount.email == email)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_user_if_new(session: AsyncSession, **values: Any) -> UserAccount | None:
    """Insert an account unless its email is taken (race-free); None when it was taken."""
    stmt = (
        insert(UserAccount)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[UserAccount.email])
        .returning(UserAccount)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def list_users_stmt(*, q: str | None, role: str | None) -> Select[Any]:
    stmt = select(UserAccount)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                UserAccount.email.ilike(pattern, escape="\\"),
                UserAccount.full_name.ilike(pattern, escape="\\"),
            )
        )
    if role:
        stmt = stmt.where(UserAccount.role == role)
    return stmt.order_by(UserAccount.created_at.desc(), UserAccount.id)


async def add_refresh_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    token_hash: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        RefreshToken(
            id=uuid.uuid4(),
            user_id=user_id,
            family_id=family_id,
            token_hash=token_hash,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()


async def lock_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, *, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_tokens(session: AsyncSession, user_id: uuid.UUID, *, now: datetime) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
