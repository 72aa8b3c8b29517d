"""Emails about accounts: welcome, verification, password reset, organizer decision.

Auth is the source of truth for addresses: these messages update the recipient projection,
except a verification request, which may be for an address not confirmed yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import emails, repository
from notification_service.domain import Addressee, NotificationKind
from notification_service.service.delivery import tell
from shared.contracts.auth import (
    OrganizerDecidedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)
from shared.messaging import Envelope

if TYPE_CHECKING:
    from notification_service.context import Context

AccountMessage = (
    UserRegisteredV1
    | UserVerificationRequestedV1
    | UserPasswordResetRequestedV1
    | OrganizerDecidedV1
)


async def _addressee(
    session: AsyncSession, data: AccountMessage, *, overwrite: bool = True
) -> Addressee:
    """The address the message names, kept in the recipient projection (overwriting what was
    there unless the address is still unproven)."""
    await repository.add_recipient(
        session,
        user_id=data.user_id,
        email=data.email,
        full_name=data.full_name,
        overwrite=overwrite,
    )
    return Addressee(data.email, data.full_name)


async def welcome_user(
    session: AsyncSession, envelope: Envelope[UserRegisteredV1], ctx: Context
) -> None:
    """Remember the new user's address and send the welcome email (with the verification token)."""
    data = envelope.data
    to = await _addressee(session, data)
    email = emails.welcome(
        greeting=to.greeting,
        verification_token=data.verification_token,
        base_url=ctx.settings.PUBLIC_BASE_URL,
    )
    await tell(session, ctx, envelope, kind=NotificationKind.WELCOME, to=to, email=email)


async def send_verification(
    session: AsyncSession, envelope: Envelope[UserVerificationRequestedV1], ctx: Context
) -> None:
    """Email a (new) verification token to the address it verifies.

    The projection is only filled for an unknown user, not overwritten: the address may be
    one the user is still proving is theirs.
    """
    data = envelope.data
    to = await _addressee(session, data, overwrite=False)
    email = emails.verification(
        greeting=to.greeting,
        verification_token=data.verification_token,
        expires_at=data.expires_at,
        base_url=ctx.settings.PUBLIC_BASE_URL,
    )
    await tell(session, ctx, envelope, kind=NotificationKind.EMAIL_VERIFICATION, to=to, email=email)


async def tell_organizer_decision(
    session: AsyncSession, envelope: Envelope[OrganizerDecidedV1], ctx: Context
) -> None:
    """Tell an applicant whether they became an organizer."""
    data = envelope.data
    to = await _addressee(session, data)
    email = emails.organizer_decision(
        greeting=to.greeting, approved=data.approved, reason=data.reason
    )
    await tell(session, ctx, envelope, kind=NotificationKind.ORGANIZER_DECISION, to=to, email=email)


async def send_password_reset(
    session: AsyncSession, envelope: Envelope[UserPasswordResetRequestedV1], ctx: Context
) -> None:
    """Email the password-reset token."""
    data = envelope.data
    to = await _addressee(session, data)
    email = emails.password_reset(
        greeting=to.greeting,
        reset_token=data.reset_token,
        expires_at=data.expires_at,
        base_url=ctx.settings.PUBLIC_BASE_URL,
    )
    await tell(session, ctx, envelope, kind=NotificationKind.PASSWORD_RESET, to=to, email=email)
