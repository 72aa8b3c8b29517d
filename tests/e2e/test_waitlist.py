"""The waiting list through the gateway: a sold-out tier's list, places that come back offered
to the first in line as a hold of their own (with an email), a lapsed offer passed to the next,
and the next one's offer booked, paid and ``fulfilled``. (The shared stack's offers last 10 s.)"""

from __future__ import annotations

from typing import Any

import pytest

from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    Actor,
    Cast,
    book_hold,
    booking_reaches,
    hold,
    pay,
    published_event,
    try_hold,
)

pytestmark = pytest.mark.e2e


async def test_returned_seats_are_offered_in_line_order_lapse_to_the_next_and_are_sold_to_it(
    cast: Cast, admin: Actor, mailbox: Any
) -> None:
    host = await cast.organizer(admin, "list-host")
    event = await published_event(host, seats_per_row=2)
    waitlist = f"/api/events/{event['id']}/waitlist"
    seller, first, second = (
        await cast.person("ls"),
        await cast.person("l1"),
        await cast.person("l2"),
    )

    early = await first.post(waitlist, json={"tier": "vip", "quantity": 2})
    taken = await hold(seller, event["id"], ["A-A-1", "A-A-2"])
    joined = await first.post(waitlist, json={"tier": "vip", "quantity": 2})
    behind = await second.post(waitlist, json={"tier": "vip", "quantity": 2})
    assert (early.status_code, early.json()["error"]) == (409, "not_sold_out")
    assert (joined.status_code, joined.json()["position"]) == (201, 1), joined.text
    assert (behind.status_code, behind.json()["position"]) == (201, 2), behind.text

    async def entry(who: Actor) -> dict[str, Any]:
        response = await who.get(f"{waitlist}/me")
        assert response.status_code == 200, response.text
        [found] = response.json()
        return dict(found)

    released = await seller.delete(f"/api/events/{event['id']}/holds/{taken['hold_id']}")
    assert released.status_code == 204
    offer = await eventually(
        lambda: entry(first), until=lambda e: e["status"] == "offered", what="first offered"
    )
    public = await try_hold(seller, event["id"], {"seat_ids": ["A-A-1"]})
    assert (public.status_code, public.json()["error"]) == (409, "seats_unavailable")
    assert (await entry(second))["position"] == 1
    mine = await first.get(f"/api/events/{event['id']}/holds/{offer['hold_id']}")
    assert sorted(s["seat_id"] for s in mine.json()["seats"]) == ["A-A-1", "A-A-2"]

    lapsed = await eventually(
        lambda: entry(first), until=lambda e: e["status"] == "expired", timeout=30, what="lapse"
    )
    handed = await eventually(
        lambda: entry(second), until=lambda e: e["status"] == "offered", what="second offered"
    )
    assert lapsed["hold_id"] == offer["hold_id"]
    booking = await book_hold(second, handed["hold_id"])
    paid = await pay(second, booking["id"])
    assert paid.status_code == 201, paid.text
    await booking_reaches(second, booking["id"], "confirmed")
    done = await eventually(
        lambda: entry(second), until=lambda e: e["status"] == "fulfilled", what="fulfilled"
    )
    assert done["hold_id"] == handed["hold_id"]

    async def offers_mailed() -> list[str]:
        return [str(m["Subject"]) for who in (first, second) for m in mailbox.to(who.email)]

    subjects = await eventually(
        offers_mailed,
        until=lambda s: len([x for x in s if "held for you" in x]) == 2,
        what="both offers mailed",
    )
    assert all(event["title"] in s for s in subjects if "held for you" in s)
