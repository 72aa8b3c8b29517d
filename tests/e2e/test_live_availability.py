"""The live stream through the gateway: unbuffered Server-Sent Events — the state at once, then a
hold's seats and counts within about a poll interval."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.api_client import Actor, Cast, event_body, published_event

pytestmark = pytest.mark.e2e


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    kind, data = "", ""
    async for line in lines:
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif line == "" and kind:
            yield kind, json.loads(data)
            kind, data = "", ""


async def test_live_stream_tells_a_hold_through_the_gateway_within_a_poll_or_so(
    cast: Cast, admin: Actor
) -> None:
    host = await cast.organizer(admin, "live-host")
    event = await published_event(host, event_body())
    buyer = await cast.person("live-buyer")
    watcher = cast.actor()
    url = f"/api/events/{event['id']}/live"

    async with watcher.http.stream("GET", url, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response.aiter_lines())
        kind, first = await asyncio.wait_for(anext(events), 5)
        assert kind == "availability"
        assert first["tiers"] == [
            {"code": "vip", "capacity": 10, "available": 10, "held": 0, "sold": 0}
        ]

        started = time.monotonic()
        held = await buyer.post(f"/api/events/{event['id']}/holds", json={"seat_ids": ["A-A-3"]})
        assert held.status_code == 201, held.text
        kind, counts = await asyncio.wait_for(anext(events), 5)
        kind2, seats = await asyncio.wait_for(anext(events), 5)
        delay = time.monotonic() - started

    assert (kind, kind2) == ("availability", "seats")
    assert counts["tiers"][0]["held"] == 1 and counts["tiers"][0]["available"] == 9
    assert seats["changes"] == [{"seat_id": "A-A-3", "status": "held"}]
    # one poll interval (0.5 s) and the hold itself; generous, for a noisy shared machine
    assert delay < 2.5
