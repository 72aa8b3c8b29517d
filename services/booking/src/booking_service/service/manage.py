"""Reading and cancelling bookings on behalf of their owner, the event's organizer or an admin."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from booking_service import domain
from booking_service import repository as repo
from booking_service.domain import BookingStatus
from booking_service.orm import Booking
from booking_service.schemas import BookingDetail, BookingRead
from booking_service.service.saga import cancel_locked
from shared.contracts.booking import BookingSnapshotV1
from shared.db import utcnow
from shared.errors import Forbidden, InvalidState, NotFound
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal

# --- reading --------------------------------------------------------------------------------


async def get_booking(
    session: AsyncSession, *, user: Principal, booking_id: uuid.UUID
) -> BookingDetail:
    """One booking the caller may see: owner, the event's organizer, admin (others: 404)."""
    async with session.begin():
        booking = _visible(await repo.get_booking(session, booking_id), user)
        return BookingDetail.of(booking)


async def list_bookings(
    session: AsyncSession, *, user: Principal, status: BookingStatus | None, page: PageParams
) -> Page[BookingRead]:
    """The caller's own bookings, newest first."""
    async with session.begin():
        rows, total = await paginate(session, repo.bookings_of_user(user.id, status=status), page)
        items = [BookingRead.of(b) for b in rows]
    return Page(items=items, page=page.page, page_size=page.page_size, total=total)


async def get_booking_for_service(
    session: AsyncSession, *, booking_id: uuid.UUID
) -> BookingSnapshotV1:
    """A booking as payment needs it to charge (internal)."""
    async with session.begin():
        booking = await repo.get_booking(session, booking_id)
        if booking is None:
            raise NotFound("No such booking.")
        return BookingSnapshotV1.model_validate(booking, from_attributes=True)


def _visible(booking: Booking | None, user: Principal) -> Booking:
    """The booking if ``user`` may see it; 404 otherwise (as if it did not exist)."""
    if booking is None or not domain.can_view(
        owner_id=booking.user_id,
        organizer_id=booking.organizer_id,
        viewer_id=user.id,
        viewer_is_admin=user.is_admin,
        viewer_is_organizer=user.role == "organizer",
    ):
        raise NotFound("No such booking.")
    return booking


# --- cancelling -----------------------------------------------------------------------------


_REFUSALS = {
    domain.CancelRefusal.CHECKED_IN: (
        "A ticket of this booking was used at the gate; only an admin can cancel it now."
    ),
    domain.CancelRefusal.EVENT_STARTED: (
        "The event has started; only an admin can cancel this booking now."
    ),
}


async def cancel_booking(
    session: AsyncSession, *, user: Principal, booking_id: uuid.UUID
) -> BookingDetail:
    """Owner or admin cancels: pending frees the seats; confirmed also gets refunded."""
    async with session.begin():
        booking = _visible(await repo.lock_booking(session, booking_id), user)
        if not domain.can_change(
            owner_id=booking.user_id, viewer_id=user.id, viewer_is_admin=user.is_admin
        ):
            raise Forbidden("Only the buyer or an admin cancels a booking.")
        if not user.is_admin:
            await _ensure_buyer_may_cancel(session, booking)
        cancelled = await cancel_locked(
            session,
            booking,
            reason=domain.cancel_reason(by_admin=user.is_admin and booking.user_id != user.id),
        )
        if not cancelled:
            raise InvalidState(f"A booking that is {booking.status} cannot be cancelled.")
        return BookingDetail.of(booking)


async def _ensure_buyer_may_cancel(session: AsyncSession, booking: Booking) -> None:
    """409 once a ticket was checked in or the event has started. Runs under the booking's row
    lock, which a check-in's share lock excludes: a check-in either committed before this read
    (and is seen) or waits for this transaction (and then finds the booking cancelled)."""
    status = BookingStatus(booking.status)
    refusal = domain.buyer_cancel_refusal(
        status,
        checked_in=status is BookingStatus.CONFIRMED
        and await repo.any_ticket_checked_in(session, booking.id),
        event_starts_at=booking.event_starts_at,
        now=utcnow(),
    )
    if refusal is not None:
        raise InvalidState(
            _REFUSALS[refusal], details={"booking_status": booking.status, "reason": refusal}
        )
