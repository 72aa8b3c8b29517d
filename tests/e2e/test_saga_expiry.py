"""Expiry and late payments, on a stack of its own with a 3-second payment window.

A booking nobody pays expires and its seats come back. A payment that lands after that
re-takes the same seats when they are still free (→ confirmed), or — when someone else has
them by now — cancels the booking and refunds the money at once: a paid order is never lost.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from devstack.stack import RunningStack, StackConfig, run_stack
from tests.e2e.test_saga_support import (
    Actor,
    addresses,
    book,
    booking_reaches,
    client,
    hold,
    login,
    pay,
    payment_reaches,
    promote_to_organizer,
    published_event,
    register,
    seats_become,
)

pytestmark = pytest.mark.e2e

PAYMENT_WINDOW_SECONDS = 3
_addresses = addresses(42)


@pytest.fixture(scope="module")
def expiry_stack(mailbox: Any, admin_credentials: tuple[str, str]) -> Iterator[RunningStack]:
    email, password = admin_credentials
    cfg = StackConfig.for_tests(
        f"saga{uuid.uuid4().hex[:6]}",
        extra_env={
            "ADMIN_EMAIL": email,
            "ADMIN_PASSWORD": password,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mailbox.port),
            "SWEEP_INTERVAL_SECONDS": "1",
            "HOLD_TTL_SECONDS": "30",
            "PAYMENT_WINDOW_SECONDS": str(PAYMENT_WINDOW_SECONDS),
        },
    )
    with run_stack(cfg) as running:
        yield running


@dataclass
class Scene:
    gateway_url: str
    organizer: Actor
    event: dict[str, Any]
    clients: list[Any]

    async def person(self, name: str) -> Actor:
        http = client(self.gateway_url, next(_addresses))
        self.clients.append(http)
        return await register(Actor(http), name)


@pytest.fixture(scope="module")
async def scene(
    expiry_stack: RunningStack, admin_credentials: tuple[str, str]
) -> AsyncIterator[Scene]:
    clients: list[Any] = []
    admin = Actor(client(expiry_stack.gateway_url, next(_addresses)))
    clients.append(admin.http)
    await login(admin, *admin_credentials)
    the_scene = Scene(expiry_stack.gateway_url, Actor(admin.http), {}, clients)
    organizer = await the_scene.person("ola")
    await promote_to_organizer(admin, organizer)
    the_scene.organizer = organizer
    the_scene.event = await published_event(organizer, rows=["A", "B", "C"])
    yield the_scene
    for http in clients:
        await http.aclose()


async def _expired(buyer: Actor, event_id: str, seats: list[str]) -> dict[str, Any]:
    booking = await book(buyer, event_id, seats)
    wait = PAYMENT_WINDOW_SECONDS + 12
    expired = await booking_reaches(buyer, booking["id"], "expired", timeout=wait)
    await seats_become(buyer, event_id, seats, "available")
    return expired


async def test_unpaid_booking_expires_and_its_seats_come_back(scene: Scene) -> None:
    buyer, next_buyer = await scene.person("eli"), await scene.person("nia")

    expired = await _expired(buyer, scene.event["id"], ["A-A-1", "A-A-2"])

    assert expired["tickets"] == []
    taken = await hold(next_buyer, scene.event["id"], ["A-A-1", "A-A-2"])
    assert taken["amount"] == 16000


async def test_late_payment_confirms_when_the_seats_are_still_free(scene: Scene) -> None:
    buyer = await scene.person("lou")
    expired = await _expired(buyer, scene.event["id"], ["A-B-1"])

    payment = await pay(buyer, expired["id"])

    assert payment.status_code == 201 and payment.json()["status"] == "succeeded", payment.text
    confirmed = await booking_reaches(buyer, expired["id"], "confirmed")
    assert confirmed["payment_id"] == payment.json()["id"]
    assert confirmed["hold_id"] != expired["hold_id"]  # the re-taken hold
    assert [t["seat_id"] for t in confirmed["tickets"]] == ["A-B-1"]
    await seats_become(buyer, scene.event["id"], ["A-B-1"], "sold")


async def test_late_payment_is_refunded_when_someone_else_took_the_seats(scene: Scene) -> None:
    buyer, rival = await scene.person("max"), await scene.person("rio")
    expired = await _expired(buyer, scene.event["id"], ["A-C-1"])
    rivals = await book(rival, scene.event["id"], ["A-C-1"])
    assert (await pay(rival, rivals["id"])).json()["status"] == "succeeded"
    await booking_reaches(rival, rivals["id"], "confirmed")

    payment = await pay(buyer, expired["id"])

    assert payment.json()["status"] == "succeeded", payment.text
    await payment_reaches(buyer, payment.json()["id"], "refunded")
    refunded = await booking_reaches(buyer, expired["id"], "refunded")
    assert refunded["cancel_reason"] == "paid_after_expiry"
    assert refunded["payment_id"] == payment.json()["id"]
    assert refunded["tickets"] == []
    # the rival keeps the seat: the refund released nothing
    still = (await rival.get(f"/api/bookings/{rivals['id']}")).json()
    assert still["status"] == "confirmed"
    await seats_become(rival, scene.event["id"], ["A-C-1"], "sold")
