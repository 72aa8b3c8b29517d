"""The per-buyer limit: places in the buyer's live holds plus places sold to the buyer."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


async def test_buyer_limit_counts_places_across_holds_when_the_buyer_holds_twice(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
) -> None:
    event = await make_event(max_tickets_per_buyer=4)
    me = buyer()
    first = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1", "A-A-2"]}, headers=me["headers"]
    )
    second = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 2}, headers=me["headers"]
    )
    third = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-3"]}, headers=me["headers"]
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert third.status_code == 409
    body = third.json()
    assert body["error"] == "limit_exceeded"
    assert (body["details"]["limit"], body["details"]["current"]) == (4, 4)
    other = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-3"]}, headers=buyer()["headers"]
    )
    assert other.status_code == 201  # the limit is per buyer

    released = await client.delete(
        f"{holds_path(event)}/{first.json()['hold_id']}", headers=me["headers"]
    )
    assert released.status_code == 204
    again = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-4", "A-A-5"]}, headers=me["headers"]
    )
    assert again.status_code == 201


async def test_buyer_limit_counts_sold_places_when_a_booking_was_confirmed(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    publish: Any,
    confirmed: Any,
    holds_path: Any,
    tier_of: Any,
) -> None:
    event = await make_event(max_tickets_per_buyer=3)
    me = buyer()
    hold = (
        await client.post(
            holds_path(event), json={"seat_ids": ["B-C-1", "B-C-2"]}, headers=me["headers"]
        )
    ).json()
    message = confirmed(event, hold, user_id=me["id"])

    await publish(message)
    await eventually(lambda: tier_of(event, "standard"), until=lambda t: t["sold"] == 2)

    refused = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 2}, headers=me["headers"]
    )
    assert refused.status_code == 409
    assert refused.json()["details"]["current"] == 2
    ok = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 1}, headers=me["headers"]
    )
    assert ok.status_code == 201
