"""Hardening (issue 8), event side, through the real gateway.

Hostile query parameters and bodies are 422s (never 500s); events in the past, sales windows
after the event and general-admission capacity past the 100,000-place cap are refused; the
contract's own create example is accepted; a demoted organizer's new token cannot manage their
own event; the per-event hold rules (verified email, live holds per client address, the
cool-down after a lapsed hold); best available on a 100,000-seat tier. Every actor has its own
loopback address — the gateway's real per-IP limit stays on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from devstack.stack import RunningStack
from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    PASSWORD,
    Stage,
    fresh_address,
    future,
    login,
    promote_to_organizer,
    published_event,
    stage,
    update_user,
    verify_email,
)
from tests.e2e.api_client import event_body as base_event_body

pytestmark = pytest.mark.e2e

NUL = "a\u0000b"
VIP = {"code": "vip", "name": "VIP", "price": 8000}
FLOOR = {"code": "floor", "name": "Floor", "price": 3000, "capacity": 50}


def event_body(**overrides: Any) -> dict[str, Any]:
    """Seated VIP rows A and B (10 each) and a 50-place standing floor; any field overridden."""
    return base_event_body(rows=["A", "B"], **({"tiers": [VIP, FLOOR]} | overrides))


def field_names(response: httpx2.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    return {f["field"] for f in response.json()["details"]["fields"]}


@pytest.fixture(scope="module")
async def scene(stack: RunningStack, admin_credentials: tuple[str, str]) -> AsyncIterator[Stage]:
    async with stage(stack.gateway_url, admin_credentials, organizer="olivia", rows=None) as made:
        yield made


async def _published(scene: Stage, **overrides: Any) -> dict[str, Any]:
    """An event of the scene's organizer on sale: ``event_body(**overrides)``."""
    return await published_event(scene.organizer, event_body(**overrides))


# --- bad input is a 422 ------------------------------------------------------------------------


async def test_public_listing_is_422_when_a_parameter_carries_a_nul_or_an_impossible_time(
    scene: Stage,
) -> None:
    anonymous = scene.cast.actor()
    for params in ({"q": NUL}, {"location": NUL}):
        response = await anonymous.get("/api/events", params=params)
        assert field_names(response) == {"query"}, params  # the whole query string is refused
    for name, value in (("from", "0001-01-01T00:00:00+14:00"), ("to", "9999-12-31T23:59:59-12:00")):
        response = await anonymous.get("/api/events", params={name: value})
        assert field_names(response) == {name}
    assert (await anonymous.get("/api/events", params={"q": "jazz"})).status_code == 200


async def test_create_is_422_when_the_event_is_past_its_window_late_or_too_big(
    scene: Stage,
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"starts_at": future(days=-2), "ends_at": future(days=-2, hours=2)}, "starts_at"),
        ({"sales_end_at": future(days=31)}, "sales_end_at"),
        ({"sales_start_at": future(days=40)}, "sales_start_at"),
        ({"currency": "ZZZ"}, "currency"),
        ({"title": NUL}, "title"),
        (
            {
                "tiers": [
                    {"code": f"ga{i}", "name": "GA", "price": 100, "capacity": 100_000}
                    for i in range(50)
                ],
                "seating": [],
            },
            "tiers",
        ),
    ]
    for overrides, field in cases:
        response = await scene.organizer.post("/api/events", json=event_body(**overrides))
        assert field in field_names(response), (field, response.text)


async def test_the_contracts_own_create_example_is_accepted_with_a_tier_of_no_places(
    scene: Stage,
) -> None:
    """API.md, "Create body", as written there; only the times filled in (in the future)."""
    starts = datetime.now(UTC) + timedelta(days=20)
    example = {
        "title": "…",
        "description": "…",
        "location": "…",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "currency": "USD",
        "sales_start_at": (starts - timedelta(days=10)).isoformat(),
        "sales_end_at": (starts - timedelta(hours=1)).isoformat(),
        "max_tickets_per_order": 10,
        "max_tickets_per_buyer": 10,
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
    response = await scene.organizer.post("/api/events", json=example)

    assert response.status_code == 201, response.text
    capacity = {t["code"]: t["capacity"] for t in response.json()["tiers"]}
    assert capacity == {"standard": 90, "vip": 40, "vvip": 0, "floor": 500}


async def test_a_demoted_organizer_cannot_manage_their_own_event_with_the_new_token(
    scene: Stage,
) -> None:
    former = await scene.cast.person("dora")
    await promote_to_organizer(scene.admin, former)
    created = await former.post("/api/events", json=event_body())
    assert created.status_code == 201, created.text
    event = created.json()

    await update_user(scene.admin, former, role="customer")
    await login(former, former.email, PASSWORD)

    path = f"/api/events/{event['id']}"
    for method, url, body in [
        ("POST", f"{path}/publish", None),
        ("PATCH", path, {"title": "Still mine?"}),
        ("POST", f"{path}/cancel", {"reason": "no"}),
        ("DELETE", path, None),
    ]:
        response = await former.call(method, url, json=body)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["error"] == "forbidden"
    detail = await scene.admin.get(path)
    assert (detail.json()["status"], detail.json()["title"]) == ("draft", event["title"])


# --- hold rules --------------------------------------------------------------------------------


async def test_hold_is_403_email_not_verified_when_the_event_requires_a_verified_email(
    scene: Stage, mailbox: Any
) -> None:
    event = await _published(scene, hold_rules={"verified_email_required": True})
    detail = await scene.organizer.get(f"/api/events/{event['id']}")
    assert detail.json()["hold_rules"]["verified_email_required"] is True
    path = f"/api/events/{event['id']}/holds"
    unverified, verified = await scene.cast.person("uma"), await scene.cast.person("vera")
    await verify_email(verified, mailbox)

    refused = await unverified.post(path, json={"seat_ids": ["A-A-1"]})
    held = await verified.post(path, json={"seat_ids": ["A-A-1"]})

    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "email_not_verified"
    assert held.status_code == 201, held.text


async def test_live_holds_per_client_address_are_capped_when_the_event_sets_a_cap(
    scene: Stage,
) -> None:
    event = await _published(scene, hold_rules={"max_live_holds_per_address": 2})
    path = f"/api/events/{event['id']}/holds"
    buyers = [await scene.cast.person(name) for name in ("ann", "ben", "cid")]
    shared_address = fresh_address()  # one NAT, three people behind it
    behind_nat = [scene.cast.beside(b, shared_address) for b in buyers]

    first = await behind_nat[0].post(path, json={"seat_ids": ["A-A-1"]})
    second = await behind_nat[1].post(path, json={"tier": "floor", "quantity": 2})
    third = await behind_nat[2].post(path, json={"seat_ids": ["A-A-3"]})

    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert third.status_code == 409, third.text
    assert third.json()["error"] == "limit_exceeded"
    assert third.json()["details"]["max_live_holds_per_address"] == 2
    assert third.json()["details"]["current"] == 2
    elsewhere = await buyers[2].post(path, json={"seat_ids": ["A-A-3"]})  # their own address
    assert elsewhere.status_code == 201, elsewhere.text
    released = await behind_nat[0].call("DELETE", f"{path}/{first.json()['hold_id']}")
    assert released.status_code == 204
    again = await behind_nat[2].post(path, json={"seat_ids": ["A-A-4"]})
    assert again.status_code == 201, again.text


async def test_best_available_on_a_100k_seat_tier_takes_the_front_row_and_refuses_over_limit(
    scene: Stage,
) -> None:
    hall = {
        "tiers": [{"code": "hall", "name": "Hall", "price": 1000}],
        "seating": [
            {
                "section": "H",
                "tier": "hall",
                "rows": [f"R{n}" for n in range(1, 101)],
                "seats_per_row": 1000,
            }
        ],
        "max_tickets_per_buyer": 4,
    }
    event = await _published(scene, **hall)
    assert event["capacity"] == 100_000
    path = f"/api/events/{event['id']}/holds"
    me, you = await scene.cast.person("max"), await scene.cast.person("mia")
    best = {"tier": "hall", "best_available": True}

    mine = await me.post(path, json=best | {"quantity": 4})
    yours = await you.post(path, json=best | {"quantity": 2})
    over = await me.post(path, json=best | {"quantity": 1})

    assert mine.status_code == 201, mine.text
    assert [s["seat_id"] for s in mine.json()["seats"]] == [f"H-R1-{n}" for n in range(1, 5)]
    assert [s["seat_id"] for s in yours.json()["seats"]] == ["H-R1-5", "H-R1-6"]
    assert over.status_code == 409, over.text
    assert (over.json()["error"], over.json()["details"]["current"]) == ("limit_exceeded", 4)


async def test_health_docs_and_openapi_of_events_answer_200_through_the_gateway(
    scene: Stage,
) -> None:
    anonymous = scene.cast.actor()
    for path in ("/api/events/health", "/api/events/docs", "/api/events/openapi.json"):
        response = await anonymous.get(path)
        assert response.status_code == 200, (path, response.text)


# --- the cool-down after a lapsed hold: a stack whose holds live two seconds -----------------

HOLD_TTL_SECONDS = 2
COOLDOWN_SECONDS = 3


@pytest.fixture(scope="module")
def short_hold_stack(launch: Any) -> Iterator[RunningStack]:
    event_env = {"HOLD_TTL_SECONDS": str(HOLD_TTL_SECONDS)}
    with launch("evh", services=("auth", "event"), service_env={"event": event_env}) as running:
        yield running


@pytest.fixture(scope="module")
async def short_scene(
    short_hold_stack: RunningStack, admin_credentials: tuple[str, str]
) -> AsyncIterator[Stage]:
    async with stage(
        short_hold_stack.gateway_url, admin_credentials, organizer="olivia", rows=None
    ) as made:
        yield made


async def test_a_buyer_who_let_a_hold_lapse_waits_out_the_cooldown_before_holding_again(
    short_scene: Stage,
) -> None:
    event = await _published(short_scene, hold_rules={"rehold_cooldown_seconds": COOLDOWN_SECONDS})
    path = f"/api/events/{event['id']}/holds"
    lapser = await short_scene.cast.person("lapse")
    held = await lapser.post(path, json={"seat_ids": ["A-A-1"]})
    assert held.status_code == 201, held.text

    async def hold_state() -> int:
        return (await lapser.once("GET", f"{path}/{held.json()['hold_id']}")).status_code

    await eventually(hold_state, until=lambda s: s == 404, timeout=10, what="the hold lapsed")
    # one request each: Actor.call would wait out any 429 by itself
    refused = await lapser.once("POST", path, json={"seat_ids": ["A-A-2"]})
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "rate_limited"
    assert refused.json()["details"]["rehold_cooldown_seconds"] == COOLDOWN_SECONDS
    assert 1 <= int(refused.headers["retry-after"]) <= COOLDOWN_SECONDS

    other = await short_scene.cast.person("other")
    assert (await other.post(path, json={"seat_ids": ["A-A-2"]})).status_code == 201

    async def hold_again() -> int:
        response = await lapser.once("POST", path, json={"seat_ids": ["A-A-3"]})
        return response.status_code

    assert await eventually(hold_again, until=lambda s: s == 201, timeout=10) == 201


async def test_a_released_hold_starts_no_cooldown(short_scene: Stage) -> None:
    event = await _published(short_scene, hold_rules={"rehold_cooldown_seconds": 600})
    path = f"/api/events/{event['id']}/holds"
    buyer = await short_scene.cast.person("rel")
    held = await buyer.post(path, json={"seat_ids": ["A-A-1"]})
    assert held.status_code == 201, held.text
    released = await buyer.call("DELETE", f"{path}/{held.json()['hold_id']}")
    assert released.status_code == 204
    again = await buyer.once("POST", path, json={"seat_ids": ["A-A-1"]})
    assert again.status_code == 201, again.text
