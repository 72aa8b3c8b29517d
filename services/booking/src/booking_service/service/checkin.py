"""Check-in at the gate: a signed ticket code is used once, by the event's organizer or an admin."""

from __future__ import annotations

from datetime import datetime

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from booking_service import domain
from booking_service import repository as repo
from booking_service.domain import AlreadyCheckedIn, BookingStatus, InvalidTicket
from booking_service.orm import Booking, Ticket
from booking_service.schemas import CheckInRead
from booking_service.service import messages
from booking_service.tickets import InvalidTicketCode, TicketKeyRing
from shared.db import utcnow
from shared.errors import Forbidden, InvalidState
from shared.logging import get_logger
from shared.messaging import outbox
from shared.security import Principal

log = get_logger(__name__)

# The same JSON form as the 200 answer's checked_in_at.
_TIMESTAMP = TypeAdapter(datetime | None)


async def check_in(
    session: AsyncSession, *, user: Principal, code: str, keys: TicketKeyRing
) -> CheckInRead:
    """Let the ticket's holder in, once (``ticket.checked_in``). The guard is one ``UPDATE …
    WHERE checked_in_at IS NULL``, so two gates scanning the same code at once admit exactly
    one; the message is written in the same transaction, so only the admitting scan sends it."""
    try:
        claims = keys.verify(code)
    except InvalidTicketCode as exc:
        raise InvalidTicket(details={"reason": str(exc)}) from exc
    async with session.begin():
        ticket = await repo.get_ticket(session, claims.ticket_id)
        if ticket is None or ticket.booking_id != claims.booking_id:
            raise InvalidTicket(details={"reason": "no such ticket"})
        # Share lock: it conflicts with the row lock every cancel and refund takes first, so
        # a cancel either committed already (status is no longer confirmed: 409 below) or
        # waits until this check-in commits (and then refuses the buyer: a ticket was used).
        # Check-ins of the booking's other tickets need not wait for each other.
        booking = await repo.lock_booking_for_share(session, ticket.booking_id)
        if (
            booking is None
            or booking.event_id != claims.event_id
            or ticket.seat_id != claims.seat_id
        ):
            raise InvalidTicket(details={"reason": "no such ticket"})
        _ensure_may_check_in(booking, user)
        checked_in_at = await repo.check_in_ticket(session, ticket.id, now=utcnow())
        if checked_in_at is None:
            first = await repo.get_checked_in_at(session, ticket.id)
            raise AlreadyCheckedIn(
                details={
                    "ticket_id": str(ticket.id),
                    "checked_in_at": _TIMESTAMP.dump_python(first, mode="json"),
                }
            )
        await _announce(session, booking, ticket, checked_in_at=checked_in_at, actor=user)
        return CheckInRead(
            ticket_id=ticket.id,
            booking_id=booking.id,
            event_id=booking.event_id,
            seat_id=ticket.seat_id,
            tier=ticket.tier,
            checked_in_at=checked_in_at,
        )


def _ensure_may_check_in(booking: Booking, user: Principal) -> None:
    """403 unless the caller organizes the event (or is an admin); 409 unless it is confirmed."""
    if not domain.can_manage_event(
        organizer_id=booking.organizer_id, viewer_id=user.id, viewer_is_admin=user.is_admin
    ):
        raise Forbidden("Only the event's organizer or an admin checks its tickets in.")
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidState(
            f"This ticket's booking is {booking.status}.",
            details={"booking_status": booking.status},
        )


async def _announce(
    session: AsyncSession,
    booking: Booking,
    ticket: Ticket,
    *,
    checked_in_at: datetime,
    actor: Principal,
) -> None:
    """``ticket.checked_in`` into the outbox, in the check-in's transaction. A booking from before
    bookings carried their organizer (only an admin can check it in) takes the organizer from
    the event copy; when booking knows it neither way, there is no organizer to tell and
    nothing is sent (logged)."""
    organizer_id = booking.organizer_id or await repo.get_event_organizer(session, booking.event_id)
    if organizer_id is None:
        log.warning(
            "checked_in_without_organizer", ticket_id=str(ticket.id), event_id=str(booking.event_id)
        )
        return
    await outbox.add(
        session,
        messages.checked_in_message(
            booking,
            ticket,
            organizer_id=organizer_id,
            checked_in_at=checked_in_at,
            actor_id=actor.id,
        ),
    )
