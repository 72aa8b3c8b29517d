"""Telling someone one thing: where to write to them, sending the email and recording it.

See the package docstring for the failure rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import repository
from notification_service.context import Context
from notification_service.domain import (
    NO_ADDRESS,
    Addressee,
    AddressUnusable,
    MailNotSent,
    NotificationKind,
    NotificationStatus,
)
from notification_service.emails import Email
from notification_service.mailer import Attachment, message_id_header
from shared.contracts.auth import (
    OrganizerDecidedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)
from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1, BookingExpiredV1
from shared.contracts.payment import PaymentRefundedV1
from shared.logging import get_logger
from shared.messaging import Envelope

log = get_logger(__name__)

# A message someone is told about: each names the user it concerns.
Fact = TypeVar(
    "Fact",
    bound=UserRegisteredV1
    | UserVerificationRequestedV1
    | UserPasswordResetRequestedV1
    | OrganizerDecidedV1
    | BookingConfirmedV1
    | BookingCancelledV1
    | BookingExpiredV1
    | PaymentRefundedV1,
)

_ERROR_LIMIT = 500


async def address_of(session: AsyncSession, user_id: uuid.UUID, fallback_email: str) -> Addressee:
    """Where to write to a user: the projection (from auth) first, else the message's address,
    which then enters the projection."""
    known = await known_address(session, user_id)
    if known is not None:
        return known
    await repository.add_recipient(
        session, user_id=user_id, email=fallback_email, full_name=None, overwrite=False
    )
    return Addressee(fallback_email)


async def known_address(session: AsyncSession, user_id: uuid.UUID) -> Addressee | None:
    """The user's address in the projection (from auth), if any."""
    recipient = await repository.get_recipient(session, user_id)
    return None if recipient is None else Addressee(recipient.email, recipient.full_name)


@dataclass(frozen=True, slots=True)
class _Record:
    """The ``notification`` row of one email (one per message and kind)."""

    message_id: uuid.UUID
    kind: NotificationKind
    user_id: uuid.UUID
    subject: str

    async def write(
        self, session: AsyncSession, status: NotificationStatus, error: str | None = None
    ) -> None:
        await repository.add_notification(
            session,
            message_id=self.message_id,
            kind=self.kind,
            user_id=self.user_id,
            subject=self.subject,
            status=status,
            error=error[:_ERROR_LIMIT] if error else None,
        )


async def tell(
    session: AsyncSession,
    ctx: Context,
    envelope: Envelope[Fact],
    *,
    kind: NotificationKind,
    to: Addressee | None,
    email: Email,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Send ``email`` about ``envelope``'s fact to ``to`` and record it; with no (usable)
    address it is recorded failed, since no retry helps, and an SMTP failure is recorded and
    re-raised to be retried."""
    message_id, user_id = envelope.id, envelope.data.user_id
    record = _Record(message_id=message_id, kind=kind, user_id=user_id, subject=email.subject)
    if to is None:
        log.warning("notification_no_address", user_id=str(user_id), kind=kind.value)
        await record.write(session, NotificationStatus.FAILED, NO_ADDRESS)
        return
    try:
        message = ctx.mailer.build(
            to_email=to.email,
            to_name=to.name,
            email=email,
            message_id=message_id_header(message_id, kind.value),
            attachments=attachments,
        )
    except AddressUnusable as exc:
        log.warning("notification_bad_address", kind=kind.value, user_id=str(user_id))
        await record.write(session, NotificationStatus.FAILED, str(exc))
        return
    try:
        await ctx.mailer.send(message)
    except MailNotSent as exc:
        # the handler's transaction rolls back: the failure is kept in one of its own
        async with ctx.sessionmaker() as other, other.begin():
            await record.write(other, NotificationStatus.FAILED, str(exc))
        raise
    await record.write(session, NotificationStatus.SENT)
    log.info("notification_sent", kind=kind.value, message_id=str(message_id))
