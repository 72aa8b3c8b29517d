"""Bot defences configurable per event (``hold_rules``): verified email, live holds per client
address, the cool-down after a lapsed hold — all enforced inside the hold scripts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from event_service.context import Context
from event_service.settings import Settings
from shared.http import internal_headers
from shared.testing.eventually import eventually
from shared.testing.tokens import TestSigner

pytestmark = pytest.mark.integration


@pytest.fixture
async def elsewhere(app: FastAPI) -> AsyncIterator[Any]:
    """``elsewhere("198.51.100.7")`` → a client of the same app calling from that address."""
    clients: list[httpx2.AsyncClient] = []

    def make(address: str) -> httpx2.AsyncClient:
        transport = httpx2.ASGITransport(app=app, client=(address, 40000))
        client = httpx2.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


# --- verified email ----------------------------------------------------------------------------


async def test_hold_is_403_email_not_verified_when_the_event_requires_a_verified_email(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    signer: TestSigner,
    holds_path: Any,
) -> None:
    event = await make_event(hold_rules={"verified_email_required": True})
    assert event["hold_rules"] == {
        "verified_email_required": True,
        "max_live_holds_per_address": 20,
        "rehold_cooldown_seconds": 60,
    }
    unverified = signer.headers(role="customer")  # no email_verified claim at all
    said_no = signer.headers(role="customer", email_verified=False)
    verified = signer.headers(role="customer", email_verified=True)

    for headers in (unverified, said_no):
        refused = await client.post(
            holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=headers
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "email_not_verified"
    ok = await client.post(holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=verified)
    assert ok.status_code == 201, ok.text

    patched = await client.patch(
        f"/api/events/{event['id']}",
        json={"hold_rules": {"verified_email_required": False}},
        headers=organizer["headers"],
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["hold_rules"]["max_live_holds_per_address"] == 20  # merged, not reset
    now_ok = await client.post(holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=unverified)
    assert now_ok.status_code == 201, now_ok.text


async def test_hold_rules_default_and_show_in_the_detail_when_not_given(
    client: httpx2.AsyncClient, make_event: Any
) -> None:
    event = await make_event()
    detail = (await client.get(f"/api/events/{event['id']}")).json()
    assert detail["hold_rules"] == {
        "verified_email_required": False,
        "max_live_holds_per_address": 20,
        "rehold_cooldown_seconds": 60,
    }
    uncapped = await make_event(hold_rules={"max_live_holds_per_address": None})
    detail = (await client.get(f"/api/events/{uncapped['id']}")).json()
    assert detail["hold_rules"]["max_live_holds_per_address"] is None


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"max_live_holds_per_address": 0}, "hold_rules.max_live_holds_per_address"),
        ({"rehold_cooldown_seconds": 3601}, "hold_rules.rehold_cooldown_seconds"),
        ({"rehold_cooldown_seconds": None}, "hold_rules"),
        ({"captcha": True}, "hold_rules.captcha"),
    ],
    ids=["zero-cap", "cooldown-over-an-hour", "null-cooldown", "unknown-rule"],
)
async def test_hold_rules_are_422_when_out_of_range(
    client: httpx2.AsyncClient,
    organizer: dict[str, Any],
    body_of: Any,
    rules: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(
        "/api/events", json=body_of(hold_rules=rules), headers=organizer["headers"]
    )
    assert response.status_code == 422, response.text
    assert any(f["field"].startswith(field) for f in response.json()["details"]["fields"])


# --- live holds per client address -------------------------------------------------------------


async def test_holds_per_client_address_are_capped_when_the_event_sets_a_cap(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    elsewhere: Any,
    publish: Any,
    confirmed: Any,
    holds_path: Any,
) -> None:
    event = await make_event(hold_rules={"max_live_holds_per_address": 2})
    first, second = buyer(), buyer()
    a = await client.post(holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=first["headers"])
    b = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 1}, headers=second["headers"]
    )
    assert (a.status_code, b.status_code) == (201, 201)

    third = buyer()
    refused = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-3"]}, headers=third["headers"]
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "limit_exceeded"
    assert refused.json()["details"] == {
        "max_live_holds_per_address": 2,
        "limit": 2,
        "current": 2,
        "requested": 1,
    }
    other_address = elsewhere("198.51.100.7")
    ok = await other_address.post(
        holds_path(event), json={"seat_ids": ["A-A-3"]}, headers=third["headers"]
    )
    assert ok.status_code == 201, ok.text

    # a released hold frees its address's slot at once ...
    released = await client.delete(
        f"{holds_path(event)}/{a.json()['hold_id']}", headers=first["headers"]
    )
    assert released.status_code == 204
    again = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-4"]}, headers=third["headers"]
    )
    assert again.status_code == 201, again.text
    # ... and so does a sale (booking's message names no address: the hold record does)
    await publish(confirmed(event, b.json(), user_id=second["id"]))

    async def fourth() -> int:
        response = await client.post(
            holds_path(event), json={"seat_ids": ["A-A-5"]}, headers=buyer()["headers"]
        )
        return response.status_code

    assert await eventually(fourth, until=lambda status: status == 201, what="slot freed") == 201


async def test_holds_per_client_address_are_not_capped_when_the_cap_is_lifted(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    buyer: Any,
    holds_path: Any,
) -> None:
    event = await make_event(hold_rules={"max_live_holds_per_address": 1})
    first = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert first.status_code == 201, first.text
    capped = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=buyer()["headers"]
    )
    assert capped.status_code == 409, capped.text

    lifted = await client.patch(
        f"/api/events/{event['id']}",
        json={"hold_rules": {"max_live_holds_per_address": None}},
        headers=organizer["headers"],
    )
    assert lifted.json()["hold_rules"]["max_live_holds_per_address"] is None
    for seat in ("B-C-1", "B-C-2", "B-C-3"):
        response = await client.post(
            holds_path(event), json={"seat_ids": [seat]}, headers=buyer()["headers"]
        )
        assert response.status_code == 201, response.text


async def test_address_and_buyer_keys_are_tagged_by_event_and_expire(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    context: Context,
    settings: Settings,
    holds_path: Any,
) -> None:
    event = await make_event(hold_rules={"rehold_cooldown_seconds": 120})
    me = buyer()
    response = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=me["headers"]
    )
    assert response.status_code == 201
    keys, redis = context.holds.keys, context.holds.redis
    event_id = uuid.UUID(event["id"])
    address_key = keys.address(event_id, "127.0.0.1")
    buyer_key = keys.buyer(event_id, me["id"])
    assert f"{{{event_id}}}" in address_key and f"{{{event_id}}}" in buyer_key
    hold_ms = settings.HOLD_TTL_SECONDS * 1000
    address_ttl = await redis.pttl(address_key)
    buyer_ttl = await redis.pttl(buyer_key)
    assert hold_ms - 5_000 < address_ttl <= hold_ms
    assert hold_ms + 115_000 < buyer_ttl <= hold_ms + 120_000  # the hold's life + the cool-down


# --- the cool-down after a lapsed hold ---------------------------------------------------------


async def test_a_buyer_who_let_a_hold_lapse_waits_out_the_cooldown_before_holding_again(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    holds_path: Any,
    hold_of: Any,
    lapse: Any,
) -> None:
    event = await make_event(hold_rules={"rehold_cooldown_seconds": 3})
    me = buyer()
    lapsed = await lapse(await hold_of(event, me, {"tier": "floor", "quantity": 2}))

    refused = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=me["headers"]
    )
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "rate_limited"
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 3
    assert refused.json()["details"]["rehold_cooldown_seconds"] == 3
    best = await client.post(
        holds_path(event),
        json={"tier": "vip", "quantity": 2, "best_available": True},
        headers=me["headers"],
    )
    assert best.status_code == 429, best.text  # refused before any search

    someone_else = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert someone_else.status_code == 201, someone_else.text

    await lapse(lapsed, ago=timedelta(seconds=3))  # the cool-down has passed since
    again = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=me["headers"]
    )
    assert again.status_code == 201, again.text


async def test_no_cooldown_when_the_hold_was_released_or_claimed_by_a_booking(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    settings: Settings,
    holds_path: Any,
    hold_of: Any,
    lapse: Any,
) -> None:
    event = await make_event(hold_rules={"rehold_cooldown_seconds": 600})
    me = buyer()
    held = await hold_of(event, me, {"seat_ids": ["A-A-1"]})
    released = await client.delete(f"{holds_path(event)}/{held['hold_id']}", headers=me["headers"])
    assert released.status_code == 204
    booked = await hold_of(event, me, {"seat_ids": ["A-A-2"]})
    claim = await client.post(
        f"/internal/holds/{booked['hold_id']}/claim",
        json={"user_id": str(me["id"]), "extend_seconds": 1},
        headers=internal_headers(settings),
    )
    assert claim.status_code == 200, claim.text
    await lapse(claim.json())  # the booking's hold lapses (booking deals with that)

    again = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-3"]}, headers=me["headers"]
    )
    assert again.status_code == 201, again.text
