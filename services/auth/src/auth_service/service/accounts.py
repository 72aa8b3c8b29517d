"""Accounts: registration, the caller's own account, email verification and the mailed
one-time tokens (verification, password reset)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import passwords, repository
from auth_service.domain import (
    Role,
    TokenInvalid,
    TokenPurpose,
    one_time_token_usable,
)
from auth_service.orm import AccountToken, UserAccount
from auth_service.service.common import (
    account_state,
    announce,
    audit,
    get_active_user,
    user_target,
)
from auth_service.settings import Settings
from auth_service.throttle import MailCooldown
from auth_service.tokens import hash_opaque_token, new_opaque_token
from shared.contracts import Contract
from shared.contracts.auth import (
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)
from shared.db import utcnow
from shared.errors import AlreadyExists
from shared.logging import get_logger

log = get_logger(__name__)

# The cool-down's name for each kind of mailed token (part of its Redis key).
_MAIL_KIND = {TokenPurpose.VERIFY_EMAIL: "verify", TokenPurpose.RESET_PASSWORD: "reset"}

Mail = Callable[[str, datetime], Contract]


def _token_ttl_seconds(settings: Settings, purpose: TokenPurpose) -> int:
    if purpose is TokenPurpose.VERIFY_EMAIL:
        return settings.EMAIL_VERIFICATION_TTL_SECONDS
    return settings.PASSWORD_RESET_TTL_SECONDS


async def _mail_token(
    session: AsyncSession,
    *,
    settings: Settings,
    user: UserAccount,
    purpose: TokenPurpose,
    message: Mail,
    now: datetime,
    action: str | None = None,
    ip: str | None = None,
    cooldown: MailCooldown | None = None,
) -> None:
    """A new one-time ``purpose`` token for ``user`` (only its hash is stored), sent as
    ``message(token, expires_at)`` through the outbox, with the audit row ``action`` if any; in
    the caller's transaction. With a ``cooldown``, nothing while the account is in it."""
    if cooldown is not None and not await cooldown.claim(
        kind=_MAIL_KIND[purpose], email=user.email
    ):
        return
    token = new_opaque_token()
    expires_at = now + timedelta(seconds=_token_ttl_seconds(settings, purpose))
    await repository.add_account_token(
        session,
        user_id=user.id,
        purpose=purpose.value,
        token_hash=hash_opaque_token(token),
        now=now,
        expires_at=expires_at,
    )
    await announce(
        session,
        message(token, expires_at),
        action=action,
        at=now,
        actor_id=user.id,
        target=user_target(user.id),
        ip=ip,
    )


async def register_user(
    session: AsyncSession,
    *,
    settings: Settings,
    email: str,
    password: str,
    full_name: str,
    ip: str | None = None,
) -> UserAccount:
    """Create a customer account and announce it (user.registered, with a verification token)."""
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
        await _mail_token(
            session,
            settings=settings,
            user=user,
            purpose=TokenPurpose.VERIFY_EMAIL,
            message=lambda token, _expires_at: UserRegisteredV1(
                user_id=user.id,
                email=user.email,
                full_name=user.full_name,
                verification_token=token,
            ),
            now=now,
            action="user.registered",
            ip=ip,
        )
    return user


async def spend_token(
    session: AsyncSession, *, token: str, purpose: TokenPurpose, now: datetime
) -> tuple[AccountToken, UserAccount]:
    """Lock a live one-time token and its active account, and mark the token used."""
    stored = await repository.get_account_token(
        session, token_hash=hash_opaque_token(token), purpose=purpose.value, lock=True
    )
    if stored is None or not one_time_token_usable(
        used_at=stored.used_at, expires_at=stored.expires_at, now=now
    ):
        raise TokenInvalid()
    user = await repository.lock_user(session, stored.user_id)
    if user is None or not account_state(user).is_active:
        raise TokenInvalid()
    stored.used_at = now
    return stored, user


async def verify_email(session: AsyncSession, *, token: str, ip: str | None = None) -> None:
    """Mark the account's email verified (the token works once, before it expires)."""
    now = utcnow()
    async with session.begin():
        _stored, user = await spend_token(
            session, token=token, purpose=TokenPurpose.VERIFY_EMAIL, now=now
        )
        await repository.retire_account_tokens(
            session, user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL.value, now=now
        )
        if not user.email_verified:
            user.email_verified = True
            user.updated_at = now
        await audit(
            session,
            "user.email_verified",
            at=now,
            actor_id=user.id,
            target=user_target(user.id),
            ip=ip,
        )


async def resend_verification(
    session: AsyncSession, *, settings: Settings, cooldown: MailCooldown, email: str
) -> None:
    """Send a new verification token to an existing, active, unverified account; silent
    otherwise (the caller always answers 202). At most one per cool-down per account."""
    now = utcnow()
    async with session.begin():
        user = await repository.get_live_user_by_email(session, email)
        if user is None or user.email_verified or not account_state(user).is_active:
            return
        await _mail_token(
            session,
            settings=settings,
            user=user,
            purpose=TokenPurpose.VERIFY_EMAIL,
            message=lambda token, expires_at: UserVerificationRequestedV1(
                user_id=user.id,
                email=user.email,
                full_name=user.full_name,
                verification_token=token,
                expires_at=expires_at,
            ),
            now=now,
            cooldown=cooldown,
        )


async def request_password_reset(
    session: AsyncSession,
    *,
    settings: Settings,
    cooldown: MailCooldown,
    email: str,
    ip: str | None = None,
) -> None:
    """Send a reset token to an existing active account; silent otherwise (always 202)."""
    now = utcnow()
    async with session.begin():
        user = await repository.get_live_user_by_email(session, email)
        if user is None or not account_state(user).is_active:
            return
        await _mail_token(
            session,
            settings=settings,
            user=user,
            purpose=TokenPurpose.RESET_PASSWORD,
            message=lambda token, expires_at: UserPasswordResetRequestedV1(
                user_id=user.id,
                email=user.email,
                full_name=user.full_name,
                reset_token=token,
                expires_at=expires_at,
            ),
            now=now,
            action="user.password_reset_requested",
            ip=ip,
            cooldown=cooldown,
        )


async def get_me(session: AsyncSession, *, user_id: uuid.UUID) -> UserAccount:
    async with session.begin():
        return await get_active_user(session, user_id)


async def update_me(session: AsyncSession, *, user_id: uuid.UUID, full_name: str) -> UserAccount:
    async with session.begin():
        user = await get_active_user(session, user_id, lock=True)
        user.full_name = full_name
        user.updated_at = utcnow()
    return user


async def ensure_admin(session: AsyncSession, *, email: str, password: str) -> bool:
    """Create the configured admin unless a live account has that email; True when created.

    Safe when several processes start together (INSERT … ON CONFLICT DO NOTHING)."""
    async with session.begin():
        existing = await repository.get_live_user_by_email(session, email)
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
            await audit(
                session, "admin.created", at=now, actor_id=None, target=user_target(created.id)
            )
    if created is not None:
        log.info("admin_created", email=email)
    return created is not None
