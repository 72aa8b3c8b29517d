"""Use cases: tell people what happened (one email per fact) and hand out their PDF tickets.

Sending and recording. A handler runs inside the consumer's transaction (inbox claim + effect,
committed before the ack). The email is sent, then its ``notification`` row is written in that
transaction, so:

- a redelivered message (same envelope id) is a duplicate in the inbox: no second email;
- an SMTP failure is recorded as ``failed`` in a transaction of its own (the handler's rolls
  back) and re-raised, so the runner retries with backoff and finally dead-letters it; a later
  success turns the row into ``sent``;
- a crash after the SMTP server accepted the email but before the commit redelivers the
  message and sends it once more (same Message-ID header, so clients can fold the two):
  at-least-once — an email may repeat in that narrow window, it is never lost.

The ticket PDF and its ``ticket_document`` row are committed in their own transaction before
the email goes out: a retry reuses the stored file (same sha256) instead of rendering again,
and the buyer can download the tickets even while email is failing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification_service import emails, repository, tickets
from notification_service.domain import (
    NO_ADDRESS,
    NotificationKind,
    NotificationStatus,
    clean_text,
    display_name,
)
from notification_service.emails import Email
from notification_service.mailer import (
    Attachment,
    InvalidAddress,
    Mailer,
    MailError,
    message_id_header,
)
from notification_service.schemas import NotificationRead
from notification_service.settings import Settings
from shared.contracts.auth import OrganizerDecidedV1, UserPasswordResetRequestedV1, UserRegisteredV1
from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1, BookingExpiredV1
from shared.contracts.payment import PaymentRefundedV1
from shared.errors import NotFound
from shared.logging import get_logger
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal

log = get_logger("notification.service")

_ERROR_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Courier:
    """What sending needs, wired once in ``main.py``."""

    settings: Settings
    mailer: Mailer
    sessionmaker: async_sessionmaker[AsyncSession]


@dataclass(frozen=True, slots=True)
class Outgoing:
    message_id: uuid.UUID
    kind: NotificationKind
    user_id: uuid.UUID
    to_email: str
    to_name: str
    email: Email
    attachments: tuple[Attachment, ...] = ()


# --- HTTP use cases ------------------------------------------------------------------------


async def list_notifications(
    session: AsyncSession, *, user: Principal, page: PageParams
) -> Page[NotificationRead]:
    """The caller's notifications, newest first."""
    rows, total = await paginate(session, repository.list_notifications(user.id), page)
    return Page(
        items=[NotificationRead.model_validate(row) for row in rows],
        page=page.page,
        page_size=page.page_size,
        total=total,
    )


async def get_ticket_pdf(
    session: AsyncSession, *, user: Principal, booking_id: uuid.UUID, storage_dir: Path
) -> Path:
    """The booking's PDF file, for its owner or an admin; 404 for anyone else or until rendered."""
    document = await repository.get_ticket_document(session, booking_id)
    if document is None or (document.user_id != user.id and not user.is_admin):
        raise NotFound("No tickets for this booking (yet).")
    path = storage_dir / document.path
    if not path.is_file():
        log.error("ticket_pdf_missing", booking_id=str(booking_id), path=str(path))
        raise NotFound("No tickets for this booking (yet).")
    return path


# --- message use cases ---------------------------------------------------------------------


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
    await _deliver(
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


async def send_tickets(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: BookingConfirmedV1
) -> None:
    """Render and store the booking's PDF tickets and email them to the buyer."""
    to_email, full_name = await _address_of(session, data.user_id, data.user_email)
    buyer = display_name(full_name, to_email)
    stored = await _store_ticket_document(courier, data, buyer_name=buyer, buyer_email=to_email)
    email = emails.booking_confirmed(
        greeting=buyer,
        title=data.event.title,
        starts_at=data.event.starts_at,
        location=data.event.location,
        booking_id=data.booking_id,
        tickets=len(data.tickets),
        amount=data.amount,
        currency=data.currency,
        base_url=courier.settings.PUBLIC_BASE_URL,
    )
    attachment = Attachment(filename=f"ticket-{data.booking_id}.pdf", content=stored.content)
    await _deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.BOOKING_CONFIRMED,
            user_id=data.user_id,
            to_email=to_email,
            to_name=clean_text(full_name),
            email=email,
            attachments=(attachment,),
        ),
    )


async def tell_booking_cancelled(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: BookingCancelledV1
) -> None:
    """Tell the buyer their booking was cancelled (and that a refund follows when it was paid)."""
    to_email, full_name = await _address_of(session, data.user_id, data.user_email)
    email = emails.booking_cancelled(
        greeting=display_name(full_name, to_email),
        booking_id=data.booking_id,
        reason=data.reason,
        was_confirmed=data.was_confirmed,
    )
    await _deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.BOOKING_CANCELLED,
            user_id=data.user_id,
            to_email=to_email,
            to_name=clean_text(full_name),
            email=email,
        ),
    )


async def tell_booking_expired(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: BookingExpiredV1
) -> None:
    """Tell the buyer their unpaid booking expired."""
    to_email, full_name = await _address_of(session, data.user_id, data.user_email)
    email = emails.booking_expired(
        greeting=display_name(full_name, to_email), booking_id=data.booking_id
    )
    await _deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.BOOKING_EXPIRED,
            user_id=data.user_id,
            to_email=to_email,
            to_name=clean_text(full_name),
            email=email,
        ),
    )


async def tell_refunded(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: PaymentRefundedV1
) -> None:
    """Tell the payer about a refund; with no known address, record it failed (no retry helps)."""
    recipient = await repository.get_recipient(session, data.user_id)
    greeting = display_name(recipient.full_name, recipient.email) if recipient else ""
    email = emails.refund(
        greeting=greeting, booking_id=data.booking_id, amount=data.amount, currency=data.currency
    )
    if recipient is None:
        log.warning("notification_no_address", user_id=str(data.user_id), kind="refund")
        await repository.add_notification(
            session,
            message_id=message_id,
            kind=NotificationKind.REFUND,
            user_id=data.user_id,
            subject=email.subject,
            status=NotificationStatus.FAILED,
            error=NO_ADDRESS,
        )
        return
    await _deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.REFUND,
            user_id=data.user_id,
            to_email=recipient.email,
            to_name=clean_text(recipient.full_name),
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
    await _deliver(
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
    await _deliver(
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


# --- internals -------------------------------------------------------------------------------


async def _address_of(
    session: AsyncSession, user_id: uuid.UUID, fallback_email: str
) -> tuple[str, str | None]:
    """Where to write to a user: the projection (from auth) first, else the message's address,
    which then enters the projection."""
    recipient = await repository.get_recipient(session, user_id)
    if recipient is not None:
        return recipient.email, recipient.full_name
    await repository.add_recipient(
        session, user_id=user_id, email=fallback_email, full_name=None, overwrite=False
    )
    return fallback_email, None


async def _store_ticket_document(
    courier: Courier, data: BookingConfirmedV1, *, buyer_name: str, buyer_email: str
) -> tickets.StoredPdf:
    """The booking's PDF on disk and in ``ticket_document``, committed on its own (see above)."""
    sheet = tickets.TicketSheet(
        booking_id=data.booking_id,
        title=data.event.title,
        starts_at=data.event.starts_at,
        location=data.event.location,
        buyer_name=buyer_name,
        buyer_email=buyer_email,
        currency=data.currency,
        tickets=tuple(
            tickets.TicketLine(
                ticket_id=t.ticket_id, seat_id=t.seat_id, tier=t.tier, price=t.price, code=t.code
            )
            for t in data.tickets
        ),
    )
    storage_dir = courier.settings.TICKET_STORAGE_DIR
    async with courier.sessionmaker() as session, session.begin():
        document = await repository.get_ticket_document(session, data.booking_id)
        stored = await tickets.store_ticket_pdf(
            storage_dir, sheet, recorded_sha256=document.sha256 if document else None
        )
        if document is None or document.sha256 != stored.sha256:
            await repository.add_ticket_document(
                session,
                booking_id=data.booking_id,
                user_id=data.user_id,
                event_id=data.event_id,
                path=stored.path.relative_to(storage_dir).as_posix(),
                sha256=stored.sha256,
                pages=stored.pages,
            )
            log.info("ticket_pdf_rendered", booking_id=str(data.booking_id), pages=stored.pages)
    return stored


async def _deliver(session: AsyncSession, courier: Courier, out: Outgoing) -> None:
    """Send one email and record it (see the module docstring for the failure rules)."""
    try:
        message = courier.mailer.build(
            to_email=out.to_email,
            to_name=out.to_name,
            email=out.email,
            message_id=message_id_header(out.message_id, out.kind.value),
            attachments=out.attachments,
        )
    except InvalidAddress as exc:
        log.warning("notification_bad_address", kind=out.kind.value, user_id=str(out.user_id))
        await _record(session, out, NotificationStatus.FAILED, str(exc))
        return
    try:
        await courier.mailer.send(message)
    except MailError as exc:
        async with courier.sessionmaker() as other, other.begin():
            await _record(other, out, NotificationStatus.FAILED, str(exc))
        raise
    await _record(session, out, NotificationStatus.SENT, None)
    log.info("notification_sent", kind=out.kind.value, message_id=str(out.message_id))


async def _record(
    session: AsyncSession, out: Outgoing, status: NotificationStatus, error: str | None
) -> None:
    await repository.add_notification(
        session,
        message_id=out.message_id,
        kind=out.kind,
        user_id=out.user_id,
        subject=out.email.subject,
        status=status,
        error=error[:_ERROR_LIMIT] if error else None,
    )
