"""Creating, publishing, reading and listing events; the seat map and its ETag."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from shared.testing.tokens import TestSigner

pytestmark = pytest.mark.integration


async def test_create_answers_201_draft_with_tiers_when_organizer_posts_valid_body(
    client: httpx2.AsyncClient, organizer: dict[str, Any], body_of: Callable[..., dict[str, Any]]
) -> None:
    response = await client.post("/api/events", json=body_of(), headers=organizer["headers"])

    assert response.status_code == 201, response.text
    event = response.json()
    assert event["status"] == "draft"
    assert event["organizer_id"] == str(organizer["id"])
    tiers = {t["code"]: t for t in event["tiers"]}
    assert tiers["vip"] == {
        "code": "vip",
        "name": "VIP",
        "price": 8000,
        "general_admission": False,
        "capacity": 10,
        "available": 10,
        "held": 0,
        "sold": 0,
    }
    assert tiers["floor"]["general_admission"] is True
    assert tiers["floor"]["capacity"] == 10
    assert event["capacity"] == 30 and event["available"] == 30


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2020-01-01T00:00:00+00:00"}, "ends_at"),
        ({"currency": "usd"}, "currency"),
        (
            {"tiers": [{"code": "vip", "name": "VIP", "price": -1}]},
            "tiers.0.price",
        ),
        (
            {
                "tiers": [{"code": "vip", "name": "VIP", "price": 1}],
                "seating": [{"section": "A", "tier": "nope", "rows": ["A"], "seats_per_row": 2}],
            },
            "seating.0.tier",
        ),
        (
            {
                "tiers": [
                    {"code": "vip", "name": "VIP", "price": 1},
                    {"code": "floor", "name": "Floor", "price": 1, "capacity": 5},
                ],
                "seating": [
                    {"section": "A", "tier": "vip", "rows": ["A"], "seats_per_row": 2},
                    {"section": "B", "tier": "floor", "rows": ["A"], "seats_per_row": 2},
                ],
            },
            "seating.1.tier",
        ),
        (
            {
                "tiers": [
                    {"code": "vip", "name": "VIP", "price": 1, "capacity": 3},
                    {"code": "vip", "name": "VIP 2", "price": 1, "capacity": 3},
                ],
                "seating": [],
            },
            "tiers.1.code",
        ),
        (
            {
                "tiers": [{"code": "vip", "name": "VIP", "price": 1}],
                "seating": [
                    {"section": "A", "tier": "vip", "rows": ["A", "B"], "seats_per_row": 10_000},
                    {"section": "B", "tier": "vip", "rows": ["A"], "seats_per_row": 10_000},
                    {
                        "section": "C",
                        "tier": "vip",
                        "rows": [str(i) for i in range(9)],
                        "seats_per_row": 10_000,
                    },
                ],
            },
            "seating",
        ),
    ],
    ids=[
        "ends-before-start",
        "currency-lowercase",
        "negative-price",
        "unknown-seating-tier",
        "seats-for-ga-tier",
        "duplicate-tier-code",
        "over-100k-seats",
    ],
)
async def test_create_is_422_when_a_rule_is_broken(
    client: httpx2.AsyncClient,
    organizer: dict[str, Any],
    body_of: Callable[..., dict[str, Any]],
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(
        "/api/events", json=body_of(**overrides), headers=organizer["headers"]
    )

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert field in {f["field"] for f in body["details"]["fields"]}


async def test_create_is_403_when_caller_is_a_customer(
    client: httpx2.AsyncClient, signer: TestSigner, body_of: Callable[..., dict[str, Any]]
) -> None:
    response = await client.post(
        "/api/events", json=body_of(), headers=signer.headers(role="customer")
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


async def test_create_is_401_when_no_token(
    client: httpx2.AsyncClient, body_of: Callable[..., dict[str, Any]]
) -> None:
    response = await client.post("/api/events", json=body_of())
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_draft_is_404_when_caller_is_anonymous_or_another_organizer(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    signer: TestSigner,
) -> None:
    event = await make_event(publish=False)
    path = f"/api/events/{event['id']}"

    assert (await client.get(path)).status_code == 404
    other = signer.headers(role="organizer")
    assert (await client.get(path, headers=other)).json()["error"] == "not_found"
    assert (await client.get(f"{path}/seats")).status_code == 404
    assert (await client.post(f"{path}/publish", headers=other)).status_code == 404
    assert (await client.get(path, headers=organizer["headers"])).status_code == 200
    assert (await client.get(path, headers=signer.headers(role="admin"))).status_code == 200


async def test_unknown_event_is_404(client: httpx2.AsyncClient) -> None:
    response = await client.get(f"/api/events/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_publish_lists_the_event_and_announces_event_published(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], announced: Any
) -> None:
    title = f"Publish test {uuid.uuid4().hex[:8]}"
    draft = await make_event(publish=False, title=title)

    response = await client.post(f"/api/events/{draft['id']}/publish", headers=organizer["headers"])

    assert response.status_code == 200
    assert response.json()["status"] == "published"
    published = await announced("event.published", draft["id"])
    assert published["title"] == title
    assert published["organizer_id"] == str(organizer["id"])

    listed = (await client.get("/api/events", params={"q": title})).json()
    assert [e["id"] for e in listed["items"]] == [draft["id"]]
    assert listed["total"] == 1
    assert listed["items"][0]["available"] == 30


async def test_publish_is_409_invalid_state_when_already_published(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any]
) -> None:
    event = await make_event()
    response = await client.post(f"/api/events/{event['id']}/publish", headers=organizer["headers"])
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_state"


async def test_publish_is_403_when_another_organizer_tries_a_published_event(
    client: httpx2.AsyncClient, make_event: Any, signer: TestSigner
) -> None:
    event = await make_event()
    response = await client.post(
        f"/api/events/{event['id']}/publish", headers=signer.headers(role="organizer")
    )
    assert response.status_code == 403


async def test_list_hides_drafts_and_filters_by_q_when_searching(
    client: httpx2.AsyncClient, make_event: Any
) -> None:
    word = uuid.uuid4().hex[:10]
    published = await make_event(title=f"Jazz {word}")
    await make_event(publish=False, title=f"Jazz {word} draft")
    await make_event(description=f"Rock night {word}")

    jazz = (await client.get("/api/events", params={"q": f"jazz {word}"})).json()
    assert [e["id"] for e in jazz["items"]] == [published["id"]]
    both = (await client.get("/api/events", params={"q": word, "page_size": 1})).json()
    assert both["total"] == 2 and len(both["items"]) == 1 and both["page_size"] == 1


async def test_list_is_422_when_sort_is_unknown(client: httpx2.AsyncClient) -> None:
    response = await client.get("/api/events", params={"sort": "sideways"})
    assert response.status_code == 422


async def test_mine_lists_the_callers_events_in_any_status(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], signer: TestSigner
) -> None:
    draft = await make_event(publish=False)
    live = await make_event()

    mine = (await client.get("/api/events/mine", headers=organizer["headers"])).json()
    assert {e["id"] for e in mine["items"]} == {draft["id"], live["id"]}
    assert {e["status"] for e in mine["items"]} == {"draft", "published"}
    others = await client.get("/api/events/mine", headers=signer.headers(role="organizer"))
    assert others.json()["total"] == 0
    customer = await client.get("/api/events/mine", headers=signer.headers(role="customer"))
    assert customer.status_code == 403


async def test_seat_map_lists_every_seat_with_etag_and_304_when_unchanged(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    path = f"/api/events/{event['id']}/seats"

    first = await client.get(path)
    assert first.status_code == 200
    seats = first.json()
    assert len(seats) == 20
    assert seats[0] == {
        "seat_id": "A-A-1",
        "section": "A",
        "row": "A",
        "number": 1,
        "tier": "vip",
        "price": 8000,
        "status": "available",
    }
    etag = first.headers["etag"]
    assert etag.startswith('W/"')

    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag

    held = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"seat_ids": ["B-C-2"]},
        headers=buyer()["headers"],
    )
    assert held.status_code == 201
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    statuses = {s["seat_id"]: s["status"] for s in changed.json()}
    assert statuses["B-C-2"] == "held" and statuses["B-C-3"] == "available"


async def test_detail_counts_held_places_per_tier_when_seats_are_held(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    hold = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"seat_ids": ["A-A-1", "A-A-2"]},
        headers=buyer()["headers"],
    )
    assert hold.status_code == 201

    detail = (await client.get(f"/api/events/{event['id']}")).json()
    vip = next(t for t in detail["tiers"] if t["code"] == "vip")
    assert (vip["capacity"], vip["held"], vip["sold"], vip["available"]) == (10, 2, 0, 8)
    assert detail["available"] == 28
