"""Passwords: reset with a mailed token, change with the current one. Both end sessions."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import passwords, repository
from auth_service.domain import (
    SessionEndReason,
    TokenInvalid,
    TokenPurpose,
    WrongPassword,
    one_time_token_usable,
)
from auth_service.service.accounts import spend_token
from auth_service.service.common import audit, get_active_user, user_target
from auth_service.service.revocation import end_sessions
from auth_service.settings import Settings
from auth_service.throttle import LoginThrottle
from auth_service.tokens import hash_opaque_token
from shared.db import utcnow


async def reset_password(
    session: AsyncSession,
    *,
    settings: Settings,
    token: str,
    new_password: str,
    ip: str | None = None,
) -> None:
    """Set a new password with a reset token; every session of the account ends."""
    # Refuse a bad token before paying for a hash (a garbage token must stay cheap).
    async with session.begin():
        stored = await repository.get_account_token(
            session,
            token_hash=hash_opaque_token(token),
            purpose=TokenPurpose.RESET_PASSWORD.value,
        )
        if stored is None or not one_time_token_usable(
            used_at=stored.used_at, expires_at=stored.expires_at, now=utcnow()
        ):
            raise TokenInvalid()
    password_hash = await passwords.hash_password(new_password)
    now = utcnow()
    async with session.begin():
        _stored, user = await spend_token(
            session, token=token, purpose=TokenPurpose.RESET_PASSWORD, now=now
        )
        await repository.retire_account_tokens(
            session, user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD.value, now=now
        )
        user.password_hash = password_hash
        user.email_verified = True  # the token arrived by email: the address is theirs
        user.updated_at = now
        await end_sessions(
            session,
            settings=settings,
            user_id=user.id,
            reason=SessionEndReason.PASSWORD_RESET,
            now=now,
        )
        await audit(
            session,
            "user.password_reset",
            at=now,
            actor_id=user.id,
            target=user_target(user.id),
            ip=ip,
        )


async def change_password(
    session: AsyncSession,
    *,
    settings: Settings,
    throttle: LoginThrottle,
    user_id: uuid.UUID,
    session_id: uuid.UUID | None,
    current_password: str,
    new_password: str,
    ip: str | None = None,
) -> None:
    """Change the caller's password; their other sessions end (this one stays)."""
    async with session.begin():
        found = await get_active_user(session, user_id)
    await throttle.check(email=found.email, ip=ip)
    if not await passwords.verify_password(found.password_hash, current_password):
        await throttle.failed(email=found.email, ip=ip)
        raise WrongPassword()
    password_hash = await passwords.hash_password(new_password)
    now = utcnow()
    async with session.begin():
        user = await get_active_user(session, user_id, lock=True)
        user.password_hash = password_hash
        user.updated_at = now
        revoked = await end_sessions(
            session,
            settings=settings,
            user_id=user.id,
            reason=SessionEndReason.PASSWORD_CHANGED,
            now=now,
            except_family=session_id,
        )
        await repository.retire_account_tokens(
            session, user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD.value, now=now
        )
        await audit(
            session,
            "user.password_changed",
            at=now,
            actor_id=user.id,
            target=user_target(user.id),
            ip=ip,
            details={"sessions_revoked": revoked},
        )
