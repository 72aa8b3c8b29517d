"""Booking's part of the hardening issue, through the real gateway (shared e2e stack).

- H1: a ticket used at the gate can no longer be cancelled (and refunded) by its buyer; an
  admin still can, and the money goes back.
- L11: the owner of a published event nobody has booked reads zero sales, not a 404.
- L6/L8: health, docs and OpenAPI under /api/bookings are not read as a booking id, and the
  OpenAPI documents the statuses an operation answers.
- M1: control characters in booking's inputs are a 422, never a 500.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    Stage,
    booking_reaches,
    confirmed_booking,
    payment_reaches,
    published_event,
    seats_become,
    stage,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def world(stack: Any, admin_credentials: tuple[str, str]) -> AsyncIterator[Stage]:
    async with stage(
        stack.gateway_url, admin_credentials, organizer="hana", rows=["A", "B"]
    ) as scene:
        yield scene


async def test_buyer_cancel_is_409_and_admin_cancel_refunds_when_the_ticket_was_checked_in(
    world: Stage,
) -> None:
    buyer, event_id = await world.cast.person("ivo"), world.event["id"]
    booking, payment_id = await confirmed_booking(buyer, event_id, ["A-A-1"])
    checkin = await world.organizer.post(
        "/api/bookings/checkin", json={"code": booking["tickets"][0]["code"]}
    )
    assert checkin.status_code == 200, checkin.text

    refused = await buyer.post(f"/api/bookings/{booking['id']}/cancel")

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "invalid_state"
    assert refused.json()["details"]["reason"] == "checked_in"
    still = (await buyer.get(f"/api/bookings/{booking['id']}")).json()
    assert (still["status"], still["cancel_reason"]) == ("confirmed", None)
    assert still["tickets"][0]["checked_in_at"] == checkin.json()["checked_in_at"]
    kept = (await buyer.get(f"/api/payments/{payment_id}")).json()
    assert kept["status"] == "succeeded"  # no refund

    by_admin = await world.admin.post(f"/api/bookings/{booking['id']}/cancel")

    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["cancel_reason"] == "cancelled_by_admin"
    await payment_reaches(buyer, payment_id, "refunded")
    refunded = await booking_reaches(buyer, booking["id"], "refunded")
    assert refunded["cancel_reason"] == "cancelled_by_admin"
    await seats_become(buyer, event_id, ["A-A-1"], "available")


async def test_event_sales_are_zero_for_owner_when_the_published_event_has_no_bookings(
    world: Stage,
) -> None:
    owner = await world.cast.organizer(world.admin, "olga")
    rival = await world.cast.organizer(world.admin, "rolf")
    event = await published_event(owner, rows=["A"])
    url = f"/api/bookings/events/{event['id']}/sales"

    async def owner_reads() -> Any:
        return await owner.get(url)

    sales = await eventually(owner_reads, until=lambda r: r.status_code == 200, what="zeros")

    assert sales.json() == {
        "event_id": event["id"],
        "currency": None,
        "tickets_sold": 0,
        "revenue": 0,
        "by_tier": [],
        "bookings_by_status": {
            "pending_payment": 0,
            "confirmed": 0,
            "cancelled": 0,
            "expired": 0,
            "refunded": 0,
        },
    }
    other = await rival.get(url)
    assert other.status_code == 404 and other.json()["error"] == "not_found"
    admin = await world.admin.get(url)
    assert (admin.status_code, admin.json()) == (200, sales.json())
    unknown = await world.admin.get(f"/api/bookings/events/{uuid.uuid4()}/sales")
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
async def test_health_docs_and_openapi_answer_200_when_asked_under_api_bookings(
    world: Stage, signed_in: bool
) -> None:
    caller = await world.cast.person("doc") if signed_in else world.cast.actor()
    for path, content_type in [
        ("/api/bookings/health", "application/json"),
        ("/api/bookings/docs", "text/html"),
        ("/api/bookings/openapi.json", "application/json"),
    ]:
        response = await caller.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
        assert response.headers["content-type"].startswith(content_type), path

    spec = (await caller.get("/api/bookings/openapi.json")).json()
    cancel = spec["paths"]["/api/bookings/{booking_id}/cancel"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422", "429"} <= set(cancel)
    create = spec["paths"]["/api/bookings"]["post"]["responses"]
    assert {"401", "403", "409", "413", "422"} <= set(create)


async def test_control_characters_are_422_when_sent_to_booking(world: Stage) -> None:
    buyer = await world.cast.person("nul")
    raw = {"content-type": "application/json"}

    create = await buyer.post(
        "/api/bookings", content=json.dumps({"hold_id": "h\x00"}), headers=raw
    )
    checkin = await world.organizer.post(
        "/api/bookings/checkin", content=json.dumps({"code": "e30\x00.e30"}), headers=raw
    )

    assert create.status_code == 422 and create.json()["error"] == "validation_error"
    assert checkin.status_code == 422 and checkin.json()["error"] == "validation_error"
    assert checkin.json()["details"]["fields"][0]["field"] == "code"
