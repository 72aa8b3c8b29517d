"""Sign-in, refresh-token rotation and sign-out."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import passwords, repository
from auth_service.domain import (
    AccountDisabled,
    InvalidCredentials,
    RefreshState,
    RefreshTokenInvalid,
    SessionEndReason,
    check_can_sign_in,
    refresh_expiry,
    refresh_state,
)
from auth_service.orm import UserAccount
from auth_service.schemas import TokenPair
from auth_service.service.common import account_state, audit, user_target
from auth_service.service.revocation import end_sessions
from auth_service.settings import Settings
from auth_service.throttle import LoginThrottle
from auth_service.tokens import TokenSigner, hash_refresh_token, new_refresh_token
from shared.db import utcnow
from shared.errors import DomainError
from shared.logging import get_logger

log = get_logger(__name__)


async def issue_tokens(
    session: AsyncSession,
    *,
    settings: Settings,
    signer: TokenSigner,
    user: UserAccount,
    family_id: uuid.UUID,
    session_expires_at: datetime,
    now: datetime,
) -> TokenPair:
    """A new access token and the family's next refresh token (in the caller's transaction)."""
    refresh_token = new_refresh_token()
    await repository.add_refresh_token(
        session,
        user_id=user.id,
        family_id=family_id,
        token_hash=hash_refresh_token(refresh_token),
        now=now,
        expires_at=refresh_expiry(
            now=now,
            ttl=timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS),
            session_expires_at=session_expires_at,
        ),
        session_expires_at=session_expires_at,
    )
    access = signer.mint(
        user_id=user.id,
        email=user.email,
        role=user.role,
        now=now,
        session_id=family_id,
        email_verified=user.email_verified,
        name=user.full_name,
    )
    return TokenPair(
        access_token=access.token, refresh_token=refresh_token, expires_in=access.expires_in
    )


async def _checked_credentials(
    session: AsyncSession, throttle: LoginThrottle, *, email: str, password: str, ip: str | None
) -> UserAccount:
    """The account whose password this is; else count the failure, audit it (actor null for an
    unknown email) and raise 401.

    Unknown email and wrong password take the same path: one argon2 verification, one audit
    row, one failure counted, the same 401 body."""
    async with session.begin():
        found = await repository.get_user_by_email(session, email)
    # The password check runs outside any transaction: no connection is held while hashing.
    if found is None:
        await passwords.verify_nothing(password)
    elif await passwords.verify_password(found.password_hash, password):
        return found
    await throttle.failed(email=email, ip=ip)
    async with session.begin():
        await audit(
            session,
            "user.login_failed",
            at=utcnow(),
            actor_id=found.id if found else None,
            target=user_target(found.id) if found else None,
            ip=ip,
        )
    raise InvalidCredentials()


async def login(
    session: AsyncSession,
    *,
    settings: Settings,
    signer: TokenSigner,
    throttle: LoginThrottle,
    email: str,
    password: str,
    ip: str | None,
) -> TokenPair:
    """Check the credentials and open a session (a new refresh-token family)."""
    await throttle.check(email=email, ip=ip)
    found = await _checked_credentials(session, throttle, email=email, password=password, ip=ip)
    now = utcnow()
    new_hash = (
        await passwords.hash_password(password)
        if passwords.needs_rehash(found.password_hash)
        else None
    )
    async with session.begin():
        # The row lock serializes with an admin disabling or deleting the account.
        user = await repository.lock_user(session, found.id)
        if user is None:
            raise InvalidCredentials()
        check_can_sign_in(
            account_state(user), require_verified_email=settings.AUTH_REQUIRE_VERIFIED_EMAIL
        )
        if new_hash is not None:
            user.password_hash = new_hash
        pair = await issue_tokens(
            session,
            settings=settings,
            signer=signer,
            user=user,
            family_id=uuid.uuid4(),
            session_expires_at=now + timedelta(seconds=settings.SESSION_MAX_AGE_SECONDS),
            now=now,
        )
        await audit(
            session, "user.login", at=now, actor_id=user.id, target=user_target(user.id), ip=ip
        )
    await throttle.succeeded(email=email, ip=ip)
    return pair


async def refresh_session(
    session: AsyncSession, *, settings: Settings, signer: TokenSigner, refresh_token: str
) -> TokenPair:
    """Rotate a refresh token; presenting a dead one revokes its whole family."""
    now = utcnow()
    error: DomainError | None = None
    async with session.begin():
        stored = await repository.lock_refresh_token(session, hash_refresh_token(refresh_token))
        if stored is None:
            raise RefreshTokenInvalid()
        state = refresh_state(
            used_at=stored.used_at,
            revoked_at=stored.revoked_at,
            expires_at=stored.expires_at,
            now=now,
        )
        if state is RefreshState.REUSED:
            # Commit the revocation, then answer 401 (raising here would roll it back).
            await end_sessions(
                session,
                settings=settings,
                user_id=stored.user_id,
                reason=SessionEndReason.REFRESH_REUSED,
                now=now,
                families=[stored.family_id],
            )
            if stored.used_at is not None:
                log.warning(
                    "refresh_token_reused",
                    user_id=str(stored.user_id),
                    family_id=str(stored.family_id),
                )
                await audit(
                    session,
                    "session.refresh_reused",
                    at=now,
                    actor_id=stored.user_id,
                    target=f"session:{stored.family_id}",
                )
            error = RefreshTokenInvalid()
        elif state is RefreshState.EXPIRED:
            raise RefreshTokenInvalid("The refresh token has expired.")
        else:
            user = await repository.lock_user(session, stored.user_id)
            if user is None or not account_state(user).is_active:
                raise AccountDisabled()
            stored.used_at = now
            pair = await issue_tokens(
                session,
                settings=settings,
                signer=signer,
                user=user,
                family_id=stored.family_id,
                session_expires_at=stored.session_expires_at,
                now=now,
            )
    if error is not None:
        raise error
    return pair


async def logout(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: uuid.UUID,
    session_id: uuid.UUID | None,
    refresh_token: str,
) -> None:
    """End the caller's session: the one of their access token, and the one the refresh token
    belongs to (only if it is the caller's own; silent otherwise)."""
    now = utcnow()
    async with session.begin():
        stored = await repository.lock_refresh_token(session, hash_refresh_token(refresh_token))
        families = {session_id} if session_id is not None else set()
        if stored is not None and stored.user_id == user_id:
            families.add(stored.family_id)
        if not families:
            return
        await end_sessions(
            session,
            settings=settings,
            user_id=user_id,
            reason=SessionEndReason.LOGOUT,
            now=now,
            families=families,
        )
        for family in sorted(families, key=str):
            await audit(
                session, "user.logout", at=now, actor_id=user_id, target=f"session:{family}"
            )
