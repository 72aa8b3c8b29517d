"""The event, booking and payment lifecycles, consumed into the audit log (inbox-deduplicated).

Only what an auditor needs is kept: who, which event or booking, amounts, reasons. Ticket codes
(gate credentials) and card data are never copied. The actor is whoever acted: the organizer or
admin behind an event action, the admin behind a refund they asked for, else the buyer.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import service
from auth_service.context import Context
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

EVENT_FACTS = (EventCreatedV1, EventPublishedV1, EventCancelledV1, EventDeletedV1)
BOOKING_FACTS = (BookingCreatedV1, BookingConfirmedV1, BookingCancelledV1, BookingExpiredV1)
PAYMENT_FACTS = (PaymentSucceededV1, PaymentFailedV1, PaymentRefundedV1)

EventFact = EventCreatedV1 | EventPublishedV1 | EventCancelledV1 | EventDeletedV1
BookingFact = BookingCreatedV1 | BookingConfirmedV1 | BookingCancelledV1 | BookingExpiredV1
PaymentFact = PaymentSucceededV1 | PaymentFailedV1 | PaymentRefundedV1
LifecycleFact = EventFact | BookingFact | PaymentFact


def _booking_details(data: BookingFact) -> dict[str, Any]:
    details: dict[str, Any] = {"event_id": str(data.event_id), "places": len(data.seats)}
    for name in ("amount", "currency", "reason", "was_confirmed"):
        if hasattr(data, name):
            details[name] = getattr(data, name)
    payment_id = getattr(data, "payment_id", None)
    if payment_id is not None:
        details["payment_id"] = str(payment_id)
    return details


def _payment_details(data: PaymentFact) -> dict[str, Any]:
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


def _event_details(data: EventFact) -> dict[str, Any]:
    details: dict[str, Any] = {"title": data.title, "organizer_id": str(data.organizer_id)}
    for name in ("reason", "currency"):
        if getattr(data, name, None) is not None:
            details[name] = getattr(data, name)
    starts_at = getattr(data, "starts_at", None)
    if starts_at is not None:
        details["starts_at"] = starts_at.isoformat()
    return details


def _audit_entry(data: LifecycleFact) -> tuple[uuid.UUID, str, dict[str, Any]]:
    """(actor, target, details) of the audit row for ``data``."""
    if isinstance(data, EVENT_FACTS):
        # Messages from before ``actor_id`` existed: the organizer is the only one who could act.
        actor_id = data.actor_id or data.organizer_id
        return actor_id, f"event:{data.event_id}", _event_details(data)
    if isinstance(data, BOOKING_FACTS):
        return data.user_id, f"booking:{data.booking_id}", _booking_details(data)
    # an admin's refund is the admin's; every other payment fact is the buyer's
    actor_id = getattr(data, "actor_id", None) or data.user_id
    return actor_id, f"booking:{data.booking_id}", _payment_details(data)


async def on_lifecycle(
    session: AsyncSession, envelope: Envelope[LifecycleFact], ctx: Context
) -> None:
    """An event, booking or payment lifecycle message → one audit row, by whoever acted."""
    actor_id, target, details = _audit_entry(envelope.data)
    await service.record_message(
        session,
        action=envelope.type,
        at=envelope.occurred_at,
        actor_id=actor_id,
        target=target,
        details=details,
    )


SUBSCRIPTIONS: dict[str, Handler[Context]] = {
    fact.TYPE: on_lifecycle for fact in (*EVENT_FACTS, *BOOKING_FACTS, *PAYMENT_FACTS)
}
