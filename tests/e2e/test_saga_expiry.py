"""Expiry, on a stack of its own with a 3-second payment window.

A booking nobody pays expires and its seats come back. Payment learns it from
``booking.expired``: a new payment for an expired booking is refused (409), so a buyer cannot
let bookings lapse and pay them later to get past ``max_tickets_per_buyer`` (probe M6). A
payment already in flight when the booking expired still reaches booking's late-payment rule
(re-take the same seats within the buyer limit and the sales window, else cancel and refund at
once); that race cannot be set up through the gateway, so it is tested at service level in
services/booking/tests/integration/test_late_payment_and_refunds.py and
test_late_payment_refusals.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from devstack.stack import RunningStack
from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    ERROR_CARD,
    Actor,
    Stage,
    book,
    booking_reaches,
    hold,
    pay,
    seats_become,
    stage,
)

pytestmark = pytest.mark.e2e

PAYMENT_WINDOW_SECONDS = 3


@pytest.fixture(scope="module")
def expiry_stack(launch: Any) -> Iterator[RunningStack]:
    with launch(
        "saga",
        gateway_limits=False,
        HOLD_TTL_SECONDS="30",
        PAYMENT_WINDOW_SECONDS=str(PAYMENT_WINDOW_SECONDS),
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def scene(
    expiry_stack: RunningStack, admin_credentials: tuple[str, str]
) -> AsyncIterator[Stage]:
    async with stage(
        expiry_stack.gateway_url, admin_credentials, organizer="ola", rows=["A", "B", "C"]
    ) as made:
        yield made


async def _expired(buyer: Actor, event_id: str, seats: list[str]) -> dict[str, Any]:
    booking = await book(buyer, event_id, seats)
    wait = PAYMENT_WINDOW_SECONDS + 12
    expired = await booking_reaches(buyer, booking["id"], "expired", timeout=wait)
    await seats_become(buyer, event_id, seats, "available")
    return expired


async def test_unpaid_booking_expires_and_its_seats_come_back(scene: Stage) -> None:
    buyer, next_buyer = await scene.cast.person("eli"), await scene.cast.person("nia")

    expired = await _expired(buyer, scene.event["id"], ["A-A-1", "A-A-2"])

    assert expired["tickets"] == []
    taken = await hold(next_buyer, scene.event["id"], ["A-A-1", "A-A-2"])
    assert taken["amount"] == 16000


async def test_payment_is_409_when_the_booking_already_expired(scene: Stage) -> None:
    """It used to be charged and the seats re-taken without the buyer limit (probe M6)."""
    buyer = await scene.cast.person("lou")
    expired = await _expired(buyer, scene.event["id"], ["A-B-1"])

    async def probe() -> Any:
        # a processing error changes nothing while payment's copy still says pending
        return await pay(buyer, expired["id"], ERROR_CARD)

    await eventually(probe, until=lambda r: r.status_code == 409, what="payment learns expiry")
    payment = await pay(buyer, expired["id"])

    assert payment.status_code == 409, payment.text
    assert payment.json()["error"] == "invalid_state"
    assert payment.json()["details"]["booking_status"] == "expired"
    paid = (await buyer.get("/api/payments")).json()["items"]
    assert [p["status"] for p in paid if p["status"] != "failed"] == []
    still = (await buyer.get(f"/api/bookings/{expired['id']}")).json()
    assert (still["status"], still["payment_id"], still["tickets"]) == ("expired", None, [])
    await seats_become(buyer, scene.event["id"], ["A-B-1"], "available")
