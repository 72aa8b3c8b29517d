"""Input rules: hostile input is a 422 naming the field, never a 500 nor a half-done change; the
time rules and the 100,000-place cap; the contract's own example is accepted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

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
