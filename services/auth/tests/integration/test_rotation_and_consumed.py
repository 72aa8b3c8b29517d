"""Signing-key rotation, and lifecycle messages consumed into the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auth_service.main import create_app
from auth_service.settings import Settings
from shared.contracts.booking import BookedSeat, BookingConfirmedV1, EventSummary, IssuedTicket
from shared.contracts.payment import PaymentSucceededV1
from shared.keys import load_private_key
from shared.messaging import Envelope
from shared.testing.app import running_app
from shared.testing.eventually import eventually
from shared.testing.fixtures import Publish

pytestmark = pytest.mark.integration


async def _login(client: Any, email: str, password: str) -> str:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def test_old_key_tokens_verify_while_published_and_fail_once_dropped_when_rotating(
    settings: Settings, tmp_path: Path
) -> None:
    old_key, new_key = tmp_path / "old.pem", tmp_path / "new.pem"
    load_private_key(old_key, create=True)
    load_private_key(new_key, create=True)
    email, password = settings.ADMIN_EMAIL, settings.ADMIN_PASSWORD.get_secret_value()

    before = settings.model_copy(update={"JWT_PRIVATE_KEY_PATH": old_key})
    async with running_app(create_app, before) as (_app, client):
        old_token = await _login(client, email, password)
        (old_jwk,) = (await client.get("/.well-known/jwks.json")).json()["keys"]

    during = settings.model_copy(
        update={"JWT_PRIVATE_KEY_PATH": new_key, "JWT_PREVIOUS_KEY_PATHS": str(old_key)}
    )
    async with running_app(create_app, during) as (_app, client):
        keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert len(keys) == 2 and keys[1] == old_jwk
        auth = {"Authorization": f"Bearer {old_token}"}
        assert (await client.get("/api/auth/me", headers=auth)).status_code == 200
        new_token = await _login(client, email, password)
        assert new_token.split(".")[0] != old_token.split(".")[0]  # another kid

    after = settings.model_copy(update={"JWT_PRIVATE_KEY_PATH": new_key})
    async with running_app(create_app, after) as (_app, client):
        (only,) = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert only["kid"] != old_jwk["kid"]
        refused = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {old_token}"})
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        fresh = {"Authorization": f"Bearer {new_token}"}
        assert (await client.get("/api/auth/me", headers=fresh)).status_code == 200


async def test_booking_and_payment_messages_become_audit_rows_once_when_consumed(
    publish: Publish, probe: Any
) -> None:
    user_id, booking_id = uuid.uuid4(), uuid.uuid4()
    seat = BookedSeat(seat_id="A-A-1", tier="vip", price=8000)
    confirmed = Envelope.wrap(
        BookingConfirmedV1(
            booking_id=booking_id,
            hold_id="h1",
            user_id=user_id,
            user_email="buyer@example.test",
            event_id=uuid.uuid4(),
            event=EventSummary(title="Show", starts_at=datetime.now(UTC), location="Hall"),
            amount=8000,
            currency="USD",
            seats=[seat],
            tickets=[
                IssuedTicket(
                    ticket_id=uuid.uuid4(), seat_id="A-A-1", tier="vip", price=8000, code="SECRET"
                )
            ],
            payment_id=uuid.uuid4(),
        ),
        producer="booking",
    )
    paid = Envelope.wrap(
        PaymentSucceededV1(
            payment_id=uuid.uuid4(),
            booking_id=booking_id,
            user_id=user_id,
            amount=8000,
            currency="USD",
            card_last4="4242",
        ),
        producer="payment",
    )
    for envelope in (paid, confirmed, confirmed):  # the duplicate is dropped by the inbox
        await publish(envelope=envelope)

    async def rows() -> list[dict[str, Any]]:
        return await probe.audit(actor_id=user_id)

    found = await eventually(rows, until=lambda r: len(r) >= 2, what="audit rows")
    assert sorted(r["action"] for r in found) == ["booking.confirmed", "payment.succeeded"]
    assert {r["target"] for r in found} == {f"booking:{booking_id}"}
    row = next(r for r in found if r["action"] == "booking.confirmed")
    assert row["details"]["amount"] == 8000 and row["details"]["places"] == 1
    assert "SECRET" not in str(found)  # the ticket code is never audited
    # nor the card's digits ("4242" in the text would also match a random uuid's hex)
    assert all(
        "card" not in key and value != "4242" for r in found for key, value in r["details"].items()
    )
    await eventually(lambda: probe.audit(actor_id=user_id), until=lambda r: len(r) == 2)
