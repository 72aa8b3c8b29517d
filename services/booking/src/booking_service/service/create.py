"""Creating a booking from a hold: event's claim, then one transaction (+ Idempotency-Key)."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from booking_service import domain
from booking_service import repository as repo
from booking_service.clients import EventClient
from booking_service.domain import BookingStatus, HoldForbidden, SeatsUnavailable
from booking_service.orm import ACTIVE_SEAT_INDEX, HOLD_UNIQUE
from booking_service.repository import BookingRow, SeatRow
from booking_service.schemas import BookingRead, EventRead, SeatRead
from booking_service.service import messages
from shared.contracts.event import HoldClaimedV1
from shared.db import utcnow
from shared.errors import AlreadyExists, DomainError
from shared.idempotency import KeyClaim, StoredResponse, run_once
from shared.messaging import outbox
from shared.security import Principal

if TYPE_CHECKING:  # the context imports the service package (for its jobs)
    from booking_service.context import Context


async def create_booking(
    session: AsyncSession,
    *,
    ctx: Context,
    user: Principal,
    hold_id: str,
    idempotency_key: str | None,
) -> StoredResponse:
    """Turn the caller's hold into a booking awaiting payment (``booking.created``)."""
    return await run_once(
        session,
        user_id=user.id,
        key=idempotency_key,
        body={"hold_id": hold_id},
        settings=ctx.settings,
        run=partial(
            _book_hold,
            session,
            single=ctx.single,
            events=ctx.events,
            user=user,
            hold_id=hold_id,
            window_seconds=ctx.settings.PAYMENT_WINDOW_SECONDS,
        ),
    )


async def _book_hold(
    session: AsyncSession,
    claim: KeyClaim,
    *,
    single: AsyncEngine,
    events: EventClient,
    user: Principal,
    hold_id: str,
    window_seconds: int,
) -> StoredResponse:
    # One statement with no transaction around it: nothing is locked while we wait for event.
    existing = await repo.find_booking_of_hold(single, hold_id)
    if existing is not None:
        raise _hold_already_booked(*existing, user)

    held = await events.claim_hold(hold_id, user_id=user.id, extend_seconds=window_seconds)
    now = utcnow()
    booking = _new_booking(held, user=user, window_seconds=window_seconds, now=now)
    response = StoredResponse(status=201, body=_created_answer(booking, now=now))
    try:
        async with session.begin():
            await repo.add_booking(session, booking, now=now)
            await outbox.add(session, messages.created_message(booking))
            await claim.record(session, response)
    except IntegrityError as exc:
        conflict = await _insert_conflict(session, exc, held=held, user=user)
        if conflict is None:
            raise
        raise conflict from exc
    return response


def _new_booking(
    held: HoldClaimedV1, *, user: Principal, window_seconds: int, now: datetime
) -> BookingRow:
    return BookingRow(
        id=uuid.uuid4(),
        user_id=user.id,
        user_email=user.email,
        buyer_name=user.name,
        event_id=held.event_id,
        organizer_id=held.event.organizer_id,
        hold_id=held.hold_id,
        status=BookingStatus.PENDING_PAYMENT,
        amount=held.amount,
        currency=held.currency,
        expires_at=domain.payment_deadline(
            now, window_seconds=window_seconds, hold_expires_at=held.expires_at
        ),
        event_title=held.event.title,
        event_starts_at=held.event.starts_at,
        event_location=held.event.location,
        payment_id=None,
        seats=tuple(
            SeatRow(position=position, seat_id=seat.seat_id, tier=seat.tier, price=seat.price)
            for position, seat in enumerate(held.seats)
        ),
    )


def _created_answer(booking: BookingRow, *, now: datetime) -> dict[str, Any]:
    """The 201 body (``BookingRead``) from what was just inserted: nothing to read back."""
    return BookingRead(
        id=booking.id,
        status=BookingStatus.PENDING_PAYMENT,
        event_id=booking.event_id,
        organizer_id=booking.organizer_id,
        hold_id=booking.hold_id,
        user_id=booking.user_id,
        seats=[SeatRead(seat_id=s.seat_id, tier=s.tier, price=s.price) for s in booking.seats],
        amount=booking.amount,
        currency=booking.currency,
        expires_at=booking.expires_at,
        created_at=now,
        updated_at=now,
        confirmed_at=None,
        payment_id=None,
        cancel_reason=None,
        event=EventRead(
            title=booking.event_title,
            starts_at=booking.event_starts_at,
            location=booking.event_location,
        ),
    ).model_dump(mode="json")


def _hold_already_booked(
    booking_id: uuid.UUID, owner_id: uuid.UUID, user: Principal
) -> DomainError:
    if owner_id != user.id:
        return HoldForbidden()
    return AlreadyExists(
        "This hold has already been booked.", details={"booking_id": str(booking_id)}
    )


async def _insert_conflict(
    session: AsyncSession, exc: IntegrityError, *, held: HoldClaimedV1, user: Principal
) -> DomainError | None:
    """Map a refused insert to the contract's 409 (the unique indexes are the last word)."""
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    if constraint == ACTIVE_SEAT_INDEX:
        wanted = [s.seat_id for s in held.seats if s.seat_id is not None]
        async with session.begin():
            taken = await repo.list_taken_seats(session, event_id=held.event_id, seat_ids=wanted)
        return SeatsUnavailable(
            f"Seats {', '.join(taken) or 'requested'} are no longer available.",
            details={"unavailable": taken},
        )
    if constraint == HOLD_UNIQUE:
        async with session.begin():
            existing = await repo.find_booking_of_hold(session, held.hold_id)
        if existing is not None:
            return _hold_already_booked(*existing, user)
        return AlreadyExists("This hold has already been booked.")
    return None
