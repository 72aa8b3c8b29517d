"""The caches of the hot paths never serve outdated facts: edits, cancels, changes made by
another process and Redis losing everything are all seen by the very next request."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2
import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from event_service.context import Context
from event_service.repository import lock_inventory
from event_service.settings import Settings
from shared.runtime import Runtime
from shared.testing.eventually import eventually
from shared.testing.infra import InfraUrls, delete_redis_prefix

pytestmark = pytest.mark.integration


async def test_an_edit_of_the_limits_applies_to_the_very_next_hold(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    organizer: dict[str, Any],
    hold_of: Any,
    holds_path: Any,
) -> None:
    event = await make_event()
    await hold_of(event, buyer(), {"seat_ids": ["A-A-1"]})  # facts now in memory
    patched = await client.patch(
        f"/api/events/{event['id']}",
        json={"max_tickets_per_order": 1},
        headers=organizer["headers"],
    )
    assert patched.status_code == 200, patched.text

    two = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2", "A-A-3"]}, headers=buyer()["headers"]
    )
    assert two.status_code == 409
    assert two.json()["error"] == "limit_exceeded"
    await hold_of(event, buyer(), {"seat_ids": ["A-A-2"]})


async def test_a_cancel_refuses_the_very_next_hold_and_the_map_shows_nothing_held(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    organizer: dict[str, Any],
    hold_of: Any,
    holds_path: Any,
    statuses: Any,
    tier_of: Any,
) -> None:
    event = await make_event()
    await hold_of(event, buyer(), {"seat_ids": ["A-A-1"]})
    assert (await statuses(event))["A-A-1"] == "held"

    cancelled = await client.post(f"/api/events/{event['id']}/cancel", headers=organizer["headers"])
    assert cancelled.status_code == 200, cancelled.text

    refused = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=buyer()["headers"]
    )
    assert refused.status_code == 409
    assert refused.json()["error"] == "sales_closed"
    assert (await statuses(event))["A-A-1"] == "available"
    assert (await tier_of(event, "vip"))["held"] == 0


async def test_a_hold_never_acts_on_facts_another_process_changed(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    runtime: Runtime,
    context: Context,
    hold_of: Any,
    holds_path: Any,
) -> None:
    """This process still remembers the event as published; another one fenced its facts and
    turned it back into a draft. The hold script refuses the outdated token, the facts are read
    again, and the hold is refused (404: a draft of someone else) — so is the seat map."""
    event = await make_event()
    await hold_of(event, buyer(), {"seat_ids": ["A-A-1"]})
    event_id = uuid.UUID(event["id"])
    assert context.facts._facts.get(event_id) is not None  # remembered

    async with runtime.sessionmaker() as session, session.begin():  # "another process"
        await lock_inventory(session, event_id, exclusive=True)
        await context.facts.store.fence(event_id)  # only Redis: this process's memory is kept
        await session.execute(
            text("UPDATE event SET status = 'draft' WHERE id = :id"), {"id": event_id}
        )

    refused = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=buyer()["headers"]
    )
    assert refused.status_code == 404, refused.text
    assert (await client.get(f"/api/events/{event['id']}/seats")).status_code == 404


async def test_a_refusal_on_remembered_facts_is_checked_before_it_is_answered(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    runtime: Runtime,
    context: Context,
    hold_of: Any,
    holds_path: Any,
) -> None:
    """The reverse: memory says draft, the event was published meanwhile by another process."""
    event = await make_event(publish=False)
    event_id = uuid.UUID(event["id"])
    first = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert first.status_code == 404  # a draft of someone else
    assert (await context.facts.get(event_id)) is not None  # remembered as a draft

    async with runtime.sessionmaker() as session, session.begin():
        await lock_inventory(session, event_id, exclusive=True)
        await context.facts.store.fence(event_id)
        await session.execute(
            text("UPDATE event SET status = 'published' WHERE id = :id"), {"id": event_id}
        )

    await hold_of(event, buyer(), {"seat_ids": ["A-A-1"]})


async def test_sold_seats_counts_and_buyer_limits_survive_redis_losing_everything(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    publish: Any,
    infra: InfraUrls,
    settings: Settings,
    confirmed: Any,
    hold_of: Any,
    holds_path: Any,
    statuses: Any,
    tier_of: Any,
) -> None:
    event = await make_event(max_tickets_per_buyer=2)
    me = buyer()
    bought = await hold_of(event, me, {"seat_ids": ["A-A-1"]})
    await publish(confirmed(event, bought, user_id=me["id"]))
    await eventually(lambda: statuses(event), until=lambda s: s["A-A-1"] == "sold")
    await hold_of(event, buyer(), {"seat_ids": ["A-A-2"]})
    before = (await client.get(f"/api/events/{event['id']}/seats")).headers["etag"]

    await delete_redis_prefix(infra, settings.REDIS_PREFIX)  # facts, mirror, holds: gone

    seats = await statuses(event)
    assert (seats["A-A-1"], seats["A-A-2"]) == ("sold", "available")  # holds live in Redis only
    vip = await tier_of(event, "vip")
    assert (vip["sold"], vip["held"], vip["available"]) == (1, 0, 9)
    after = (await client.get(f"/api/events/{event['id']}/seats")).headers["etag"]
    assert after != before
    taken = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert taken.status_code == 409
    assert taken.json()["details"]["unavailable"] == ["A-A-1"]
    over = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-3", "A-A-4"]}, headers=me["headers"]
    )
    assert over.status_code == 409
    assert (over.json()["error"], over.json()["details"]["current"]) == ("limit_exceeded", 1)
    await hold_of(event, me, {"seat_ids": ["A-A-3"]})


async def test_the_seat_map_shows_a_hold_and_a_release_at_once_with_a_new_etag(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, hold_of: Any, holds_path: Any
) -> None:
    event = await make_event()
    path = f"/api/events/{event['id']}/seats"
    first = await client.get(path)
    me = buyer()
    hold = await hold_of(event, me, {"seat_ids": ["B-C-1"]})

    held = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert held.status_code == 200
    assert {s["seat_id"]: s["status"] for s in held.json()}["B-C-1"] == "held"
    assert held.json() == [
        {**s, "status": "held" if s["seat_id"] == "B-C-1" else s["status"]} for s in first.json()
    ]
    released = await client.delete(f"{holds_path(event)}/{hold['hold_id']}", headers=me["headers"])
    assert released.status_code == 204
    again = await client.get(path)
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]


async def test_listing_and_detail_show_an_edit_at_once_even_when_redis_lost_the_version(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    runtime: Runtime,
    context: Context,
) -> None:
    title = f"Quiet Evening {uuid.uuid4().hex[:8]}"
    event = await make_event(title=title)

    def listed(page: dict[str, Any]) -> dict[str, Any] | None:
        return next((e for e in page["items"] if e["id"] == event["id"]), None)

    params = {"organizer_id": str(organizer["id"])}
    assert listed((await client.get("/api/events", params=params)).json()) is not None
    assert (await client.get(f"/api/events/{event['id']}")).json()["title"] == title
    await runtime.redis.delete(context.cache.version_key)  # remembered entries must not come back

    patched = await client.patch(
        f"/api/events/{event['id']}", json={"title": "Loud Evening"}, headers=organizer["headers"]
    )
    assert patched.status_code == 200, patched.text
    item = listed((await client.get("/api/events", params=params)).json())
    assert item is not None and item["title"] == "Loud Evening"
    assert (await client.get(f"/api/events/{event['id']}")).json()["title"] == "Loud Evening"


async def test_keys_of_an_older_layout_are_ignored_when_the_service_is_upgraded(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    publish: Any,
    infra: InfraUrls,
    settings: Settings,
    confirmed: Any,
    hold_of: Any,
    holds_path: Any,
    statuses: Any,
) -> None:
    """The skeleton kept the sold mirror as a set at ``event:sold:{E}``; an upgraded service
    must neither trip over such keys (WRONGTYPE) nor trust them."""
    event = await make_event()
    me = buyer()
    bought = await hold_of(event, me, {"seat_ids": ["A-A-1"]})
    await publish(confirmed(event, bought, user_id=me["id"]))
    await eventually(lambda: statuses(event), until=lambda s: s["A-A-1"] == "sold")
    await delete_redis_prefix(infra, settings.REDIS_PREFIX)  # the upgrade: a new layout
    old = Redis.from_url(infra.redis)
    try:
        prefix, event_id = settings.REDIS_PREFIX, event["id"]
        await old.sadd(f"{prefix}event:sold:{{{event_id}}}", "A-A-2")  # wrong type, wrong data
        await old.set(f"{prefix}event:gaheld:{{{event_id}}}", "garbage")
        await old.set(f"{prefix}event:catalog:version", "stale")

        listing = await client.get("/api/events", params={"q": event["title"]})
        assert listing.status_code == 200
        seats = await statuses(event)
        assert (seats["A-A-1"], seats["A-A-2"]) == ("sold", "available")  # from PostgreSQL
        taken = await client.post(
            holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
        )
        assert taken.status_code == 409
        await hold_of(event, buyer(), {"seat_ids": ["A-A-2"]})
    finally:
        await old.aclose()
