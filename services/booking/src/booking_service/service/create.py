"""Creating a booking from a hold: event's claim, then one transaction (+ Idempotency-Key)."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking_service import domain
from booking_service import repository as repo
from booking_service.clients import EventClient, HoldClaim
from booking_service.domain import BookingStatus
from booking_service.orm import ACTIVE_SEAT_INDEX, HOLD_UNIQUE, BookedSeat, Booking
from booking_service.schemas import BookingRead
from booking_service.service import messages
from shared import idempotency
from shared.db import utcnow
from shared.errors import AlreadyExists, Conflict, DomainError, Forbidden
from shared.idempotency import StoredResponse
from shared.logging import get_logger
from shared.messaging import outbox
from shared.security import Principal

log = get_logger("booking_service.service.create")


class SeatsUnavailable(Conflict):
    code, message = "seats_unavailable", "Some of these seats are no longer available."


# --- creating -------------------------------------------------------------------------------


async def create_booking(
    session: AsyncSession,
    *,
    events: EventClient,
    user: Principal,
    hold_id: str,
    idempotency_key: str | None,
    payment_window_seconds: int,
    producer: str,
) -> StoredResponse:
    """Turn the caller's hold into a booking awaiting payment (``booking.created``).

    With an ``Idempotency-Key`` the first response is stored and replayed for the same body.
    """
    if idempotency_key is not None:
        stored = await idempotency.claim(
            session,
            user_id=user.id,
            key=idempotency_key,
            request_hash=idempotency.fingerprint({"hold_id": hold_id}),
            stale_after=domain.IDEMPOTENCY_CLAIM_STALE_AFTER,
        )
        if stored is not None:
            return stored
    try:
        return await _book_hold(
            session,
            events=events,
            user=user,
            hold_id=hold_id,
            idempotency_key=idempotency_key,
            payment_window_seconds=payment_window_seconds,
            producer=producer,
        )
    except Exception:
        if idempotency_key is not None:
            try:
                await idempotency.release(session, user_id=user.id, key=idempotency_key)
            except Exception:  # the claim goes stale and is taken over later
                log.exception("idempotency_release_failed")
        raise


async def _book_hold(
    session: AsyncSession,
    *,
    events: EventClient,
    user: Principal,
    hold_id: str,
    idempotency_key: str | None,
    payment_window_seconds: int,
    producer: str,
) -> StoredResponse:
    async with session.begin():
        existing = await repo.get_booking_by_hold(session, hold_id)
    if existing is not None:
        raise _hold_already_booked(existing, user)

    # Outside any transaction: no row is locked while we wait for event.
    claim = await events.claim_hold(hold_id, user_id=user.id, extend_seconds=payment_window_seconds)
    booking = _new_booking(claim, user=user, window_seconds=payment_window_seconds)
    try:
        async with session.begin():
            session.add(booking)
            await session.flush()
            await outbox.add(session, messages.created_message(booking), producer=producer)
            body = BookingRead.of(booking).model_dump(mode="json")
            if idempotency_key is not None:
                await idempotency.complete(
                    session,
                    user_id=user.id,
                    key=idempotency_key,
                    response=StoredResponse(status=201, body=body),
                )
    except IntegrityError as exc:
        conflict = await _insert_conflict(session, exc, claim=claim, user=user)
        if conflict is None:
            raise
        raise conflict from exc
    return StoredResponse(status=201, body=body)


def _new_booking(claim: HoldClaim, *, user: Principal, window_seconds: int) -> Booking:
    now = utcnow()
    booking_id = uuid.uuid4()
    status = BookingStatus.PENDING_PAYMENT
    booking = Booking(
        id=booking_id,
        user_id=user.id,
        user_email=user.email,
        event_id=claim.event_id,
        organizer_id=claim.event.organizer_id,
        hold_id=claim.hold_id,
        status=status,
        amount=claim.amount,
        currency=claim.currency,
        expires_at=domain.payment_deadline(
            now, window_seconds=window_seconds, hold_expires_at=claim.expires_at
        ),
        event_title=claim.event.title,
        event_starts_at=claim.event.starts_at,
        event_location=claim.event.location,
        created_at=now,
        updated_at=now,
    )
    booking.seats = [
        BookedSeat(
            id=uuid.uuid4(),
            booking_id=booking_id,
            event_id=claim.event_id,
            position=position,
            seat_id=seat.seat_id,
            tier=seat.tier,
            price=seat.price,
            status=status,
        )
        for position, seat in enumerate(claim.seats)
    ]
    booking.tickets = []
    return booking


def _hold_already_booked(existing: Booking, user: Principal) -> DomainError:
    if existing.user_id != user.id:
        return Forbidden("This hold belongs to someone else.")
    return AlreadyExists(
        "This hold has already been booked.", details={"booking_id": str(existing.id)}
    )


async def _insert_conflict(
    session: AsyncSession, exc: IntegrityError, *, claim: HoldClaim, user: Principal
) -> DomainError | None:
    """Map a refused insert to the contract's 409 (the unique indexes are the last word)."""
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    if constraint == ACTIVE_SEAT_INDEX:
        wanted = [s.seat_id for s in claim.seats if s.seat_id is not None]
        async with session.begin():
            taken = await repo.list_taken_seats(session, event_id=claim.event_id, seat_ids=wanted)
        return SeatsUnavailable(
            f"Seats {', '.join(taken) or 'requested'} are no longer available.",
            details={"unavailable": taken},
        )
    if constraint == HOLD_UNIQUE:
        async with session.begin():
            existing = await repo.get_booking_by_hold(session, claim.hold_id)
        if existing is not None:
            return _hold_already_booked(existing, user)
        return AlreadyExists("This hold has already been booked.")
    return None
