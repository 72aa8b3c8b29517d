"""``ticketing_bookings_total{outcome}`` and ``ticketing_oversold_seats`` (DESIGN.md,
"Observability"): a booking's every change is counted once, when it commits."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration

OUTCOMES = ("created", "confirmed", "cancelled", "expired", "refunded")


def bookings(outcome: str) -> float:
    return REGISTRY.get_sample_value("ticketing_bookings_total", {"outcome": outcome}) or 0.0


def counts() -> dict[str, float]:
    return {outcome: bookings(outcome) for outcome in OUTCOMES}


def since(before: dict[str, float]) -> dict[str, float]:
    return {outcome: bookings(outcome) - before[outcome] for outcome in OUTCOMES}


async def test_each_step_of_a_booking_is_counted_once_when_booked_paid_cancelled_and_refunded(
    client: Any, customer: Any, book: Any, handle: Any, paid: Any, refunded: Any
) -> None:
    user = customer()
    before = counts()

    booking = (await book(user)).json()
    payment = paid(booking)
    assert await handle(payment) == "handled"
    assert await handle(payment) == "handled"  # told twice (a new message): confirmed once
    cancel = await client.post(f"/api/bookings/{booking['id']}/cancel", headers=user.headers)
    assert cancel.status_code == 200
    assert await handle(refunded(booking, payment.payment_id)) == "handled"

    assert since(before) == {
        "created": 1,
        "confirmed": 1,
        "cancelled": 1,
        "expired": 0,
        "refunded": 1,
    }


async def test_booking_is_counted_expired_when_the_sweeper_expires_it(
    customer: Any, book: Any, expire: Any
) -> None:
    booking = (await book(customer())).json()
    before = bookings("expired")

    await expire(booking["id"])

    assert bookings("expired") - before >= 1


async def test_refused_booking_is_not_counted_when_its_hold_is_already_booked(
    client: Any, customer: Any, book: Any
) -> None:
    user = customer()
    first = await book(user)
    before = counts()

    again = await client.post(
        "/api/bookings", json={"hold_id": first.json()["hold_id"]}, headers=user.headers
    )

    assert again.status_code == 409
    assert since(before)["created"] == 0


async def test_oversold_seats_read_zero_from_postgresql_when_checked(
    runtime: Any, confirmed_booking: Any, customer: Any
) -> None:
    await confirmed_booking(customer(), seats=[("M-A-1", "vip", 8000)])

    await runtime.run_job("booking-oversold-check")

    async def reading() -> float | None:
        return REGISTRY.get_sample_value("ticketing_oversold_seats", {"service": "booking"})

    assert await eventually(reading, until=lambda v: v is not None) == 0
