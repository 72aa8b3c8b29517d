"""The hostile probe's findings on events (issue 8): bad input is a 422, never a 500; the time
rules and the 100,000-place cap; the contract's own example; current roles; audit messages;
OpenAPI statuses; health and docs never shadowed."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx2
import pytest

from event_service.settings import Settings
from shared.messaging import Names
from shared.testing.infra import InfraUrls
from shared.testing.tokens import TestSigner

pytestmark = pytest.mark.integration

NUL = "a\u0000b"


def fields(response: httpx2.Response) -> set[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    return {f["field"] for f in body["details"]["fields"]}


def soon(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        # an encoded control character is refused for the whole query string (shared.web)
        ({"q": NUL}, "query"),
        ({"location": NUL}, "query"),
        ({"from": "0001-01-01T00:00:00+14:00"}, "from"),
        ({"to": "9999-12-31T23:59:59-12:00"}, "to"),
        ({"from": "2030-01-01T00:00:00"}, "from"),
    ],
    ids=["nul-q", "nul-location", "from-year-1", "to-year-9999", "from-without-zone"],
)
async def test_listing_is_422_naming_the_parameter_when_it_is_hostile(
    client: httpx2.AsyncClient, params: dict[str, str], field: str
) -> None:
    assert field in fields(await client.get("/api/events", params=params))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": NUL}, "title"),
        ({"description": "line\u0000"}, "description"),
        ({"location": NUL}, "location"),
        ({"ends_at": "9999-12-31T23:59:59-10:00"}, "ends_at"),
        ({"starts_at": "0001-01-01T00:00:00+14:00"}, "starts_at"),
        ({"currency": "ZZZ"}, "currency"),
        (
            {"tiers": [{"code": "vip", "name": "V\u0000", "price": 1, "capacity": 5}]},
            "tiers.0.name",
        ),
    ],
    ids=["title", "description", "location", "ends-9999", "starts-year-1", "zzz", "tier-name"],
)
async def test_create_is_422_naming_the_field_when_input_is_hostile(
    client: httpx2.AsyncClient,
    organizer: dict[str, Any],
    body_of: Callable[..., dict[str, Any]],
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(
        "/api/events", json=body_of(**overrides), headers=organizer["headers"]
    )
    assert any(f.startswith(field) for f in fields(response)), response.text


async def test_patch_is_422_when_location_or_times_are_hostile(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any]
) -> None:
    event = await make_event()
    path, headers = f"/api/events/{event['id']}", organizer["headers"]
    assert "location" in fields(await client.patch(path, json={"location": NUL}, headers=headers))
    far = {"starts_at": "9999-12-31T23:00:00-05:00", "ends_at": "9999-12-31T23:30:00-05:00"}
    assert {"starts_at", "ends_at"} <= fields(await client.patch(path, json=far, headers=headers))


async def test_cancel_with_a_nul_in_its_reason_is_422_and_the_event_stays_published(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any]
) -> None:
    event = await make_event()
    response = await client.post(
        f"/api/events/{event['id']}/cancel", json={"reason": NUL}, headers=organizer["headers"]
    )
    assert "reason" in fields(response)
    assert (await client.get(f"/api/events/{event['id']}")).json()["status"] == "published"
    # a multi-line reason is fine
    response = await client.post(
        f"/api/events/{event['id']}/cancel",
        json={"reason": "Storm warning.\nSorry."},
        headers=organizer["headers"],
    )
    assert response.status_code == 200, response.text


async def test_hold_is_422_when_a_seat_id_carries_a_control_character(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    event = await make_event()
    response = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"seat_ids": ["A-A-1\u0000"]},
        headers=buyer()["headers"],
    )
    assert "seat_ids.0" in fields(response)


# --- time rules and the cap --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_at": soon(days=-2), "ends_at": soon(days=-2, hours=3)}, "starts_at"),
        ({"sales_end_at": soon(days=31)}, "sales_end_at"),
        ({"sales_start_at": soon(days=32)}, "sales_start_at"),
    ],
    ids=["ended-two-days-ago", "sales-window-after-the-end", "sales-start-after-the-end"],
)
async def test_create_is_422_when_a_time_rule_is_broken(
    client: httpx2.AsyncClient,
    organizer: dict[str, Any],
    body_of: Callable[..., dict[str, Any]],
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(
        "/api/events", json=body_of(**overrides), headers=organizer["headers"]
    )
    assert field in fields(response)


async def test_create_accepts_a_sales_window_that_ends_with_the_event(
    client: httpx2.AsyncClient, organizer: dict[str, Any], body_of: Callable[..., dict[str, Any]]
) -> None:
    body = body_of()
    response = await client.post(
        "/api/events", json=body | {"sales_end_at": body["ends_at"]}, headers=organizer["headers"]
    )
    assert response.status_code == 201, response.text


async def test_patch_never_moves_a_published_event_with_holds_into_the_past(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], buyer: Any
) -> None:
    event = await make_event()
    held = await client.post(
        f"/api/events/{event['id']}/holds", json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )
    assert held.status_code == 201, held.text
    path, headers = f"/api/events/{event['id']}", organizer["headers"]
    past = {"starts_at": soon(days=-1), "ends_at": soon(days=-1, hours=2)}
    assert {"starts_at", "ends_at"} <= fields(await client.patch(path, json=past, headers=headers))
    # the merged result is checked too: a sales end after the (unchanged) end of the event
    assert "sales_end_at" in fields(
        await client.patch(path, json={"sales_end_at": soon(days=40)}, headers=headers)
    )
    # and a move to a later date is fine
    later = {"starts_at": soon(days=60), "ends_at": soon(days=60, hours=2)}
    response = await client.patch(path, json=later, headers=headers)
    assert response.status_code == 200, response.text


async def test_general_admission_counts_towards_the_100k_cap_when_tiers_add_up(
    client: httpx2.AsyncClient, organizer: dict[str, Any], body_of: Callable[..., dict[str, Any]]
) -> None:
    tiers = [{"code": f"ga{i}", "name": "GA", "price": 100, "capacity": 100_000} for i in range(50)]
    response = await client.post(
        "/api/events", json=body_of(tiers=tiers, seating=[]), headers=organizer["headers"]
    )
    assert fields(response) == {"tiers"}
    huge = [{"code": "ga", "name": "GA", "price": 100, "capacity": 1_000_000}]
    response = await client.post(
        "/api/events", json=body_of(tiers=huge, seating=[]), headers=organizer["headers"]
    )
    assert "tiers.0.capacity" in fields(response)
    # 20 seats + 99,980 standing = exactly 100,000 places
    body = body_of()
    body["tiers"][2]["capacity"] = 99_980
    response = await client.post("/api/events", json=body, headers=organizer["headers"])
    assert response.status_code == 201, response.text
    assert response.json()["capacity"] == 100_000


async def test_the_contracts_own_create_example_is_accepted_with_an_empty_tier(
    client: httpx2.AsyncClient, organizer: dict[str, Any]
) -> None:
    """API.md, "Create body", as written there — only the times filled in (in the future)."""
    starts = datetime.now(UTC) + timedelta(days=20)
    times = {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "sales_start_at": (starts - timedelta(days=10)).isoformat(),
        "sales_end_at": (starts - timedelta(hours=1)).isoformat(),
    }
    example = {
        **{"title": "…", "description": "…", "location": "…"},
        **{"starts_at": times["starts_at"], "ends_at": times["ends_at"]},
        "currency": "USD",
        **{"sales_start_at": times["sales_start_at"], "sales_end_at": times["sales_end_at"]},
        **{"max_tickets_per_order": 10, "max_tickets_per_buyer": 10},
        "tiers": [
            {"code": "standard", "name": "Standard", "price": 2500},
            {"code": "vip", "name": "VIP", "price": 8000},
            {"code": "vvip", "name": "VVIP", "price": 20000},
            {"code": "floor", "name": "Floor (standing)", "price": 3000, "capacity": 500},
        ],
        "seating": [
            {"section": "A", "tier": "vip", "rows": ["A", "B"], "seats_per_row": 20},
            {"section": "B", "tier": "standard", "rows": ["C", "D", "E"], "seats_per_row": 30},
        ],
    }
    response = await client.post("/api/events", json=example, headers=organizer["headers"])

    assert response.status_code == 201, response.text
    tiers = {t["code"]: (t["general_admission"], t["capacity"]) for t in response.json()["tiers"]}
    assert tiers == {
        "standard": (False, 90),
        "vip": (False, 40),
        "vvip": (False, 0),
        "floor": (True, 500),
    }
    assert response.json()["capacity"] == 630


async def test_best_available_in_a_tier_without_seats_is_409_when_it_has_no_places_yet(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    tiers = [
        {"code": "vip", "name": "VIP", "price": 8000},
        {"code": "vvip", "name": "VVIP", "price": 20000},
    ]
    seating = [{"section": "A", "tier": "vip", "rows": ["A"], "seats_per_row": 4}]
    event = await make_event(tiers=tiers, seating=seating)
    response = await client.post(
        f"/api/events/{event['id']}/holds",
        json={"tier": "vvip", "quantity": 1, "best_available": True},
        headers=buyer()["headers"],
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "seats_unavailable"


# --- roles ---------------------------------------------------------------------------------


async def test_a_demoted_organizer_cannot_manage_their_own_event_with_a_customer_token(
    client: httpx2.AsyncClient, make_event: Any, organizer: dict[str, Any], signer: TestSigner
) -> None:
    draft = await make_event(publish=False)
    demoted = signer.headers(user_id=organizer["id"], role="customer")
    path = f"/api/events/{draft['id']}"
    calls = [
        ("POST", f"{path}/publish", None),
        ("PATCH", path, {"title": "Mine still?"}),
        ("POST", f"{path}/cancel", {"reason": "no"}),
        ("DELETE", path, None),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=demoted)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["error"] == "forbidden"
    detail = await client.get(path, headers=organizer["headers"])
    assert (detail.json()["status"], detail.json()["title"]) == ("draft", draft["title"])
    # the same user with an organizer token again may
    response = await client.post(f"{path}/publish", headers=organizer["headers"])
    assert response.status_code == 200, response.text


# --- audit messages ----------------------------------------------------------------------------


@pytest.fixture
async def audit(infra: InfraUrls, event_settings: Settings) -> AsyncIterator[Any]:
    """``await audit(routing_key, event_id)`` → the data of that message once it was published."""
    connection = await aio_pika.connect(infra.amqp)
    channel = await connection.channel()
    exchange = await channel.get_exchange(Names(event_settings.MESSAGING_NAMESPACE).exchange)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    for key in ("event.created", "event.published", "event.cancelled", "event.deleted"):
        await queue.bind(exchange, routing_key=key)
    seen: list[tuple[str, dict[str, Any]]] = []

    async def wait(routing_key: str, event_id: str) -> dict[str, Any]:
        for _ in range(200):
            for key, data in seen:
                if key == routing_key and data["event_id"] == event_id:
                    return data
            message = await queue.get(fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            payload = json.loads(message.body)
            seen.append((message.routing_key or "", payload["data"]))
        raise AssertionError(f"{routing_key} for {event_id} never arrived")

    yield wait
    await queue.delete()
    await connection.close()


async def test_event_actions_are_announced_with_their_actor_when_organizer_or_admin_acts(
    client: httpx2.AsyncClient,
    make_event: Any,
    organizer: dict[str, Any],
    signer: TestSigner,
    audit: Any,
) -> None:
    admin_id = uuid.uuid4()
    admin = signer.headers(user_id=admin_id, role="admin")
    event = await make_event(publish=False)
    created = await audit("event.created", event["id"])
    assert created["actor_id"] == created["organizer_id"] == str(organizer["id"])
    assert created["title"] == event["title"]

    assert (await client.post(f"/api/events/{event['id']}/publish", headers=admin)).is_success
    published = await audit("event.published", event["id"])
    assert (published["actor_id"], published["organizer_id"]) == (
        str(admin_id),
        str(organizer["id"]),
    )

    cancel = await client.post(
        f"/api/events/{event['id']}/cancel", json={"reason": "r"}, headers=organizer["headers"]
    )
    assert cancel.status_code == 200, cancel.text
    cancelled = await audit("event.cancelled", event["id"])
    assert (cancelled["actor_id"], cancelled["reason"]) == (str(organizer["id"]), "r")

    doomed = await make_event(publish=False)
    response = await client.delete(f"/api/events/{doomed['id']}", headers=admin)
    assert response.status_code == 204, response.text
    deleted = await audit("event.deleted", doomed["id"])
    assert (deleted["actor_id"], deleted["organizer_id"]) == (str(admin_id), str(organizer["id"]))
    assert deleted["title"] == doomed["title"]


# --- OpenAPI, health and docs --------------------------------------------------------------


async def test_health_docs_and_openapi_answer_200_under_the_public_prefix(
    client: httpx2.AsyncClient,
) -> None:
    for path in ("/api/events/health", "/api/events/docs", "/api/events/openapi.json"):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)


async def test_openapi_documents_the_statuses_each_operation_answers(
    client: httpx2.AsyncClient,
) -> None:
    paths = (await client.get("/api/events/openapi.json")).json()["paths"]

    def statuses(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    holds = statuses("/api/events/{event_id}/holds", "post")
    assert {"201", "401", "403", "404", "409", "413", "422", "429"} <= holds
    for path, method in [
        ("/api/events/{event_id}", "patch"),
        ("/api/events/{event_id}", "delete"),
        ("/api/events/{event_id}/publish", "post"),
        ("/api/events/{event_id}/cancel", "post"),
    ]:
        assert {"401", "403", "404", "409", "422"} <= statuses(path, method), (path, method)
    assert {"401", "404"} <= statuses("/api/events/{event_id}", "get")
    assert {"304", "401", "404"} <= statuses("/api/events/{event_id}/seats", "get")
    assert {"401", "403", "422"} <= statuses("/api/events", "post")
    assert "422" in statuses("/api/events", "get")
    assert paths["/api/events/{event_id}"]["delete"]["responses"]["204"]["content"] == {}
    assert {"401", "409"} <= statuses("/internal/holds/retake", "post")
    assert {"401", "403", "409"} <= statuses("/internal/holds/{hold_id}/claim", "post")
