"""The event, booking and payment lifecycles, consumed into the audit log (inbox-deduplicated).

Only what an auditor needs is kept: who, which event or booking, amounts, reasons. Ticket codes
(gate credentials) and card data are never copied. The actor is whoever acted: the organizer or
admin behind an event action, the admin behind a refund they asked for, else the buyer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import service
from shared.contracts.booking import (
    BookingCancelledV1,
    BookingConfirmedV1,
    BookingCreatedV1,
    BookingExpiredV1,
)
from shared.contracts.event import (
    EventCancelledV1,
    EventCreatedV1,
    EventDeletedV1,
    EventPublishedV1,
)
from shared.contracts.payment import PaymentFailedV1, PaymentRefundedV1, PaymentSucceededV1
from shared.messaging import Envelope, Handler


def _booking_details(data: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"event_id": str(data.event_id), "places": len(data.seats)}
    for name in ("amount", "currency", "reason", "was_confirmed"):
        if hasattr(data, name):
            details[name] = getattr(data, name)
    payment_id = getattr(data, "payment_id", None)
    if payment_id is not None:
        details["payment_id"] = str(payment_id)
    return details


def _payment_details(data: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"payment_id": str(data.payment_id)}
    for name in ("amount", "currency", "reason", "retryable"):
        if hasattr(data, name):
            details[name] = getattr(data, name)
    refund_id = getattr(data, "refund_id", None)
    if refund_id is not None:
        details["refund_id"] = str(refund_id)
    if getattr(data, "actor_id", None) is not None:
        details["user_id"] = str(data.user_id)  # the buyer, when someone else acted
    return details


def _event_details(data: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"title": data.title, "organizer_id": str(data.organizer_id)}
    for name in ("reason", "currency"):
        if getattr(data, name, None) is not None:
            details[name] = getattr(data, name)
    starts_at = getattr(data, "starts_at", None)
    if starts_at is not None:
        details["starts_at"] = starts_at.isoformat()
    return details


async def on_event_lifecycle(session: AsyncSession, envelope: Envelope[Any], rt: Any) -> None:
    """event.created / published / cancelled / deleted → one audit row, by whoever acted."""
    data = envelope.data
    # Messages from before ``actor_id`` existed: the organizer is the only one who could act.
    actor_id = getattr(data, "actor_id", None) or data.organizer_id
    await service.record_message(
        session,
        action=envelope.type,
        at=envelope.occurred_at,
        actor_id=actor_id,
        target=f"event:{data.event_id}",
        details=_event_details(data),
    )


async def on_booking_lifecycle(session: AsyncSession, envelope: Envelope[Any], rt: Any) -> None:
    """booking.created / confirmed / cancelled / expired → one audit row."""
    data = envelope.data
    await service.record_message(
        session,
        action=envelope.type,
        at=envelope.occurred_at,
        actor_id=data.user_id,
        target=f"booking:{data.booking_id}",
        details=_booking_details(data),
    )


async def on_payment_lifecycle(session: AsyncSession, envelope: Envelope[Any], rt: Any) -> None:
    """payment.succeeded / failed / refunded → one audit row (an admin's refund is theirs)."""
    data = envelope.data
    await service.record_message(
        session,
        action=envelope.type,
        at=envelope.occurred_at,
        actor_id=getattr(data, "actor_id", None) or data.user_id,
        target=f"booking:{data.booking_id}",
        details=_payment_details(data),
    )


SUBSCRIPTIONS: dict[str, Handler] = {
    EventCreatedV1.TYPE: on_event_lifecycle,
    EventPublishedV1.TYPE: on_event_lifecycle,
    EventCancelledV1.TYPE: on_event_lifecycle,
    EventDeletedV1.TYPE: on_event_lifecycle,
    BookingCreatedV1.TYPE: on_booking_lifecycle,
    BookingConfirmedV1.TYPE: on_booking_lifecycle,
    BookingCancelledV1.TYPE: on_booking_lifecycle,
    BookingExpiredV1.TYPE: on_booking_lifecycle,
    PaymentSucceededV1.TYPE: on_payment_lifecycle,
    PaymentFailedV1.TYPE: on_payment_lifecycle,
    PaymentRefundedV1.TYPE: on_payment_lifecycle,
}
