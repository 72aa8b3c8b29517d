"""The waiting room through the gateway: join, the same place again, admission in place order,
and a hold that needs the caller's own admission."""

from __future__ import annotations

from typing import Any

import pytest

from shared.testing.eventually import eventually
from tests.e2e.api_client import Actor, Cast, event_body, published_event

pytestmark = pytest.mark.e2e


async def test_buyers_queue_are_admitted_in_place_order_and_hold_with_their_admission(
    cast: Cast, admin: Actor
) -> None:
    host = await cast.organizer(admin, "room-host")
    body = event_body(
        waiting_room={"enabled": True, "admit_per_minute": 600},
        # on by default behind a room; these people never verified their email
        hold_rules={"verified_email_required": False},
    )
    event = await published_event(host, body)
    queue, holds = f"/api/events/{event['id']}/queue", f"/api/events/{event['id']}/holds"
    first, second = await cast.person("room-first"), await cast.person("room-second")

    joined = await first.post(queue)
    again = await first.post(queue)
    behind = await second.post(queue)
    assert (joined.status_code, again.status_code, behind.status_code) == (201, 200, 201)
    assert (joined.json()["position"], again.json()["position"]) == (1, 1)
    assert (behind.json()["position"], behind.json()["ahead"]) == (2, 1)

    async def entry(who: Actor) -> dict[str, Any]:
        response = await who.get(f"{queue}/me")
        assert response.status_code == 200, response.text
        return dict(response.json())

    admitted = await eventually(
        lambda: entry(first), until=lambda e: e["state"] == "admitted", what="first admitted"
    )
    token = admitted["admission_token"]
    seat = {"seat_ids": ["A-A-1"]}
    without = await first.post(holds, json=seat)
    borrowed = await second.post(holds, json=seat, headers={"X-Admission-Token": token})
    held = await first.post(holds, json=seat, headers={"X-Admission-Token": token})

    assert (without.status_code, without.json()["error"]) == (403, "admission_required")
    assert (borrowed.status_code, borrowed.json()["error"]) == (403, "admission_required")
    assert held.status_code == 201, held.text
    later = await eventually(
        lambda: entry(second), until=lambda e: e["state"] == "admitted", what="second admitted"
    )
    assert later["position"] == 2 and later["admission_token"] != token
