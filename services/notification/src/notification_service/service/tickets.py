"""A booking's PDF tickets: rendered and stored once it is confirmed, void once it is not.

Both run in the handler's transaction (the PDF, the ``ticket_document`` row and the email
that carries it commit together), serialised per booking by an advisory lock. A void is kept
(``ticket_void``) after the PDF is deleted, so a ``booking.confirmed`` that arrives after the
cancellation renders nothing, and the download can say why it is gone.
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import repository, ticket_pdf
from notification_service.domain import Addressee
from shared.contracts.booking import BookingConfirmedV1
from shared.logging import get_logger

log = get_logger(__name__)


def _sheet(
    data: BookingConfirmedV1, *, buyer_name: str, buyer_email: str
) -> ticket_pdf.TicketSheet:
    return ticket_pdf.TicketSheet(
        booking_id=data.booking_id,
        title=data.event.title,
        starts_at=data.event.starts_at,
        location=data.event.location,
        buyer_name=buyer_name,
        buyer_email=buyer_email,
        currency=data.currency,
        tickets=tuple(
            ticket_pdf.TicketLine(
                ticket_id=t.ticket_id, seat_id=t.seat_id, tier=t.tier, price=t.price, code=t.code
            )
            for t in data.tickets
        ),
    )


async def store_ticket_document(
    session: AsyncSession,
    data: BookingConfirmedV1,
    *,
    buyer: Addressee,
    email: repository.QueuedEmail | None,
) -> bool:
    """The booking's PDF in ``ticket_document`` (unless it is there already) and ``email``,
    which carries it, queued — one round trip; False when the booking's tickets are already
    void (its cancellation was consumed first): then neither.

    Call with the booking's tickets locked (``address_of(..., lock_tickets_of=...)``).
    """
    sheet = _sheet(data, buyer_name=buyer.greeting, buyer_email=buyer.email)
    # CPU work (about 2 ms a page) off the event loop. Rendered for nothing only when the
    # booking turns out void, or rendered already by another confirmation: rare.
    content = await asyncio.to_thread(ticket_pdf.render_ticket_pdf, sheet)
    document = repository.NewDocument(
        booking_id=data.booking_id,
        user_id=data.user_id,
        event_id=data.event_id,
        content=content,
        sha256=ticket_pdf.sha256_hex(content),
        pages=len(sheet.tickets),
        payment_id=data.payment_id,
    )
    stored, standing = await repository.add_ticket_document(session, document, email=email)
    if stored:
        log.info("ticket_pdf_rendered", booking_id=str(data.booking_id), pages=document.pages)
    elif not standing:
        log.info("ticket_pdf_void_not_rendered", booking_id=str(data.booking_id))
    return standing


async def void_tickets(
    session: AsyncSession,
    *,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    reason: str,
    refunded_payment_id: uuid.UUID | None = None,
) -> bool:
    """The booking is no longer confirmed: its PDF is deleted and never rendered again.

    With ``refunded_payment_id`` (payment.refunded) only the payment the tickets stand on
    voids them — a refund of a second payment leaves a confirmed booking's tickets alone, and
    a refund before any PDF waits for booking's cancellation. Idempotent; True if it voided.
    """
    await repository.lock_booking_tickets(session, booking_id)
    if refunded_payment_id is not None:
        state = await repository.get_ticket_state(session, booking_id)
        if not state.rendered or state.payment_id != refunded_payment_id:
            return False
    await repository.add_ticket_void(session, booking_id=booking_id, user_id=user_id, reason=reason)
    await repository.delete_ticket_document(session, booking_id)
    log.info("ticket_pdf_voided", booking_id=str(booking_id), reason=reason)
    return True
