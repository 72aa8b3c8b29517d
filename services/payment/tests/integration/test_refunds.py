"""POST /api/payments/{id}/refund."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def test_admin_refund_refunds_the_payment_when_it_succeeded(
    make_booking: Any, pay: Any, client: Any, signer: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user, amount=3100, currency="USD")
    payment = (await pay(user, booking.booking_id)).json()

    response = await client.post(
        f"/api/payments/{payment['id']}/refund",
        json={"reason": "customer_complaint"},
        headers=signer.headers(role="admin"),
    )

    assert response.status_code == 200, response.text
    refund = response.json()
    assert refund["payment_id"] == payment["id"]
    assert (refund["amount"], refund["currency"], refund["reason"]) == (
        3100,
        "USD",
        "customer_complaint",
    )
    shown = await client.get(f"/api/payments/{payment['id']}", headers=signer.headers(user_id=user))
    assert shown.json()["status"] == "refunded"
    [message] = await outbox("payment.refunded", booking_id=booking.booking_id)
    assert (message["data"]["refund_id"], message["data"]["payment_id"]) == (
        refund["id"],
        payment["id"],
    )
    assert (message["data"]["amount"], message["data"]["user_id"]) == (3100, str(user))


async def test_refunding_twice_is_409_when_already_refunded(
    make_booking: Any, pay: Any, client: Any, signer: Any, outbox: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    payment = (await pay(user, booking.booking_id)).json()
    path = f"/api/payments/{payment['id']}/refund"
    assert (await client.post(path, headers=signer.headers(role="admin"))).status_code == 200

    again = await client.post(path, headers=signer.headers(role="admin"))

    assert again.status_code == 409
    assert again.json()["error"] == "invalid_state"
    assert len(await outbox("payment.refunded", booking_id=booking.booking_id)) == 1


async def test_refund_is_409_when_the_payment_failed(
    make_booking: Any, pay: Any, client: Any, signer: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    payment = (await pay(user, booking.booking_id, "4000000000000002")).json()
    response = await client.post(
        f"/api/payments/{payment['id']}/refund", headers=signer.headers(role="admin")
    )
    assert response.status_code == 409
    assert response.json()["details"]["status"] == "failed"


async def test_customer_gets_403_when_asking_for_a_refund(
    make_booking: Any, pay: Any, client: Any, signer: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    payment = (await pay(user, booking.booking_id)).json()
    response = await client.post(
        f"/api/payments/{payment['id']}/refund", headers=signer.headers(user_id=user)
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    shown = await client.get(f"/api/payments/{payment['id']}", headers=signer.headers(user_id=user))
    assert shown.json()["status"] == "succeeded"


async def test_refund_of_unknown_payment_is_404(client: Any, signer: Any) -> None:
    response = await client.post(
        f"/api/payments/{uuid.uuid4()}/refund", headers=signer.headers(role="admin")
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_refund_with_unknown_field_is_422(client: Any, signer: Any) -> None:
    response = await client.post(
        f"/api/payments/{uuid.uuid4()}/refund",
        json={"amount": 5},
        headers=signer.headers(role="admin"),
    )
    assert response.status_code == 422
