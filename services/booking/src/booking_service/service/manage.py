"""Reading and cancelling bookings on behalf of their owner, the event's organizer or an admin."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from booking_service import domain
from booking_service import repository as repo
from booking_service.domain import BookingStatus
from booking_service.repository import BookingRow, BookingView
from booking_service.schemas import BookingRead
from booking_service.service.saga import cancel_locked
from shared.db import utcnow
from shared.errors import Forbidden, InvalidState, NotFound
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal
from shared.watch import Watch

# --- reading --------------------------------------------------------------------------------


async def get_booking(
    single: AsyncEngine, *, user: Principal, booking_id: uuid.UUID, watch: Watch, wait: float = 0
) -> str:
    """One booking the caller may see, as JSON: owner, the event's organizer, admin (others:
    404). One statement, outside any transaction (``single``: ``Context.single``). With
    ``wait`` seconds, a booking awaiting payment is answered once it no longer does, or when the
    time is up (``shared.watch``)."""

    async def read() -> BookingView:
        return _visible(await repo.view_booking(single, booking_id), user)

    view = await watch.read_when(
        booking_id, wait, read, lambda v: v.status is not BookingStatus.PENDING_PAYMENT
    )
    return view.body


async def list_bookings(
    session: AsyncSession, *, user: Principal, status: BookingStatus | None, page: PageParams
) -> Page[BookingRead]:
    """The caller's own bookings, newest first."""
    async with session.begin():
        rows, total = await paginate(session, repo.bookings_of_user(user.id, status=status), page)
        items = [BookingRead.of(b) for b in rows]
    return Page(items=items, page=page.page, page_size=page.page_size, total=total)


async def get_booking_for_service(single: AsyncEngine, *, booking_id: uuid.UUID) -> str:
    """A booking as payment needs it to charge (internal), as JSON (``BookingSnapshotV1``)."""
    snapshot = await repo.snapshot_json(single, booking_id)
    if snapshot is None:
        raise NotFound("No such booking.")
    return snapshot


def _may_see(owner_id: uuid.UUID, organizer_id: uuid.UUID | None, user: Principal) -> bool:
    return domain.can_view(
        owner_id=owner_id,
        organizer_id=organizer_id,
        viewer_id=user.id,
        viewer_is_admin=user.is_admin,
        viewer_is_organizer=user.role == "organizer",
    )


def _visible(view: BookingView | None, user: Principal) -> BookingView:
    """The booking if ``user`` may see it; 404 otherwise (as if it did not exist)."""
    if view is None or not _may_see(view.user_id, view.organizer_id, user):
        raise NotFound("No such booking.")
    return view


# --- cancelling -----------------------------------------------------------------------------


_REFUSALS = {
    domain.CancelRefusal.CHECKED_IN: (
        "A ticket of this booking was used at the gate; only an admin can cancel it now."
    ),
    domain.CancelRefusal.EVENT_STARTED: (
        "The event has started; only an admin can cancel this booking now."
    ),
}


async def cancel_booking(session: AsyncSession, *, user: Principal, booking_id: uuid.UUID) -> str:
    """Owner or admin cancels: pending frees the seats; confirmed also gets refunded. The
    cancelled booking's detail, as JSON."""
    async with session.begin():
        booking = await repo.lock_booking(session, booking_id)
        if booking is None or not _may_see(booking.user_id, booking.organizer_id, user):
            raise NotFound("No such booking.")
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
        view = await repo.view_booking(session, booking.id)
        if view is None:  # cannot happen: this transaction holds the row's lock
            raise LookupError(f"booking {booking.id} vanished under its row lock")
        return view.body


async def _ensure_buyer_may_cancel(session: AsyncSession, booking: BookingRow) -> None:
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
