"""``ticketing_payments_total{outcome}`` and ``ticketing_revenue_minor_units_total{currency}``
(DESIGN.md, "Observability"): counted once, when the payment's outcome commits."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from prometheus_client import REGISTRY

from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration

GOOD = "4242424242424242"
DECLINED = "4000000000000002"


def payments(outcome: str) -> float:
    return REGISTRY.get_sample_value("ticketing_payments_total", {"outcome": outcome}) or 0.0


def money(name: str, currency: str) -> float:
    return REGISTRY.get_sample_value(name, {"currency": currency}) or 0.0


async def test_payments_are_counted_by_outcome_and_revenue_by_currency_when_charged_and_refunded(
    make_booking: Any, pay: Any, client: Any, signer: Any
) -> None:
    paying, declined = uuid.uuid4(), uuid.uuid4()
    good_booking = await make_booking(paying, amount=4321, currency="EUR")
    bad_booking = await make_booking(declined, amount=999, currency="EUR")
    before = {o: payments(o) for o in ("succeeded", "failed", "refunded")}
    revenue = money("ticketing_revenue_minor_units_total", "EUR")
    refunded = money("ticketing_refunded_minor_units_total", "EUR")

    charged = await pay(paying, good_booking.booking_id, GOOD)
    refused = await pay(declined, bad_booking.booking_id, DECLINED)
    replayed = await pay(paying, good_booking.booking_id, GOOD)

    assert (charged.status_code, refused.status_code, replayed.status_code) == (201, 201, 409)
    assert payments("succeeded") - before["succeeded"] == 1
    assert payments("failed") - before["failed"] == 1
    assert money("ticketing_revenue_minor_units_total", "EUR") - revenue == 4321

    refund = await client.post(
        f"/api/payments/{charged.json()['id']}/refund", headers=signer.headers(role="admin")
    )
    assert refund.status_code == 200

    async def refunded_since() -> float:
        return payments("refunded") - before["refunded"]

    assert await eventually(refunded_since, until=lambda n: n >= 1) == 1
    assert money("ticketing_refunded_minor_units_total", "EUR") - refunded == 4321
    assert money("ticketing_revenue_minor_units_total", "EUR") - revenue == 4321
