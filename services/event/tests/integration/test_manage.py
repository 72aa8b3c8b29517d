"""Changing, cancelling and deleting events; mine; search, filters, sort; the cache."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from event_service.settings import Settings
from shared.http import internal_headers
from shared.testing.tokens import TestSigner

pytestmark = pytest.mark.integration


async def test_patch_changes_fields_and_the_detail_shows_them_at_once_when_owner_edits(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any]
) -> None:
    event = await make_event()
    assert (await client.get(f"/api/events/{event['id']}")).json()["title"] == event["title"]

    response = await client.patch(
        f"/api/events/{event['id']}",
        json={"title": "Renamed Night", "max_tickets_per_order": 4, "sales_end_at": None},
        headers=organizer["headers"],
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["max_tickets_per_order"]) == ("Renamed Night", 4)
    assert body["location"] == event["location"]
    detail = (await client.get(f"/api/events/{event['id']}")).json()
    assert detail["title"] == "Renamed Night"  # the cached static part was invalidated


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ends_at": "2020-01-01T00:00:00+00:00"}, "ends_at"),
        ({"title": None}, "body"),
        ({"max_tickets_per_order": 0}, "max_tickets_per_order"),
        ({"unknown": 1}, "unknown"),
    ],
    ids=["end-before-start", "null-title", "zero-limit", "unknown-field"],
)
async def test_patch_is_422_naming_the_field_when_body_is_invalid(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    body: dict[str, Any],
    field: str,
) -> None:
    event = await make_event()
    response = await client.patch(
        f"/api/events/{event['id']}", json=body, headers=organizer["headers"]
    )
    assert response.status_code == 422, response.text
    fields = [f["field"] for f in response.json()["details"]["fields"]]
    assert any(f.startswith(field) for f in fields), fields


async def test_patch_replaces_tiers_and_seats_when_nothing_is_held_or_sold(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any]
) -> None:
    event = await make_event()
    response = await client.patch(
        f"/api/events/{event['id']}",
        json={
            "tiers": [
                {"code": "std", "name": "Standard", "price": 1000},
                {"code": "pit", "name": "Pit", "price": 500, "capacity": 7},
            ],
            "seating": [{"section": "S", "tier": "std", "rows": ["A"], "seats_per_row": 3}],
        },
        headers=organizer["headers"],
    )

    assert response.status_code == 200, response.text
    tiers = {t["code"]: t["capacity"] for t in response.json()["tiers"]}
    assert tiers == {"std": 3, "pit": 7}
    seats = (await client.get(f"/api/events/{event['id']}/seats")).json()
    assert [s["seat_id"] for s in seats] == ["S-A-1", "S-A-2", "S-A-3"]


async def test_patch_of_tiers_keeps_the_seat_map_when_seating_is_not_given(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any]
) -> None:
    event = await make_event()
    tiers = [
        {"code": "standard", "name": "Standard", "price": 2600},
        {"code": "vip", "name": "VIP", "price": 9000},
    ]
    response = await client.patch(
        f"/api/events/{event['id']}", json={"tiers": tiers}, headers=organizer["headers"]
    )
    assert response.status_code == 200, response.text
    seats = (await client.get(f"/api/events/{event['id']}/seats")).json()
    assert len(seats) == 20 and {s["price"] for s in seats} == {2600, 9000}


async def test_patch_of_tiers_is_409_invalid_state_when_a_seat_is_held(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], buyer: Any, hold_of: Any
) -> None:
    event = await make_event()
    await hold_of(event, buyer(), {"tier": "floor", "quantity": 1})

    response = await client.patch(
        f"/api/events/{event['id']}",
        json={"tiers": [{"code": "floor", "name": "Floor", "price": 1, "capacity": 5}]},
        headers=organizer["headers"],
    )

    assert response.status_code == 409
    assert response.json()["error"] == "invalid_state"
    # a plain field still changes while places are held
    ok = await client.patch(
        f"/api/events/{event['id']}", json={"title": "Still fine"}, headers=organizer["headers"]
    )
    assert ok.status_code == 200


async def test_patch_and_delete_are_403_when_caller_does_not_own_the_event(
    client: httpx2.AsyncClient, make_event: Any, signer: TestSigner
) -> None:
    event = await make_event()
    other = signer.headers(user_id=uuid.uuid4(), role="organizer")
    path = f"/api/events/{event['id']}"
    assert (await client.patch(path, json={"title": "x"}, headers=other)).status_code == 403
    assert (await client.delete(path, headers=other)).status_code == 403
    assert (await client.post(f"{path}/cancel", headers=other)).status_code == 403
    admin = signer.headers(user_id=uuid.uuid4(), role="admin")
    assert (await client.patch(path, json={"title": "By admin"}, headers=admin)).status_code == 200


async def test_delete_answers_204_and_the_event_is_gone_when_nothing_was_sold(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any]
) -> None:
    event = await make_event()
    path = f"/api/events/{event['id']}"
    assert (await client.get(path)).status_code == 200

    assert (await client.delete(path, headers=organizer["headers"])).status_code == 204

    assert (await client.get(path)).status_code == 404
    listed = (await client.get("/api/events", params={"page_size": 100})).json()["items"]
    assert event["id"] not in [e["id"] for e in listed]
    assert (await client.delete(path, headers=organizer["headers"])).status_code == 404


async def test_delete_is_409_invalid_state_when_places_are_held(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], buyer: Any, hold_of: Any
) -> None:
    event = await make_event()
    await hold_of(event, buyer(), {"seat_ids": ["A-A-1"]})
    response = await client.delete(f"/api/events/{event['id']}", headers=organizer["headers"])
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_state"


async def test_cancel_announces_event_cancelled_and_ends_live_holds(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    buyer: Any,
    settings: Settings,
    announced: Any,
    hold_of: Any,
) -> None:
    event = await make_event()
    owner = buyer()
    hold = await hold_of(event, owner, {"seat_ids": ["A-A-1", "A-A-2"]})
    ga = await hold_of(event, buyer(), {"tier": "floor", "quantity": 2})

    response = await client.post(
        f"/api/events/{event['id']}/cancel",
        json={"reason": "venue flooded"},
        headers=organizer["headers"],
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert all(t["held"] == 0 for t in response.json()["tiers"])
    cancelled = await announced("event.cancelled", event["id"])
    assert cancelled["reason"] == "venue flooded"

    seats = {
        s["seat_id"]: s["status"]
        for s in (await client.get(f"/api/events/{event['id']}/seats")).json()
    }
    assert seats["A-A-1"] == "available"
    gone = await client.get(
        f"/api/events/{event['id']}/holds/{hold['hold_id']}", headers=owner["headers"]
    )
    assert gone.status_code == 404
    claim = await client.post(
        f"/internal/holds/{ga['hold_id']}/claim",
        json={"user_id": str(uuid.uuid4()), "extend_seconds": 60},
        headers=internal_headers(settings),
    )
    assert claim.status_code == 409
    again = await client.post(f"/api/events/{event['id']}/cancel", headers=organizer["headers"])
    assert again.status_code == 409 and again.json()["error"] == "invalid_state"
    held = await client.post(
        f"/api/events/{event['id']}/holds", json={"seat_ids": ["A-A-3"]}, headers=buyer()["headers"]
    )
    assert held.status_code == 409 and held.json()["error"] == "sales_closed"


async def test_mine_lists_the_organizers_events_of_any_status_when_signed_in_as_organizer(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], buyer: Any
) -> None:
    draft = await make_event(publish=False)
    published = await make_event()

    mine = await client.get("/api/events/mine", headers=organizer["headers"])

    assert mine.status_code == 200
    items = {e["id"]: e["status"] for e in mine.json()["items"]}
    assert items == {draft["id"]: "draft", published["id"]: "published"}
    assert (await client.get("/api/events/mine", headers=buyer()["headers"])).status_code == 403


async def test_search_finds_events_by_stemmed_words_and_websearch_syntax(
    client: httpx2.AsyncClient, make_event: Any
) -> None:
    tag = uuid.uuid4().hex[:10]
    jazz = await make_event(title=f"Jazz evenings {tag}", description="Saxophones playing")
    rock = await make_event(title=f"Rock night {tag}", location="Harbour Arena, Oslo")

    async def ids(q: str) -> set[str]:
        response = await client.get("/api/events", params={"q": q, "page_size": 100})
        assert response.status_code == 200, response.text
        return {e["id"] for e in response.json()["items"]}

    assert await ids(f"{tag} saxophone") == {jazz["id"]}  # stemmed, description searched
    assert await ids(f"{tag} harbour") == {rock["id"]}  # location searched
    assert await ids(f"{tag} -jazz") == {rock["id"]}  # websearch negation
    assert await ids(f'"{tag}"') == {jazz["id"], rock["id"]}
    assert await ids("zzqx unknownword") == set()


async def test_listing_filters_sorts_and_pages_when_asked(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any]
) -> None:
    base = datetime.now(UTC) + timedelta(days=400 + (uuid.uuid4().int % 1000))
    made = []
    for days, price in ((1, 900), (2, 100), (3, 500)):
        starts = base + timedelta(days=days)
        made.append(
            await make_event(
                starts_at=starts.isoformat(),
                ends_at=(starts + timedelta(hours=2)).isoformat(),
                tiers=[{"code": "ga", "name": "GA", "price": price, "capacity": 5}],
                seating=[],
            )
        )
    window = {
        "from": base.isoformat(),
        "to": (base + timedelta(days=4)).isoformat(),
        "organizer_id": str(organizer["id"]),
    }

    def ids(response: httpx2.Response) -> list[str]:
        return [e["id"] for e in response.json()["items"]]

    by_start = await client.get("/api/events", params=window)
    by_start_desc = await client.get("/api/events", params=window | {"sort": "-starts_at"})
    by_price = await client.get("/api/events", params=window | {"sort": "price"})
    page_two = await client.get("/api/events", params=window | {"page": 2, "page_size": 2})

    assert ids(by_start) == [e["id"] for e in made]
    assert ids(by_start_desc) == [e["id"] for e in reversed(made)]
    assert ids(by_price) == [made[1]["id"], made[2]["id"], made[0]["id"]]
    assert page_two.json()["total"] == 3 and ids(page_two) == [made[2]["id"]]
    assert by_start.json()["items"][0]["available"] == 5
    bad = await client.get("/api/events", params={"sort": "nope"})
    assert bad.status_code == 422


async def test_listing_shows_live_availability_when_places_are_held_after_caching(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], buyer: Any, hold_of: Any
) -> None:
    event = await make_event()
    params = {"organizer_id": str(organizer["id"])}
    first = (await client.get("/api/events", params=params)).json()["items"]
    assert [e["available"] for e in first] == [30]

    await hold_of(event, buyer(), {"tier": "floor", "quantity": 3})

    again = (await client.get("/api/events", params=params)).json()["items"]
    assert [e["available"] for e in again] == [27]
    renamed = await client.patch(
        f"/api/events/{event['id']}", json={"title": "New name"}, headers=organizer["headers"]
    )
    assert renamed.status_code == 200
    third = (await client.get("/api/events", params=params)).json()["items"]
    assert [e["title"] for e in third] == ["New name"]
