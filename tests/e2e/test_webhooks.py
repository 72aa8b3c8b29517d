"""Organizers' webhooks through the gateway, to a real HTTP receiver on loopback: a purchase
and a check-in reach the organizer's endpoint signed with its secret, a 500 is retried, a
redelivery sends the same delivery again, another organizer sees nothing, and a private URL
is refused where WEBHOOK_ALLOW_PRIVATE is off."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from notification_service.webhooks.signing import verify
from shared.testing.eventually import eventually
from shared.testing.receiver import Receiver, receiver
from tests.e2e.api_client import Actor, Cast, confirmed_booking, published_event

pytestmark = pytest.mark.e2e

HOOKS = "/api/notifications/webhooks"


@pytest.fixture
async def endpoint() -> AsyncIterator[Receiver]:
    async with receiver() as found:
        yield found


async def _arrived(endpoint: Receiver, count: int) -> list[Any]:
    async def seen() -> list[Any]:
        return endpoint.to("/hook")

    return await eventually(seen, until=lambda r: len(r) >= count, timeout=30,
                            what=f"{count} deliveries")  # fmt: skip


async def test_a_purchase_and_a_check_in_reach_the_organizers_endpoint_signed_and_retried(
    cast: Cast, admin: Actor, endpoint: Receiver
) -> None:
    host = await cast.organizer(admin, "hook-host")
    other = await cast.organizer(admin, "hook-other")
    event = await published_event(host)
    created = await host.post(
        HOOKS, json={"url": endpoint.url("/hook"), "events": ["booking.confirmed",
                                                              "ticket.checked_in"]},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    hook = created.json()
    endpoint.answers["/hook"] = [500]

    booking, _ = await confirmed_booking(await cast.person("hook-buyer"), event["id"], ["A-A-1"])
    failed, delivered = await _arrived(endpoint, 2)
    deliveries = await eventually(
        lambda: _deliveries(host, hook["id"]),
        until=lambda d: bool(d) and d[0]["status"] == "delivered", what="delivered",
    )  # fmt: skip
    body = json.loads(delivered.body)

    assert verify(hook["secret"], delivered.headers["ticketing-signature"], delivered.body,
                  now=int(time.time()))  # fmt: skip
    assert failed.headers["ticketing-delivery-id"] == delivered.headers["ticketing-delivery-id"]
    assert (body["type"], body["data"]["booking_id"]) == ("booking.confirmed", booking["id"])
    assert (deliveries[0]["attempts"], deliveries[0]["last_status_code"]) == (2, 200)

    code = booking["tickets"][0]["code"]
    checked = await host.post("/api/bookings/checkin", json={"code": code})
    assert checked.status_code == 200, checked.text
    third = (await _arrived(endpoint, 3))[2]
    assert json.loads(third.body)["type"] == "ticket.checked_in"
    assert json.loads(third.body)["data"]["seat_id"] == "A-A-1"

    path = f"{HOOKS}/{hook['id']}/deliveries/{deliveries[0]['id']}/redeliver"
    assert (await other.post(path)).status_code == 404
    assert (await host.post(path)).status_code == 202
    again = (await _arrived(endpoint, 4))[3]
    assert again.headers["ticketing-delivery-id"] == deliveries[0]["id"]
    theirs = await other.get(HOOKS)
    assert (theirs.status_code, theirs.json()["items"]) == (200, [])
    assert (await other.get(f"{HOOKS}/{hook['id']}/deliveries")).status_code == 404


async def _deliveries(actor: Actor, hook_id: str) -> list[dict[str, Any]]:
    response = await actor.get(f"{HOOKS}/{hook_id}/deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_private_url_is_refused_unless_private_webhooks_are_allowed(
    launch: Any, admin_credentials: tuple[str, str]
) -> None:
    env = {"notification": {"WEBHOOK_ALLOW_PRIVATE": "false"}}
    with launch("hookpriv", services=("auth", "notification"), service_env=env) as stack:
        async with Cast(stack.gateway_url) as people:
            organizer = await people.organizer(await people.admin(admin_credentials), "priv")
            body = {"events": ["booking.confirmed"]}
            loopback = await organizer.post(HOOKS, json=body | {"url": "http://127.0.0.1:9/x"})
            private = await organizer.post(HOOKS, json=body | {"url": "https://10.0.0.7/x"})
            metadata = await organizer.post(
                HOOKS, json=body | {"url": "https://169.254.169.254/latest"}
            )
    for refused in (loopback, private, metadata):
        assert (refused.status_code, refused.json()["error"]) == (422, "url_not_allowed")
