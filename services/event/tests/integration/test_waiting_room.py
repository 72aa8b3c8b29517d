"""The waiting room (API.md "On-sale protection"): places fixed on joining, a draw for who came
before the sales start, admission in place order at the configured rate (paused while the room
is full), and holds that need the caller's own, unexpired admission while the room is on.

Time is the service's clock, moved by the tests; admissions are handed out lazily by whatever
call comes next, so a test reads the line after moving the clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from prometheus_client import REGISTRY

from event_service.clock import Clock
from event_service.context import Context
from shared.runtime import Runtime

pytestmark = pytest.mark.integration

EVERY = 10  # seconds between two admissions at 6 a minute


def _room(**overrides: Any) -> dict[str, Any]:
    return {"enabled": True, "admit_per_minute": 6, **overrides}


# the test buyers' tokens do not say their email is verified, which a room requires by default
ANYONE = {"verified_email_required": False}


async def _on_sale_with_room(make_event: Any, clock: Clock, **room: Any) -> dict[str, Any]:
    """An event whose sale opens in a minute (its room opens at once), then the clock moved to
    the sales start: later joiners queue in arrival order."""
    start = datetime.now(UTC) + timedelta(minutes=1)
    event = await make_event(
        sales_start_at=start.isoformat(),
        waiting_room=_room(opens_before_sale_seconds=0, **room),
        hold_rules=ANYONE,
    )
    clock.advance(timedelta(minutes=1, seconds=1))
    return event


def _queue(event: dict[str, Any]) -> str:
    return f"/api/events/{event['id']}/queue"


async def _join(client: httpx2.AsyncClient, event: dict[str, Any], who: dict[str, Any]) -> Any:
    return await client.post(_queue(event), headers=who["headers"])


async def _me(client: httpx2.AsyncClient, event: dict[str, Any], who: dict[str, Any]) -> Any:
    response = await client.get(f"{_queue(event)}/me", headers=who["headers"])
    assert response.status_code == 200, response.text
    return response.json()


async def test_join_is_201_then_200_with_the_same_place_and_later_joiners_queue_behind(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, clock: Clock
) -> None:
    event = await _on_sale_with_room(make_event, clock)
    first, second = buyer(), buyer()

    joined = await _join(client, event, first)
    again = await _join(client, event, first)
    behind = await _join(client, event, second)

    assert (joined.status_code, again.status_code, behind.status_code) == (201, 200, 201)
    assert joined.json()["state"] == "waiting" and joined.json()["position"] == 1
    assert joined.json()["ahead"] == 0 and joined.json()["event_id"] == event["id"]
    assert again.json() == joined.json()
    assert (behind.json()["position"], behind.json()["ahead"]) == (2, 1)
    assert behind.json()["estimated_wait_seconds"] == EVERY
    assert (await _me(client, event, second))["position"] == 2
    assert "admission_token" not in behind.json() or behind.json()["admission_token"] is None


async def test_join_is_409_when_the_event_has_no_room_or_the_room_is_not_open_yet(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any
) -> None:
    plain = await make_event()
    later = await make_event(
        sales_start_at=(datetime.now(UTC) + timedelta(hours=2)).isoformat(),
        waiting_room=_room(opens_before_sale_seconds=900),
    )

    off = await _join(client, plain, buyer())
    early = await _join(client, later, buyer())
    absent = await client.get(f"{_queue(plain)}/me", headers=buyer()["headers"])
    unknown = await client.post(f"/api/events/{uuid.uuid4()}/queue", headers=buyer()["headers"])

    assert (off.status_code, off.json()["error"]) == (409, "waiting_room_disabled")
    assert (early.status_code, early.json()["error"]) == (409, "sales_closed")
    assert (absent.status_code, absent.json()["error"]) == (409, "waiting_room_disabled")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    assert (await client.post(_queue(plain))).status_code == 401


async def test_prequeue_joiners_get_their_places_by_a_draw_at_the_sales_start(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, clock: Clock
) -> None:
    start = datetime.now(UTC) + timedelta(minutes=5)
    event = await make_event(
        sales_start_at=start.isoformat(), waiting_room=_room(opens_before_sale_seconds=900)
    )
    early = [buyer() for _ in range(8)]

    for who in early:
        waiting = await _join(client, event, who)
        assert waiting.status_code == 201, waiting.text
        assert (waiting.json()["state"], waiting.json()["position"]) == ("prequeue", None)
        assert 240 < waiting.json()["estimated_wait_seconds"] <= 300
    clock.advance(timedelta(minutes=5, seconds=1))
    late = await _join(client, event, buyer())

    places = [(await _me(client, event, who))["position"] for who in early]
    assert sorted(places) == list(range(1, 9))  # everyone placed, each once
    assert late.json()["position"] == 9  # after every early joiner
    assert [(await _me(client, event, who))["state"] for who in early] == ["waiting"] * 8


async def test_admission_follows_the_places_at_the_rate_and_a_hold_needs_it(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, clock: Clock, holds_path: Any
) -> None:
    event = await _on_sale_with_room(make_event, clock)
    people = [buyer() for _ in range(3)]
    for who in people:
        assert (await _join(client, event, who)).status_code == 201
    refused = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=people[0]["headers"]
    )

    clock.advance(timedelta(seconds=EVERY))
    states = [(await _me(client, event, who))["state"] for who in people]
    clock.advance(timedelta(seconds=EVERY))
    later = [await _me(client, event, who) for who in people]

    assert (refused.status_code, refused.json()["error"]) == (403, "admission_required")
    assert states == ["admitted", "waiting", "waiting"]
    assert [e["state"] for e in later] == ["admitted", "admitted", "waiting"]
    assert later[2]["ahead"] == 0
    first = later[0]
    assert first["admission_token"] and first["admission_expires_at"]
    expires = datetime.fromisoformat(first["admission_expires_at"])
    # handed out by the read one admission interval ago, for ADMISSION_TOKEN_SECONDS (600)
    assert timedelta(seconds=600 - EVERY - 1) < expires - clock.now() <= timedelta(seconds=600)

    held = await client.post(
        holds_path(event),
        json={"seat_ids": ["A-A-1"]},
        headers={**people[0]["headers"], "X-Admission-Token": first["admission_token"]},
    )
    assert held.status_code == 201, held.text


async def test_hold_is_403_with_someone_elses_another_events_a_forged_or_an_expired_admission(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, clock: Clock, holds_path: Any
) -> None:
    event = await _on_sale_with_room(make_event, clock)
    other = await make_event(waiting_room=_room(), hold_rules=ANYONE)
    owner, stranger = buyer(), buyer()
    await _join(client, event, owner)
    await _join(client, other, owner)
    clock.advance(timedelta(seconds=EVERY))
    token = (await _me(client, event, owner))["admission_token"]
    assert token

    def hold(where: dict[str, Any], who: dict[str, Any], admission: str) -> Any:
        headers = {**who["headers"], "X-Admission-Token": admission}
        return client.post(holds_path(where), json={"seat_ids": ["B-C-1"]}, headers=headers)

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    later_expiry = token.split(".")
    later_expiry[3] = str(int(later_expiry[3]) + 3_600_000)
    answers = [
        await hold(event, stranger, token),  # another user's
        await hold(other, owner, token),  # another event's
        await hold(event, owner, forged),
        await hold(event, owner, ".".join(later_expiry)),  # expiry moved: signature breaks
        await hold(event, owner, "garbage"),
    ]
    clock.advance(timedelta(seconds=601))
    expired = await hold(event, owner, token)

    for answer in [*answers, expired]:
        assert (answer.status_code, answer.json()["error"]) == (403, "admission_required")


async def test_admission_pauses_while_max_active_admissions_are_live(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, clock: Clock
) -> None:
    event = await _on_sale_with_room(make_event, clock, max_active=1)
    first, second = buyer(), buyer()
    await _join(client, event, first)
    await _join(client, event, second)

    clock.advance(timedelta(seconds=EVERY))
    assert (await _me(client, event, first))["state"] == "admitted"
    clock.advance(timedelta(seconds=5 * EVERY))
    assert (await _me(client, event, second))["state"] == "waiting"  # the room is full
    clock.advance(timedelta(seconds=500))  # the first admission (600 s) is still live
    assert (await _me(client, event, second))["state"] == "waiting"
    clock.advance(timedelta(seconds=60))  # now it lapsed: a place is free
    assert (await _me(client, event, second))["state"] == "admitted"


async def test_leaving_frees_the_place_and_a_later_join_queues_at_the_back(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, clock: Clock
) -> None:
    event = await _on_sale_with_room(make_event, clock)
    first, second = buyer(), buyer()
    await _join(client, event, first)
    await _join(client, event, second)

    left = await client.delete(f"{_queue(event)}/me", headers=first["headers"])
    gone = await client.get(f"{_queue(event)}/me", headers=first["headers"])
    behind = await _me(client, event, second)
    back = await _join(client, event, first)

    assert left.status_code == 204
    assert (gone.status_code, gone.json()["error"]) == (404, "not_found")
    assert (behind["position"], behind["ahead"]) == (2, 0)
    assert (back.status_code, back.json()["position"]) == (201, 3)
    again = await client.delete(f"{_queue(event)}/me", headers=buyer()["headers"])
    assert again.status_code == 204  # leaving a line you are not in changes nothing


async def test_room_reopens_empty_when_redis_forgot_it_and_admissions_still_hold(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    clock: Clock,
    holds_path: Any,
    context: Context,
) -> None:
    event = await _on_sale_with_room(make_event, clock)
    first = buyer()
    await _join(client, event, first)
    clock.advance(timedelta(seconds=EVERY))
    token = (await _me(client, event, first))["admission_token"]

    room_keys = [
        context.room.keys.room(uuid.UUID(event["id"]), part)
        for part in ("line", "pre", "meta", "joined", "admitted", "active")
    ]
    await context.room.redis.delete(*room_keys)  # what FLUSHALL would do to this room
    forgotten = await client.get(f"{_queue(event)}/me", headers=first["headers"])
    newcomer = await _join(client, event, buyer())
    without = await client.post(
        holds_path(event), json={"seat_ids": ["A-B-1"]}, headers=buyer()["headers"]
    )
    held = await client.post(
        holds_path(event),
        json={"seat_ids": ["A-B-1"]},
        headers={**first["headers"], "X-Admission-Token": token},
    )

    assert forgotten.status_code == 404
    assert newcomer.json()["position"] == 1
    assert without.status_code == 403  # nobody gets past the room without an admission
    assert held.status_code == 201, held.text


async def test_turning_the_room_on_with_a_patch_gates_holds_at_once(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    organizer: dict[str, Any],
    holds_path: Any,
) -> None:
    event = await make_event()
    assert event["waiting_room"]["enabled"] is False
    before = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-3"]}, headers=buyer()["headers"]
    )

    patched = await client.patch(
        f"/api/events/{event['id']}",
        json={"waiting_room": {"enabled": True, "admit_per_minute": 120, "max_active": 50}},
        headers=organizer["headers"],
    )
    await client.patch(
        f"/api/events/{event['id']}", json={"hold_rules": ANYONE}, headers=organizer["headers"]
    )
    after = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-4"]}, headers=buyer()["headers"]
    )
    bad = await client.patch(
        f"/api/events/{event['id']}",
        json={"waiting_room": {"admit_per_minute": 0}},
        headers=organizer["headers"],
    )

    assert before.status_code == 201
    assert patched.status_code == 200, patched.text
    # turning the room on also requires a verified email, unless the organizer says otherwise
    assert patched.json()["hold_rules"]["verified_email_required"] is True
    room = patched.json()["waiting_room"]
    assert room == {
        "enabled": True,
        "admit_per_minute": 120,
        "max_active": 50,
        "opens_before_sale_seconds": 900,
    }
    assert (await client.get(f"/api/events/{event['id']}")).json()["waiting_room"] == room
    assert (after.status_code, after.json()["error"]) == (403, "admission_required")
    assert bad.status_code == 422


async def test_gauge_counts_the_rooms_by_state_when_counted(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    clock: Clock,
    runtime: Runtime[Any, Context],
) -> None:
    event = await _on_sale_with_room(make_event, clock)
    for _ in range(3):
        await _join(client, event, buyer())
    clock.advance(timedelta(seconds=EVERY))

    await runtime.run_job("event-waiting-room-count")

    def gauge(state: str) -> float:
        return REGISTRY.get_sample_value("ticketing_waiting_room_users", {"state": state}) or 0

    assert gauge("admitted") >= 1 and gauge("waiting") >= 2


async def test_a_room_requires_a_verified_email_by_default_unless_the_organizer_says_otherwise(
    make_event: Any,
) -> None:
    guarded = await make_event(waiting_room=_room())
    open_to_all = await make_event(waiting_room=_room(), hold_rules=ANYONE)
    plain = await make_event()

    assert guarded["hold_rules"]["verified_email_required"] is True
    assert open_to_all["hold_rules"]["verified_email_required"] is False
    assert plain["hold_rules"]["verified_email_required"] is False
