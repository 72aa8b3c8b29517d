"""Creating a booking from a hold: event's claim, then one transaction (+ Idempotency-Key)."""

from __future__ import annotations

import uuid
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking_service import domain
from booking_service import repository as repo
from booking_service.clients import EventClient
from booking_service.domain import BookingStatus, HoldForbidden, SeatsUnavailable
from booking_service.orm import ACTIVE_SEAT_INDEX, HOLD_UNIQUE, BookedSeat, Booking
from booking_service.schemas import BookingRead
from booking_service.service import messages
from booking_service.settings import Settings
from shared.contracts.event import HoldClaimedV1
from shared.db import utcnow
from shared.errors import AlreadyExists, DomainError
from shared.idempotency import KeyClaim, StoredResponse, run_once
from shared.messaging import outbox
from shared.security import Principal


async def create_booking(
    session: AsyncSession,
    *,
    events: EventClient,
    settings: Settings,
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
        settings=settings,
        run=partial(
            _book_hold,
            session,
            events=events,
            user=user,
            hold_id=hold_id,
            window_seconds=settings.PAYMENT_WINDOW_SECONDS,
        ),
    )


async def _book_hold(
    session: AsyncSession,
    claim: KeyClaim,
    *,
    events: EventClient,
    user: Principal,
    hold_id: str,
    window_seconds: int,
) -> StoredResponse:
    async with session.begin():
        existing = await repo.get_booking_by_hold(session, hold_id)
    if existing is not None:
        raise _hold_already_booked(existing, user)

    # Outside any transaction: no row is locked while we wait for event.
    held = await events.claim_hold(hold_id, user_id=user.id, extend_seconds=window_seconds)
    booking = _new_booking(held, user=user, window_seconds=window_seconds)
    try:
        async with session.begin():
            session.add(booking)
            await session.flush()
            await outbox.add(session, messages.created_message(booking))
            response = StoredResponse(
                status=201, body=BookingRead.of(booking).model_dump(mode="json")
            )
            await claim.record(session, response)
    except IntegrityError as exc:
        conflict = await _insert_conflict(session, exc, held=held, user=user)
        if conflict is None:
            raise
        raise conflict from exc
    return response


def _new_booking(held: HoldClaimedV1, *, user: Principal, window_seconds: int) -> Booking:
    now = utcnow()
    booking_id = uuid.uuid4()
    status = BookingStatus.PENDING_PAYMENT
    booking = Booking(
        id=booking_id,
        user_id=user.id,
        user_email=user.email,
        event_id=held.event_id,
        organizer_id=held.event.organizer_id,
        hold_id=held.hold_id,
        status=status,
        amount=held.amount,
        currency=held.currency,
        expires_at=domain.payment_deadline(
            now, window_seconds=window_seconds, hold_expires_at=held.expires_at
        ),
        event_title=held.event.title,
        event_starts_at=held.event.starts_at,
        event_location=held.event.location,
        created_at=now,
        updated_at=now,
    )
    booking.seats = [
        BookedSeat(
            id=uuid.uuid4(),
            booking_id=booking_id,
            event_id=held.event_id,
            position=position,
            seat_id=seat.seat_id,
            tier=seat.tier,
            price=seat.price,
            status=status,
        )
        for position, seat in enumerate(held.seats)
    ]
    booking.tickets = []
    return booking


def _hold_already_booked(existing: Booking, user: Principal) -> DomainError:
    if existing.user_id != user.id:
        return HoldForbidden()
    return AlreadyExists(
        "This hold has already been booked.", details={"booking_id": str(existing.id)}
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
            existing = await repo.get_booking_by_hold(session, held.hold_id)
        if existing is not None:
            return _hold_already_booked(existing, user)
        return AlreadyExists("This hold has already been booked.")
    return None
