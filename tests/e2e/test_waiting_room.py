"""The waiting room through the gateway: join, the same place again, admission in place order,
and a hold that needs the caller's own admission."""

from __future__ import annotations

from typing import Any

import pytest

from shared.testing.eventually import eventually
from tests.e2e.api_client import Actor, Cast, event_body, future, published_event

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


async def test_prequeue_joiners_get_places_by_a_draw_at_the_sales_start_and_later_ones_queue(
    cast: Cast, admin: Actor
) -> None:
    host = await cast.organizer(admin, "draw-host")
    body = event_body(
        sales_start_at=future(seconds=10),  # the joins below come well before it
        waiting_room={"enabled": True, "admit_per_minute": 6, "opens_before_sale_seconds": 900},
        hold_rules={"verified_email_required": False},
    )
    event = await published_event(host, body)
    queue = f"/api/events/{event['id']}/queue"
    early = [await cast.person(f"draw-{n}") for n in range(5)]

    joined = [await who.post(queue) for who in early]
    assert [r.status_code for r in joined] == [201] * 5
    assert {(r.json()["state"], r.json()["position"]) for r in joined} == {("prequeue", None)}

    async def places() -> list[Any]:
        return [(await who.get(f"{queue}/me")).json()["position"] for who in early]

    drawn = await eventually(
        places, until=lambda p: None not in p, timeout=20, what="the draw at the sales start"
    )
    late = await (await cast.person("draw-late")).post(queue)

    assert sorted(drawn) == [1, 2, 3, 4, 5]
    assert (late.status_code, late.json()["state"], late.json()["position"]) == (201, "waiting", 6)
