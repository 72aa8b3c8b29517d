"""What several use cases share: account state, audit rows, announcements, the live-user
lookup."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import repository
from auth_service.domain import AccountDisabled, AccountState
from auth_service.orm import UserAccount
from shared.contracts import Contract
from shared.errors import NotFound
from shared.messaging import outbox


def account_state(user: UserAccount) -> AccountState:
    return AccountState(
        disabled_at=user.disabled_at, deleted_at=user.deleted_at, email_verified=user.email_verified
    )


async def audit(
    session: AsyncSession,
    action: str,
    *,
    at: datetime,
    actor_id: uuid.UUID | None,
    target: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """One audit row, in the caller's transaction."""
    await repository.add_audit(
        session, action=action, at=at, actor_id=actor_id, target=target, ip=ip, details=details
    )


async def announce(
    session: AsyncSession,
    message: Contract,
    *,
    action: str | None,
    at: datetime,
    actor_id: uuid.UUID | None,
    target: str,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """``message`` to the outbox and, unless ``action`` is None, its audit row, both in the
    caller's transaction."""
    await outbox.add(session, message)
    if action is not None:
        await audit(
            session, action, at=at, actor_id=actor_id, target=target, ip=ip, details=details
        )


def user_target(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


async def get_active_user(
    session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False
) -> UserAccount:
    user = await (repository.lock_user if lock else repository.get_user)(session, user_id)
    if user is None:
        raise NotFound("No such user.")
    if not account_state(user).is_active:
        raise AccountDisabled()
    return user
