"""The waiting list (API.md "On-sale protection, live availability and the waiting list"): joined
only when a tier has no place for everyone; places that come back go to it first — the first
entry whose quantity fits gets a hold of its own and an email — and only an empty list gives
them back to everyone; a lapsed offer passes the places on; a sold one is ``fulfilled``.

The places are handed out by ``waitlist.hand_out``, which the service runs every
``WAITLIST_TICK_SECONDS``; here the tests run it themselves, in step."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from event_service.context import Context
from event_service.holds import Hold
from event_service.service import waitlist
from shared.testing.fixtures import Handle, Outbox

pytestmark = pytest.mark.integration

Lapse = Callable[..., Awaitable[Hold]]


def _list(event: dict[str, Any]) -> str:
    return f"/api/events/{event['id']}/waitlist"


async def _join(
    client: httpx2.AsyncClient, event: dict[str, Any], who: dict[str, Any], tier: str, n: int
) -> httpx2.Response:
    body = {"tier": tier, "quantity": n}
    return await client.post(_list(event), json=body, headers=who["headers"])


async def _mine(
    client: httpx2.AsyncClient, event: dict[str, Any], who: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.get(f"{_list(event)}/me", headers=who["headers"])
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def _hold(
    client: httpx2.AsyncClient, event: dict[str, Any], who: dict[str, Any], body: Any
) -> httpx2.Response:
    return await client.post(f"/api/events/{event['id']}/holds", json=body, headers=who["headers"])


async def _release(client: httpx2.AsyncClient, hold: dict[str, Any], who: dict[str, Any]) -> None:
    path = f"/api/events/{hold['event_id']}/holds/{hold['hold_id']}"
    assert (await client.delete(path, headers=who["headers"])).status_code == 204


def _floor(capacity: int) -> dict[str, Any]:
    """An event body with one general-admission tier of ``capacity`` places."""
    return {
        "tiers": [{"code": "floor", "name": "Floor", "price": 3000, "capacity": capacity}],
        "seating": [],
    }


async def test_join_is_409_not_sold_out_while_places_are_free_then_201_in_line_order(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, hold_of: Any
) -> None:
    event = await make_event(**_floor(2))
    first, second, third = buyer(), buyer(), buyer()

    early = await _join(client, event, second, "floor", 1)
    await hold_of(event, first, {"tier": "floor", "quantity": 2})
    joined = await _join(client, event, second, "floor", 2)
    again = await _join(client, event, second, "floor", 1)
    behind = await _join(client, event, third, "floor", 1)

    assert (early.status_code, early.json()["error"]) == (409, "not_sold_out")
    assert early.json()["details"] == {"tier": "floor", "available": 2}
    assert joined.status_code == 201, joined.text
    entry = joined.json()
    assert (entry["event_id"], entry["tier"], entry["quantity"]) == (event["id"], "floor", 2)
    assert (entry["position"], entry["status"], entry["hold_id"]) == (1, "waiting", None)
    assert uuid.UUID(entry["id"])
    assert (again.status_code, again.json()["error"]) == (409, "already_exists")
    assert (behind.status_code, behind.json()["position"]) == (201, 2)
    assert await _mine(client, event, second) == [entry]
    assert await _mine(client, event, first) == []


async def test_join_is_refused_for_bad_tiers_quantities_strangers_and_closed_sales(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event(**_floor(1), max_tickets_per_order=4)
    draft = await make_event(publish=False, **_floor(1))
    later = await make_event(
        **_floor(1), sales_start_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()
    )
    who = buyer()

    unknown = await _join(client, event, who, "balcony", 1)
    too_many = await _join(client, event, who, "floor", 5)
    zero = await _join(client, event, who, "floor", 0)
    hidden = await _join(client, draft, who, "floor", 1)
    closed = await _join(client, later, who, "floor", 1)
    anonymous = await client.post(_list(event), json={"tier": "floor", "quantity": 1})
    nul = await client.post(
        _list(event), json={"tier": "fl\u0000", "quantity": 1}, headers=who["headers"]
    )
    bad_leave = await client.delete(f"{_list(event)}/me?tier=a%00b", headers=who["headers"])

    assert (unknown.status_code, unknown.json()["error"]) == (422, "validation_error")
    assert (too_many.status_code, too_many.json()["error"]) == (409, "limit_exceeded")
    assert (zero.status_code, zero.json()["error"]) == (422, "validation_error")
    assert (hidden.status_code, hidden.json()["error"]) == (404, "not_found")
    assert (closed.status_code, closed.json()["error"]) == (409, "sales_closed")
    assert anonymous.status_code == 401
    assert (nul.status_code, nul.json()["error"]) == (422, "validation_error")
    assert (bad_leave.status_code, bad_leave.json()["error"]) == (422, "validation_error")
    assert await _mine(client, event, who) == []


async def test_returned_places_are_offered_in_line_order_lapse_to_the_next_and_then_to_everyone(
    client: httpx2.AsyncClient,
    context: Context,
    make_event: Any,
    buyer: Any,
    hold_of: Any,
    lapse: Lapse,
    outbox: Outbox,
    handle: Handle,
    confirmed: Any,
) -> None:
    event = await make_event(**_floor(2))
    seller, first, second, public = buyer(), buyer(), buyer(), buyer()
    taken = await hold_of(event, seller, {"tier": "floor", "quantity": 2})
    assert (await _join(client, event, first, "floor", 2)).status_code == 201
    assert (await _join(client, event, second, "floor", 1)).status_code == 201

    await _release(client, taken, seller)
    refused = await _hold(client, event, public, {"tier": "floor", "quantity": 1})
    await waitlist.hand_out(context)
    [offer] = await _mine(client, event, first)
    [waiting] = await _mine(client, event, second)

    assert (refused.status_code, refused.json()["error"]) == (409, "seats_unavailable")
    assert (offer["status"], offer["position"], offer["quantity"]) == ("offered", None, 2)
    assert offer["expires_at"] is not None
    held = await client.get(
        f"/api/events/{event['id']}/holds/{offer['hold_id']}", headers=first["headers"]
    )
    assert (held.status_code, held.json()["quantity"]) == (200, 2)
    [message] = await outbox("waitlist.offered", hold_id=offer["hold_id"])
    assert message["data"]["user_id"] == str(first["id"])
    assert (message["data"]["tier"], message["data"]["quantity"]) == ("floor", 2)
    assert (waiting["status"], waiting["position"]) == ("waiting", 1)

    await lapse(held.json())
    await context.holds.sweep()
    await waitlist.hand_out(context)
    [lapsed] = await _mine(client, event, first)
    [second_offer] = await _mine(client, event, second)
    now_public = await _hold(client, event, public, {"tier": "floor", "quantity": 1})
    too_many = await _hold(client, event, public, {"tier": "floor", "quantity": 1})

    assert lapsed["status"] == "expired"
    assert (second_offer["status"], second_offer["quantity"]) == ("offered", 1)
    assert now_public.status_code == 201, now_public.text  # the list is empty: one place left
    assert (too_many.status_code, too_many.json()["error"]) == (409, "seats_unavailable")

    hold = {
        "hold_id": second_offer["hold_id"],
        "amount": 3000,
        "currency": "USD",
        "seats": [{"seat_id": None, "tier": "floor", "price": 3000}],
    }
    assert await handle(confirmed(event, hold, user_id=second["id"])) == "handled"
    [fulfilled] = await _mine(client, event, second)
    assert fulfilled["status"] == "fulfilled"
    await waitlist.hand_out(context)
    assert [e["status"] for e in await _mine(client, event, second)] == ["fulfilled"]


async def test_the_first_entry_that_fits_gets_reserved_seats_and_the_others_keep_their_place(
    client: httpx2.AsyncClient,
    context: Context,
    make_event: Any,
    buyer: Any,
    hold_of: Any,
    statuses: Any,
) -> None:
    event = await make_event()
    vip = [f"A-{row}-{n}" for row in "AB" for n in range(1, 6)]
    big, small, public = buyer(), buyer(), buyer()
    mass = await hold_of(event, buyer(), {"seat_ids": vip[:9]})
    last = await hold_of(event, (owner := buyer()), {"seat_ids": vip[9:]})
    assert mass["quantity"] == 9
    assert (await _join(client, event, big, "vip", 2)).status_code == 201
    assert (await _join(client, event, small, "vip", 1)).status_code == 201

    await _release(client, last, owner)
    chosen = await _hold(client, event, public, {"seat_ids": [vip[9]]})
    await waitlist.hand_out(context)
    [still] = await _mine(client, event, big)
    [offer] = await _mine(client, event, small)

    assert (chosen.status_code, chosen.json()["details"]["unavailable"]) == (409, [vip[9]])
    assert (still["status"], still["position"]) == ("waiting", 1)
    assert offer["status"] == "offered"
    held = await client.get(
        f"/api/events/{event['id']}/holds/{offer['hold_id']}", headers=small["headers"]
    )
    assert [s["seat_id"] for s in held.json()["seats"]] == [vip[9]]
    assert (await statuses(event))[vip[9]] == "held"


async def test_leaving_the_list_takes_the_entry_away_and_the_next_moves_up(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, hold_of: Any
) -> None:
    event = await make_event(**_floor(1))
    await hold_of(event, buyer(), {"tier": "floor", "quantity": 1})
    first, second = buyer(), buyer()
    await _join(client, event, first, "floor", 1)
    await _join(client, event, second, "floor", 1)

    left = await client.delete(f"{_list(event)}/me?tier=floor", headers=first["headers"])
    again = await client.delete(f"{_list(event)}/me?tier=floor", headers=first["headers"])
    rejoined = await _join(client, event, first, "floor", 1)

    assert (left.status_code, again.status_code) == (204, 204)
    assert [e["position"] for e in await _mine(client, event, second)] == [1]
    assert (rejoined.status_code, rejoined.json()["position"]) == (201, 2)
