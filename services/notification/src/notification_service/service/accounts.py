"""Emails about accounts: welcome, verification, password reset, organizer decision.

Auth is the source of truth for addresses: these messages update the recipient projection,
except a verification request, which may be for an address not confirmed yet.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import emails, repository
from notification_service.domain import NotificationKind, clean_text, display_name
from notification_service.service.delivery import Courier, Outgoing, deliver
from shared.contracts.auth import (
    OrganizerDecidedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)


async def welcome_user(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: UserRegisteredV1
) -> None:
    """Remember the new user's address and send the welcome email (with the verification token)."""
    await repository.add_recipient(
        session, user_id=data.user_id, email=data.email, full_name=data.full_name, overwrite=True
    )
    email = emails.welcome(
        greeting=display_name(data.full_name, data.email),
        verification_token=data.verification_token,
        base_url=courier.settings.PUBLIC_BASE_URL,
    )
    await deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.WELCOME,
            user_id=data.user_id,
            to_email=data.email,
            to_name=clean_text(data.full_name),
            email=email,
        ),
    )


async def send_verification(
    session: AsyncSession,
    courier: Courier,
    *,
    message_id: uuid.UUID,
    data: UserVerificationRequestedV1,
) -> None:
    """Email a (new) verification token to the address it verifies.

    The projection is only filled for an unknown user, not overwritten: the address may be
    one the user is still proving is theirs.
    """
    await repository.add_recipient(
        session, user_id=data.user_id, email=data.email, full_name=data.full_name, overwrite=False
    )
    email = emails.verification(
        greeting=display_name(data.full_name, data.email),
        verification_token=data.verification_token,
        expires_at=data.expires_at,
        base_url=courier.settings.PUBLIC_BASE_URL,
    )
    await deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.EMAIL_VERIFICATION,
            user_id=data.user_id,
            to_email=data.email,
            to_name=clean_text(data.full_name),
            email=email,
        ),
    )


async def tell_organizer_decision(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: OrganizerDecidedV1
) -> None:
    """Tell an applicant whether they became an organizer."""
    await repository.add_recipient(
        session, user_id=data.user_id, email=data.email, full_name=data.full_name, overwrite=True
    )
    email = emails.organizer_decision(
        greeting=display_name(data.full_name, data.email),
        approved=data.approved,
        reason=data.reason,
    )
    await deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.ORGANIZER_DECISION,
            user_id=data.user_id,
            to_email=data.email,
            to_name=clean_text(data.full_name),
            email=email,
        ),
    )


async def send_password_reset(
    session: AsyncSession,
    courier: Courier,
    *,
    message_id: uuid.UUID,
    data: UserPasswordResetRequestedV1,
) -> None:
    """Email the password-reset token."""
    await repository.add_recipient(
        session, user_id=data.user_id, email=data.email, full_name=data.full_name, overwrite=True
    )
    email = emails.password_reset(
        greeting=display_name(data.full_name, data.email),
        reset_token=data.reset_token,
        expires_at=data.expires_at,
        base_url=courier.settings.PUBLIC_BASE_URL,
    )
    await deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.PASSWORD_RESET,
            user_id=data.user_id,
            to_email=data.email,
            to_name=clean_text(data.full_name),
            email=email,
        ),
    )
