"""Auth use cases: one use case, one transaction; messages leave through the outbox."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import passwords, repository
from auth_service.domain import (
    AccountDisabled,
    AccountState,
    InvalidCredentials,
    RefreshState,
    RefreshTokenInvalid,
    Role,
    check_can_sign_in,
    refresh_state,
)
from auth_service.orm import UserAccount
from auth_service.schemas import TokenPair
from auth_service.settings import Settings
from auth_service.tokens import TokenSigner, hash_refresh_token, new_refresh_token
from shared.contracts.auth import UserRegisteredV1
from shared.db import utcnow
from shared.errors import AlreadyExists, DomainError, InvalidState, NotFound
from shared.logging import get_logger
from shared.messaging import outbox
from shared.pagination import PageParams, paginate

log = get_logger("auth_service.service")


def _state(user: UserAccount) -> AccountState:
    return AccountState(
        disabled_at=user.disabled_at, deleted_at=user.deleted_at, email_verified=user.email_verified
    )


async def register_user(
    session: AsyncSession, *, settings: Settings, email: str, password: str, full_name: str
) -> UserAccount:
    """Create a customer account and announce it (user.registered)."""
    password_hash = await passwords.hash_password(password)
    now = utcnow()
    async with session.begin():
        user = await repository.add_user_if_new(
            session,
            id=uuid.uuid4(),
            email=email,
            full_name=full_name,
            password_hash=password_hash,
            role=Role.CUSTOMER.value,
            email_verified=False,
            created_at=now,
            updated_at=now,
        )
        if user is None:
            raise AlreadyExists("An account with this email already exists.")
        await outbox.add(
            session,
            UserRegisteredV1(user_id=user.id, email=user.email, full_name=user.full_name),
            producer=settings.SERVICE_NAME,
        )
    return user


async def _issue_tokens(
    session: AsyncSession,
    *,
    settings: Settings,
    signer: TokenSigner,
    user: UserAccount,
    family_id: uuid.UUID,
) -> TokenPair:
    now = utcnow()
    refresh_token = new_refresh_token()
    await repository.add_refresh_token(
        session,
        user_id=user.id,
        family_id=family_id,
        token_hash=hash_refresh_token(refresh_token),
        now=now,
        expires_at=now + timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS),
    )
    access = signer.mint(user_id=user.id, email=user.email, role=user.role, now=now)
    return TokenPair(
        access_token=access.token, refresh_token=refresh_token, expires_in=access.expires_in
    )


async def login(
    session: AsyncSession, *, settings: Settings, signer: TokenSigner, email: str, password: str
) -> TokenPair:
    """Check the credentials and open a session (a new refresh-token family)."""
    async with session.begin():
        found = await repository.get_user_by_email(session, email)
    # The password check runs outside any transaction: no connection is held while hashing.
    if found is None:
        await passwords.verify_nothing(password)
        raise InvalidCredentials()
    if not await passwords.verify_password(found.password_hash, password):
        raise InvalidCredentials()
    new_hash = (
        await passwords.hash_password(password)
        if passwords.needs_rehash(found.password_hash)
        else None
    )
    async with session.begin():
        user = await repository.lock_user(
            session, found.id
        )  # serializes with an admin disabling it
        if user is None:
            raise InvalidCredentials()
        check_can_sign_in(_state(user), require_verified_email=settings.AUTH_REQUIRE_VERIFIED_EMAIL)
        if new_hash is not None:
            user.password_hash = new_hash
        return await _issue_tokens(
            session, settings=settings, signer=signer, user=user, family_id=uuid.uuid4()
        )


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
            await repository.revoke_family(session, stored.family_id, now=now)
            log.warning(
                "refresh_token_reused", user_id=str(stored.user_id), family_id=str(stored.family_id)
            )
            error = RefreshTokenInvalid()
        elif state is RefreshState.EXPIRED:
            raise RefreshTokenInvalid("The refresh token has expired.")
        else:
            user = await repository.lock_user(session, stored.user_id)
            if user is None or not _state(user).is_active:
                raise AccountDisabled()
            stored.used_at = now
            pair = await _issue_tokens(
                session, settings=settings, signer=signer, user=user, family_id=stored.family_id
            )
    if error is not None:
        raise error
    return pair


async def logout(session: AsyncSession, *, user_id: uuid.UUID, refresh_token: str) -> None:
    """End the session the refresh token belongs to (only the caller's own; silent otherwise)."""
    now = utcnow()
    async with session.begin():
        stored = await repository.lock_refresh_token(session, hash_refresh_token(refresh_token))
        if stored is not None and stored.user_id == user_id:
            await repository.revoke_family(session, stored.family_id, now=now)


async def _get_active_user(session: AsyncSession, user_id: uuid.UUID) -> UserAccount:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound("No such user.")
    if not _state(user).is_active:
        raise AccountDisabled()
    return user


async def get_me(session: AsyncSession, *, user_id: uuid.UUID) -> UserAccount:
    async with session.begin():
        return await _get_active_user(session, user_id)


async def update_me(session: AsyncSession, *, user_id: uuid.UUID, full_name: str) -> UserAccount:
    async with session.begin():
        user = await _get_active_user(session, user_id)
        user.full_name = full_name
        user.updated_at = utcnow()
    return user


async def list_users(
    session: AsyncSession, *, q: str | None, role: Role | None, page: PageParams
) -> tuple[list[UserAccount], int]:
    async with session.begin():
        stmt = repository.list_users_stmt(q=q, role=role.value if role else None)
        return await paginate(session, stmt, page)


async def update_user_as_admin(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    user_id: uuid.UUID,
    role: Role | None,
    disabled: bool | None,
) -> UserAccount:
    """Change a user's role and/or disable them (which ends all their sessions)."""
    now = utcnow()
    async with session.begin():
        user = await repository.lock_user(session, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("No such user.")
        demotes_self = role is not None and role is not Role.ADMIN
        if user.id == actor_id and (demotes_self or disabled):
            raise InvalidState("Admins cannot demote or disable their own account.")
        changed = False
        if role is not None and user.role != role.value:
            user.role = role.value
            changed = True
        if disabled is True and user.disabled_at is None:
            user.disabled_at = now
            await repository.revoke_user_tokens(session, user.id, now=now)
            changed = True
        elif disabled is False and user.disabled_at is not None:
            user.disabled_at = None
            changed = True
        if changed:
            user.updated_at = now
    return user


async def ensure_admin(session: AsyncSession, *, email: str, password: str) -> bool:
    """Create the configured admin unless an account has that email; True when created.

    Safe when several processes start together (INSERT … ON CONFLICT DO NOTHING)."""
    async with session.begin():
        existing = await repository.get_user_by_email(session, email)
    if existing is not None:
        if existing.role != Role.ADMIN.value:
            log.warning("admin_email_taken_by_non_admin", email=email, role=existing.role)
        return False
    password_hash = await passwords.hash_password(password)
    now = utcnow()
    async with session.begin():
        created = await repository.add_user_if_new(
            session,
            id=uuid.uuid4(),
            email=email,
            full_name="Administrator",
            password_hash=password_hash,
            role=Role.ADMIN.value,
            email_verified=True,
            created_at=now,
            updated_at=now,
        )
    if created is not None:
        log.info("admin_created", email=email)
    return created is not None
