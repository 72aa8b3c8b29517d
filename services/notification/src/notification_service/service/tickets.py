"""A booking's PDF tickets: rendered and stored once it is confirmed, void once it is not.

Rendering and voiding one booking are serialised by an advisory lock on the booking, each in
a transaction of its own committed before any email goes out. A void is kept (``ticket_void``)
after the PDF is deleted, so a ``booking.confirmed`` that arrives after the cancellation
renders nothing, and the download can say why it is gone.
"""

from __future__ import annotations

import uuid

from notification_service import repository, ticket_pdf
from notification_service.context import Context
from shared.contracts.booking import BookingConfirmedV1
from shared.logging import get_logger

log = get_logger(__name__)


async def store_ticket_document(
    ctx: Context, data: BookingConfirmedV1, *, buyer_name: str, buyer_email: str
) -> ticket_pdf.StoredPdf | None:
    """The booking's PDF on disk and in ``ticket_document``, committed on its own; None when
    the booking's tickets are already void (its cancellation was consumed first)."""
    sheet = ticket_pdf.TicketSheet(
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
    storage_dir = ctx.settings.TICKET_STORAGE_DIR
    async with ctx.sessionmaker() as session, session.begin():
        await repository.lock_booking_tickets(session, data.booking_id)
        if await repository.get_ticket_void(session, data.booking_id) is not None:
            log.info("ticket_pdf_void_not_rendered", booking_id=str(data.booking_id))
            return None
        document = await repository.get_ticket_document(session, data.booking_id)
        stored = await ticket_pdf.store_ticket_pdf(
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
                payment_id=data.payment_id,
            )
            log.info("ticket_pdf_rendered", booking_id=str(data.booking_id), pages=stored.pages)
    return stored


async def void_tickets(
    ctx: Context,
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
    async with ctx.sessionmaker() as session, session.begin():
        await repository.lock_booking_tickets(session, booking_id)
        if refunded_payment_id is not None:
            document = await repository.get_ticket_document(session, booking_id)
            if document is None or document.payment_id != refunded_payment_id:
                return False
        await repository.add_ticket_void(
            session, booking_id=booking_id, user_id=user_id, reason=reason
        )
        recorded = await repository.delete_ticket_document(session, booking_id)
    # after the commit: a crash before it leaves the file, and the redelivery deletes it
    await ticket_pdf.remove_ticket_pdf(ctx.settings.TICKET_STORAGE_DIR, booking_id, recorded)
    log.info("ticket_pdf_voided", booking_id=str(booking_id), reason=reason)
    return True
