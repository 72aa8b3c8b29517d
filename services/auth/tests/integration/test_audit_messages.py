"""Event actions and admin refunds in the audit log, with whoever acted as the actor."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.contracts.event import (
    EventCancelledV1,
    EventCreatedV1,
    EventDeletedV1,
    EventPublishedV1,
)
from shared.contracts.payment import PaymentRefundedV1
from shared.testing.eventually import eventually
from shared.testing.fixtures import Publish

pytestmark = pytest.mark.integration


async def _rows(probe: Any, count: int, **where: Any) -> list[dict[str, Any]]:
    return await eventually(
        lambda: probe.audit(**where), until=lambda r: len(r) >= count, what="audit rows"
    )


async def test_event_actions_are_audited_with_the_acting_user_when_event_messages_arrive(
    publish: Publish, probe: Any
) -> None:
    event_id, organizer, admin = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    starts_at = datetime.now(UTC) + timedelta(days=30)
    common = {"event_id": event_id, "organizer_id": organizer, "title": "Night Show"}
    for message in (
        EventCreatedV1(**common, actor_id=organizer),
        EventPublishedV1(**common, starts_at=starts_at, currency="EUR", actor_id=organizer),
        EventCancelledV1(**common, reason="venue flooded", actor_id=admin),
        EventDeletedV1(**common, actor_id=admin),
    ):
        await publish(message)
    rows = await _rows(probe, 4, target=f"event:{event_id}")
    by_action = {r["action"]: r for r in rows}
    assert set(by_action) == {
        "event.created",
        "event.published",
        "event.cancelled",
        "event.deleted",
    }
    assert by_action["event.created"]["actor_id"] == organizer
    assert by_action["event.published"]["actor_id"] == organizer
    assert by_action["event.cancelled"]["actor_id"] == admin
    assert by_action["event.deleted"]["actor_id"] == admin
    assert by_action["event.cancelled"]["details"] == {
        "title": "Night Show",
        "organizer_id": str(organizer),
        "reason": "venue flooded",
    }
    published = by_action["event.published"]["details"]
    assert published["currency"] == "EUR" and published["starts_at"] == starts_at.isoformat()


async def test_event_action_is_the_organizers_when_an_older_message_names_no_actor(
    publish: Publish, probe: Any
) -> None:
    event_id, organizer = uuid.uuid4(), uuid.uuid4()
    await publish(
        EventCancelledV1(event_id=event_id, organizer_id=organizer, title="Old", reason=None)
    )
    (row,) = await _rows(probe, 1, target=f"event:{event_id}")
    assert row["action"] == "event.cancelled" and row["actor_id"] == organizer


def _refund(booking_id: uuid.UUID, buyer: uuid.UUID, **extra: Any) -> PaymentRefundedV1:
    return PaymentRefundedV1(
        refund_id=uuid.uuid4(),
        payment_id=uuid.uuid4(),
        booking_id=booking_id,
        user_id=buyer,
        amount=2500,
        currency="USD",
        **extra,
    )


async def test_refund_is_the_admins_when_an_admin_asked_for_it(
    publish: Publish, probe: Any
) -> None:
    booking_id, buyer, admin = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await publish(_refund(booking_id, buyer, actor_id=admin, reason="duplicate charge"))
    (row,) = await _rows(probe, 1, action="payment.refunded", target=f"booking:{booking_id}")
    assert row["actor_id"] == admin
    assert row["details"]["user_id"] == str(buyer)  # whose money went back
    assert row["details"]["reason"] == "duplicate charge"


async def test_refund_is_the_buyers_when_it_followed_their_cancellation(
    publish: Publish, probe: Any
) -> None:
    booking_id, buyer = uuid.uuid4(), uuid.uuid4()
    await publish(_refund(booking_id, buyer))
    (row,) = await _rows(probe, 1, action="payment.refunded", target=f"booking:{booking_id}")
    assert row["actor_id"] == buyer and "user_id" not in row["details"]
