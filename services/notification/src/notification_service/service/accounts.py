"""Emails about accounts: welcome, verification, password reset, organizer decision.

Auth is the source of truth for addresses: these messages update the recipient projection,
except a verification request, which may be for an address not confirmed yet.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import emails, repository
from notification_service.domain import NotificationKind, clean_text, display_name
from notification_service.emails import Email
from notification_service.service.delivery import Courier, Outgoing, deliver
from shared.contracts.auth import (
    OrganizerDecidedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)

AccountMessage = (
    UserRegisteredV1
    | UserVerificationRequestedV1
    | UserPasswordResetRequestedV1
    | OrganizerDecidedV1
)


async def _tell(
    session: AsyncSession,
    courier: Courier,
    *,
    message_id: uuid.UUID,
    data: AccountMessage,
    kind: NotificationKind,
    email: Email,
    remember_address: bool = True,
) -> None:
    """Keep the recipient projection (overwritten unless the address is still unproven), then
    send ``email`` to the address the message names."""
    await repository.add_recipient(
        session,
        user_id=data.user_id,
        email=data.email,
        full_name=data.full_name,
        overwrite=remember_address,
    )
    await deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=kind,
            user_id=data.user_id,
            to_email=data.email,
            to_name=clean_text(data.full_name),
            email=email,
        ),
    )


async def welcome_user(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: UserRegisteredV1
) -> None:
    """Remember the new user's address and send the welcome email (with the verification token)."""
    email = emails.welcome(
        greeting=display_name(data.full_name, data.email),
        verification_token=data.verification_token,
        base_url=courier.settings.PUBLIC_BASE_URL,
    )
    await _tell(
        session,
        courier,
        message_id=message_id,
        data=data,
        kind=NotificationKind.WELCOME,
        email=email,
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
    email = emails.verification(
        greeting=display_name(data.full_name, data.email),
        verification_token=data.verification_token,
        expires_at=data.expires_at,
        base_url=courier.settings.PUBLIC_BASE_URL,
    )
    await _tell(
        session,
        courier,
        message_id=message_id,
        data=data,
        kind=NotificationKind.EMAIL_VERIFICATION,
        email=email,
        remember_address=False,
    )


async def tell_organizer_decision(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: OrganizerDecidedV1
) -> None:
    """Tell an applicant whether they became an organizer."""
    email = emails.organizer_decision(
        greeting=display_name(data.full_name, data.email),
        approved=data.approved,
        reason=data.reason,
    )
    await _tell(
        session,
        courier,
        message_id=message_id,
        data=data,
        kind=NotificationKind.ORGANIZER_DECISION,
        email=email,
    )


async def send_password_reset(
    session: AsyncSession,
    courier: Courier,
    *,
    message_id: uuid.UUID,
    data: UserPasswordResetRequestedV1,
) -> None:
    """Email the password-reset token."""
    email = emails.password_reset(
        greeting=display_name(data.full_name, data.email),
        reset_token=data.reset_token,
        expires_at=data.expires_at,
        base_url=courier.settings.PUBLIC_BASE_URL,
    )
    await _tell(
        session,
        courier,
        message_id=message_id,
        data=data,
        kind=NotificationKind.PASSWORD_RESET,
        email=email,
    )
