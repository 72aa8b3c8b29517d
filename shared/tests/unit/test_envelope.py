from __future__ import annotations

import json
import uuid

import pytest

from shared.contracts import REGISTRY
from shared.contracts.payment import PaymentSucceededV1
from shared.messaging import Envelope, PoisonMessage


def _payment() -> PaymentSucceededV1:
    return PaymentSucceededV1(
        payment_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        amount=2500,
        currency="USD",
        card_last4="4242",
    )


def test_envelope_round_trips_through_json() -> None:
    envelope = Envelope.wrap(_payment(), producer="payment", correlation_id="req-1")
    again = Envelope.from_json(envelope.to_json())
    assert again.id == envelope.id and again.type == "payment.succeeded"
    assert again.data == envelope.data and again.correlation_id == "req-1"


def test_envelope_has_the_design_fields() -> None:
    raw = json.loads(Envelope.wrap(_payment(), producer="payment").to_json())
    assert {"id", "type", "occurred_at", "version", "correlation_id", "data"} <= set(raw)


def test_unknown_fields_are_ignored_when_reading_newer_producers() -> None:
    raw = json.loads(Envelope.wrap(_payment(), producer="payment").to_json())
    raw["data"]["new_optional_field"] = "x"
    assert Envelope.from_json(json.dumps(raw).encode()).data.amount == 2500


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'{"type": "nobody.knows", "id": "x"}', b"[]"],
)
def test_unreadable_messages_are_poison(body: bytes) -> None:
    with pytest.raises(PoisonMessage):
        Envelope.from_json(body)


def test_contract_breaking_data_is_poison() -> None:
    raw = json.loads(Envelope.wrap(_payment(), producer="payment").to_json())
    del raw["data"]["amount"]
    with pytest.raises(PoisonMessage):
        Envelope.from_json(json.dumps(raw).encode())


def test_every_routing_key_in_design_has_a_contract() -> None:
    expected = {
        "user.registered",
        "user.verification_requested",
        "user.password_reset_requested",
        "organizer.decided",
        "session.revoked",
        "event.created",
        "event.published",
        "event.cancelled",
        "event.deleted",
        "booking.created",
        "booking.confirmed",
        "booking.cancelled",
        "booking.expired",
        "payment.succeeded",
        "payment.failed",
        "payment.refunded",
        "waitlist.offered",
        "ticket.checked_in",
    }
    assert set(REGISTRY) == expected
