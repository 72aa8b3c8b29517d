"""Organizers' webhooks (API.md "Webhooks"): registered by organizers and admins, the secret
shown once; a consumed message becomes a signed delivery to every endpoint that hears it —
only the event's own organizer's (and admins') — retried after a failure, redelivered on
request, given up at the deadline; a slow endpoint never holds up another.

The endpoints are a real HTTP server on loopback (``shared.testing.receiver``); the service's
webhook sender runs as in production (polling every 0.1 s here, retries after ~0.2 s)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from sqlalchemy import text

from notification_service.webhooks.signing import verify
from shared.contracts.booking import BookingConfirmedV1, TicketCheckedInV1
from shared.contracts.event import EventPublishedV1
from shared.contracts.payment import PaymentRefundedV1
from shared.testing.eventually import eventually
from shared.testing.fixtures import Handle
from shared.testing.receiver import Receiver, receiver
from shared.testing.tokens import TestSigner

pytestmark = pytest.mark.integration

HOOKS = "/api/notifications/webhooks"


@pytest.fixture
async def endpoint() -> AsyncIterator[Receiver]:
    async with receiver() as found:
        yield found


def _person(signer: TestSigner, role: str) -> dict[str, Any]:
    uid = uuid.uuid4()
    return {"id": uid, "headers": signer.headers(user_id=uid, role=role)}


async def _register(
    client: httpx2.AsyncClient, who: dict[str, Any], url: str, events: list[str], **extra: Any
) -> dict[str, Any]:
    body = {"url": url, "events": events, **extra}
    response = await client.post(HOOKS, json=body, headers=who["headers"])
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _deliveries(
    client: httpx2.AsyncClient, who: dict[str, Any], hook: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=who["headers"])
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _arrived(endpoint: Receiver, path: str, count: int) -> list[Any]:
    async def seen() -> list[Any]:
        return endpoint.to(path)

    return await eventually(seen, until=lambda r: len(r) >= count, what=f"{count} at {path}")


def _confirmed_for(make: Callable[..., BookingConfirmedV1], organizer: uuid.UUID) -> Any:
    return make().model_copy(update={"organizer_id": organizer})


async def test_registration_shows_the_secret_once_and_only_organizers_and_admins_register(
    client: httpx2.AsyncClient, signer: TestSigner, endpoint: Receiver
) -> None:
    organizer, admin = _person(signer, "organizer"), _person(signer, "admin")
    customer = _person(signer, "customer")

    created = await _register(client, organizer, endpoint.url("/a"), ["booking.confirmed"])
    by_admin = await _register(client, admin, endpoint.url("/b"), ["event.cancelled"])
    refused = await client.post(
        HOOKS, json={"url": endpoint.url("/c"), "events": ["booking.confirmed"]},
        headers=customer["headers"],
    )  # fmt: skip
    unknown_type = await client.post(
        HOOKS, json={"url": endpoint.url("/c"), "events": ["user.registered"]},
        headers=organizer["headers"],
    )  # fmt: skip
    listed = await client.get(HOOKS, headers=organizer["headers"])

    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert (created["url"], created["events"], created["event_id"]) == (
        endpoint.url("/a"), ["booking.confirmed"], None,
    )  # fmt: skip
    assert by_admin["secret"] != created["secret"]
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    assert (unknown_type.status_code, unknown_type.json()["error"]) == (422, "validation_error")
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["id"] == created["id"] and "secret" not in item


async def test_a_message_is_delivered_signed_to_its_organizers_endpoint_without_ticket_codes(
    client: httpx2.AsyncClient,
    signer: TestSigner,
    endpoint: Receiver,
    handle: Handle,
    booking_confirmed: Callable[..., BookingConfirmedV1],
) -> None:
    organizer, other = _person(signer, "organizer"), _person(signer, "organizer")
    hook = await _register(client, organizer, endpoint.url("/mine"), ["booking.confirmed"])
    await _register(client, other, endpoint.url("/theirs"), ["booking.confirmed"])
    message = _confirmed_for(booking_confirmed, organizer["id"])

    assert await handle(message) == "handled"
    [request] = await _arrived(endpoint, "/mine", 1)
    body = json.loads(request.body)
    signature = request.headers["ticketing-signature"]

    assert verify(hook["secret"], signature, request.body, now=int(time.time()))
    assert not verify("whsec_wrong", signature, request.body, now=int(time.time()))
    assert body["id"] == request.headers["ticketing-delivery-id"]
    assert body["type"] == "booking.confirmed"
    assert body["data"]["booking_id"] == str(message.booking_id)
    assert body["data"]["organizer_id"] == str(organizer["id"])
    assert "hold_id" not in body["data"]
    assert all("code" not in t for t in body["data"]["tickets"]) and body["data"]["tickets"]
    assert request.headers["content-type"] == "application/json"
    [delivery] = await eventually(
        lambda: _deliveries(client, organizer, hook),
        until=lambda d: len(d) == 1 and d[0]["status"] == "delivered", what="delivered",
    )  # fmt: skip
    assert (delivery["id"], delivery["attempts"], delivery["last_status_code"]) == (
        body["id"], 1, 200,
    )  # fmt: skip
    assert delivery["next_attempt_at"] is None
    assert endpoint.to("/theirs") == []  # another organizer's endpoint hears nothing of it


async def test_a_failed_attempt_is_retried_and_a_redelivery_sends_the_same_delivery_again(
    client: httpx2.AsyncClient,
    signer: TestSigner,
    endpoint: Receiver,
    handle: Handle,
    booking_confirmed: Callable[..., BookingConfirmedV1],
) -> None:
    organizer, stranger = _person(signer, "organizer"), _person(signer, "organizer")
    hook = await _register(client, organizer, endpoint.url("/flaky"), ["booking.confirmed"])
    endpoint.answers["/flaky"] = [500, 503]

    await handle(_confirmed_for(booking_confirmed, organizer["id"]))
    first, second, third = await _arrived(endpoint, "/flaky", 3)
    [delivery] = await eventually(
        lambda: _deliveries(client, organizer, hook),
        until=lambda d: d[0]["status"] == "delivered", what="delivered after retries",
    )  # fmt: skip
    path = f"{HOOKS}/{hook['id']}/deliveries/{delivery['id']}/redeliver"
    theirs = await client.post(path, headers=stranger["headers"])
    again = await client.post(path, headers=organizer["headers"])
    fourth = (await _arrived(endpoint, "/flaky", 4))[3]

    ids = {r.headers["ticketing-delivery-id"] for r in (first, second, third, fourth)}
    assert ids == {delivery["id"]}
    assert (delivery["attempts"], delivery["last_status_code"]) == (3, 200)
    assert (theirs.status_code, theirs.json()["error"]) == (404, "not_found")
    assert again.status_code == 202
    assert third.at - second.at >= 0.09  # backed off (0.2 s ± 50 %, then doubled)


async def test_a_delivery_past_its_deadline_is_failed_and_a_slow_endpoint_holds_up_no_other(
    client: httpx2.AsyncClient,
    signer: TestSigner,
    endpoint: Receiver,
    handle: Handle,
    runtime: Any,
    booking_confirmed: Callable[..., BookingConfirmedV1],
) -> None:
    organizer = _person(signer, "organizer")
    dead = await _register(client, organizer, endpoint.url("/dead"), ["booking.confirmed"])
    slow = await _register(client, organizer, endpoint.url("/slow"), ["ticket.checked_in"])
    fast = await _register(client, organizer, endpoint.url("/fast"), ["ticket.checked_in"])
    endpoint.answers["/dead"] = [500] * 100
    endpoint.delays["/slow"] = 1.5

    await handle(_confirmed_for(booking_confirmed, organizer["id"]))
    await _arrived(endpoint, "/dead", 1)
    async with runtime.engine.begin() as conn:  # as if a day had gone by
        sql = "UPDATE webhook_delivery SET deadline_at = now() WHERE webhook_id = :w"
        await conn.execute(text(sql), {"w": dead["id"]})
    [failed] = await eventually(
        lambda: _deliveries(client, organizer, dead),
        until=lambda d: d[0]["status"] == "failed", what="given up",
    )  # fmt: skip
    checked = TicketCheckedInV1(
        ticket_id=uuid.uuid4(), booking_id=uuid.uuid4(), event_id=uuid.uuid4(),
        organizer_id=organizer["id"], user_id=uuid.uuid4(), seat_id="A-A-1", tier="vip",
        checked_in_at=datetime.now(UTC), actor_id=organizer["id"],
    )  # fmt: skip
    await handle(checked)
    [quick] = await _arrived(endpoint, "/fast", 1)
    [late] = await _arrived(endpoint, "/slow", 1)
    fast_done = await eventually(
        lambda: _deliveries(client, organizer, fast),
        until=lambda d: d[0]["status"] == "delivered", what="fast delivered",
    )  # fmt: skip
    slow_now = await _deliveries(client, organizer, slow)

    assert failed["last_status_code"] == 500 and failed["next_attempt_at"] is None
    assert fast_done[0]["status"] == "delivered"
    assert slow_now[0]["status"] == "pending"  # still waiting for its slow answer
    assert abs(quick.at - late.at) < 1.0  # started side by side, not one after the other


async def test_admins_hear_every_event_organizers_only_theirs_and_refunds_find_their_event(
    client: httpx2.AsyncClient, signer: TestSigner, endpoint: Receiver, handle: Handle
) -> None:
    organizer, admin = _person(signer, "organizer"), _person(signer, "admin")
    event_id, other_event = uuid.uuid4(), uuid.uuid4()
    mine = await _register(client, organizer, endpoint.url("/org"), ["payment.refunded"],
                           event_id=str(event_id))  # fmt: skip
    await _register(client, admin, endpoint.url("/admin"), ["payment.refunded"])
    await handle(_published(event_id, organizer["id"]))
    await handle(_published(other_event, uuid.uuid4()))
    foreign = await client.post(
        HOOKS, json={"url": endpoint.url("/x"), "events": ["payment.refunded"],
                     "event_id": str(other_event)}, headers=organizer["headers"],
    )  # fmt: skip

    await handle(_refunded(event_id))
    await handle(_refunded(other_event))
    await _arrived(endpoint, "/admin", 2)
    [own] = await _arrived(endpoint, "/org", 1)

    assert (foreign.status_code, foreign.json()["error"]) == (403, "forbidden")
    assert json.loads(own.body)["data"]["event_id"] == str(event_id)
    deleted = await client.delete(f"{HOOKS}/{mine['id']}", headers=organizer["headers"])
    gone = await client.get(f"{HOOKS}/{mine['id']}/deliveries", headers=organizer["headers"])
    assert (deleted.status_code, gone.status_code) == (204, 404)


def _published(event_id: uuid.UUID, organizer_id: uuid.UUID) -> EventPublishedV1:
    return EventPublishedV1(
        event_id=event_id, organizer_id=organizer_id, title="Show", starts_at=datetime.now(UTC),
        currency="USD",
    )  # fmt: skip


def _refunded(event_id: uuid.UUID) -> PaymentRefundedV1:
    return PaymentRefundedV1(
        refund_id=uuid.uuid4(), payment_id=uuid.uuid4(), booking_id=uuid.uuid4(),
        user_id=uuid.uuid4(), amount=1000, currency="USD", event_id=event_id,
    )  # fmt: skip
