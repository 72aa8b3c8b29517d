"""Telling someone one thing: where to write to them, sending the email and recording it.

The email is only queued here (``pending_email``, in the handler's transaction): the mail
sender (:mod:`.mailing`) sends it after the commit. See the package docstring.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import repository
from notification_service.domain import (
    NO_ADDRESS,
    Addressee,
    AddressUnusable,
    NotificationKind,
    NotificationStatus,
)
from notification_service.emails import Email
from notification_service.mailer import check_address
from shared.contracts.auth import (
    OrganizerDecidedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)
from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1, BookingExpiredV1
from shared.contracts.event import WaitlistOfferedV1
from shared.contracts.payment import PaymentRefundedV1
from shared.db import after_commit
from shared.logging import get_logger
from shared.messaging import Envelope

if TYPE_CHECKING:
    from notification_service.context import Context

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
    | PaymentRefundedV1
    | WaitlistOfferedV1,
)

ERROR_LIMIT = 500  # characters of an SMTP error kept in ``notification.error``


async def address_of(
    session: AsyncSession,
    user_id: uuid.UUID,
    fallback_email: str,
    *,
    lock_tickets_of: uuid.UUID | None = None,
) -> Addressee:
    """Where to write to a user: the projection (from auth) first, else the message's address,
    which then enters the projection. With ``lock_tickets_of``, that booking's tickets are
    locked in the same round trip (see ``service.tickets``)."""
    recipient = await repository.get_recipient(session, user_id, lock_tickets_of=lock_tickets_of)
    if recipient is not None:
        return Addressee(*recipient)
    await repository.add_recipient(
        session, user_id=user_id, email=fallback_email, full_name=None, overwrite=False
    )
    return Addressee(fallback_email)


async def known_address(session: AsyncSession, user_id: uuid.UUID) -> Addressee | None:
    """The user's address in the projection (from auth), if any."""
    recipient = await repository.get_recipient(session, user_id)
    return None if recipient is None else Addressee(*recipient)


def addressed(
    envelope: Envelope[Fact],
    *,
    kind: NotificationKind,
    to: Addressee | None,
    email: Email,
    tickets_of: uuid.UUID | None = None,
) -> repository.QueuedEmail | repository.NotificationRecord:
    """``email`` about ``envelope``'s fact to ``to`` (with the PDF tickets of booking
    ``tickets_of`` attached), ready to queue — or, when there is no (usable) address, its
    ``failed`` record (no retry would help)."""
    message_id, user_id = envelope.id, envelope.data.user_id
    problem = None if to is None else _unusable(to)
    if to is None or problem is not None:
        log.warning("notification_not_addressable", user_id=str(user_id), kind=kind.value)
        return repository.NotificationRecord(
            message_id=message_id,
            kind=kind.value,
            user_id=user_id,
            subject=email.subject,
            status=NotificationStatus.FAILED,
            error=(problem or NO_ADDRESS)[:ERROR_LIMIT],
        )
    return repository.QueuedEmail(
        message_id=message_id,
        kind=kind.value,
        user_id=user_id,
        to_email=to.email,
        to_name=to.name,
        subject=email.subject,
        text_body=email.text,
        html_body=email.html,
        ticket_booking_id=tickets_of,
    )


def wake_sender_after_commit(session: AsyncSession, ctx: Context) -> None:
    """The mail sender sends what this transaction queued as soon as it commits."""
    after_commit(session, ctx.mail_wake.ring)


async def tell(
    session: AsyncSession,
    ctx: Context,
    envelope: Envelope[Fact],
    *,
    kind: NotificationKind,
    to: Addressee | None,
    email: Email,
) -> None:
    """Queue ``email`` about ``envelope``'s fact to ``to``, sent once this transaction
    commits; with no (usable) address it is recorded failed at once."""
    queued = addressed(envelope, kind=kind, to=to, email=email)
    if isinstance(queued, repository.NotificationRecord):
        await repository.record_notifications(session, [queued])
        return
    await repository.add_pending_email(session, queued)
    wake_sender_after_commit(session, ctx)


def _unusable(to: Addressee) -> str | None:
    """Why the address cannot go on an envelope, if it cannot."""
    try:
        check_address(to.email, to.name)
    except AddressUnusable as exc:
        return str(exc)
    return None
