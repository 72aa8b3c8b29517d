"""The gateway's micro-cache of anonymous catalogue reads, through the whole system: the listing
and an event's detail are answered from nginx's cache, yet an organizer's publish, edit or
cancel shows within about a second (event marks each answer until the end of its second), and
the organizer, who sends a token, always reads past the cache."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from devstack.stack import RunningStack
from shared.testing.eventually import eventually
from tests.e2e.api_client import Actor, Stage, create_event, event_body, publish_event, stage

pytestmark = pytest.mark.e2e

SHOWS_WITHIN = 1.6  # a second, plus one refresh through the gateway and the polling step
CACHED = {"HIT", "EXPIRED"}  # from nginx's cache, or its entry's second had just ended


@pytest.fixture(scope="module")
async def scene(stack: RunningStack, admin_credentials: tuple[str, str]) -> AsyncIterator[Stage]:
    async with stage(stack.gateway_url, admin_credentials, organizer="mia", rows=None) as made:
        yield made


async def _published(organizer: Actor, title: str) -> dict[str, Any]:
    event = await create_event(organizer, event_body(title=title))
    return await publish_event(organizer, event["id"])


async def _shows(reader: Actor, url: str, seen: Any, what: str) -> float:
    """Poll ``url`` anonymously (every 0.1 s: within the gateway's 10 r/s) until ``seen(body)``;
    the seconds it took."""
    started = time.monotonic()

    async def read() -> dict[str, Any]:
        response = await reader.once("GET", url)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    await eventually(read, until=seen, timeout=5, interval=0.1, what=what)
    return time.monotonic() - started


async def test_listing_shows_a_new_event_within_about_a_second_when_it_is_micro_cached(
    scene: Stage,
) -> None:
    first = await _published(scene.organizer, "Cached first")
    url = f"/api/events?organizer_id={scene.organizer.id}"
    reader = scene.cast.actor()
    warm = await reader.once("GET", url)
    again = await reader.once("GET", url)
    assert [e["id"] for e in warm.json()["items"]] == [first["id"]]
    assert again.headers["x-cache-status"] in CACHED

    second = await _published(scene.organizer, "Cached second")

    took = await _shows(
        reader,
        url,
        lambda page: second["id"] in [e["id"] for e in page["items"]],
        "the new event in the listing",
    )
    assert took < SHOWS_WITHIN


async def test_detail_shows_an_edit_and_a_cancel_within_about_a_second_when_micro_cached(
    scene: Stage,
) -> None:
    event = await _published(scene.organizer, "Before the edit")
    url = f"/api/events/{event['id']}"
    reader = scene.cast.actor()
    assert (await reader.once("GET", url)).json()["title"] == "Before the edit"
    assert (await reader.once("GET", url)).headers["x-cache-status"] in CACHED

    edited = await scene.organizer.patch(url, json={"title": "After the edit"})
    assert edited.status_code == 200, edited.text
    own = await scene.organizer.get(url)  # with a token: never from the cache
    assert (own.json()["title"], own.headers["x-cache-status"]) == ("After the edit", "BYPASS")
    took = await _shows(reader, url, lambda e: e["title"] == "After the edit", "the new title")
    assert took < SHOWS_WITHIN

    cancelled = await scene.organizer.post(f"{url}/cancel", json={"reason": "rain"})
    assert cancelled.status_code == 200, cancelled.text
    later = scene.cast.actor()  # a fresh address: the polling above used its own requests
    took = await _shows(later, url, lambda e: e["status"] == "cancelled", "the cancel")
    assert took < SHOWS_WITHIN


async def test_seat_map_is_never_micro_cached_when_read_anonymously(scene: Stage) -> None:
    event = await _published(scene.organizer, "Seats stay exact")
    reader = scene.cast.actor()
    url = f"/api/events/{event['id']}/seats"
    for _ in range(2):
        response = await reader.once("GET", url)
        assert response.status_code == 200
        assert "x-cache-status" not in response.headers
