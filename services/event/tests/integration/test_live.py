"""``GET /{id}/live``: the current state first, then what changes — tier counts and seat statuses
— within a poll interval; slow listeners are resynchronised, not waited for."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from event_service import live
from event_service.context import Context
from event_service.live import LiveHub
from event_service.service.live import open_stream

pytestmark = pytest.mark.integration


def _event(chunk: bytes) -> tuple[str, dict[str, Any]]:
    lines = dict(line.split(": ", 1) for line in chunk.decode().strip().split("\n"))
    assert lines["id"] == str(json.loads(lines["data"])["version"])
    return lines["event"], json.loads(lines["data"])


async def _next(stream: AsyncIterator[bytes], timeout: float = 3) -> bytes:
    return await asyncio.wait_for(anext(stream), timeout)


async def test_stream_starts_with_the_state_then_tells_holds_and_releases(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any, context: Context
) -> None:
    event = await make_event()
    stream = await open_stream(context, user=None, event_id=uuid.UUID(event["id"]))
    try:
        kind, first = _event(await _next(stream))
        assert kind == "availability"
        vip = next(t for t in first["tiers"] if t["code"] == "vip")
        assert vip == {"code": "vip", "capacity": 10, "available": 10, "held": 0, "sold": 0}

        owner = buyer()
        held = await client.post(
            holds_path(event), json={"seat_ids": ["A-A-1", "A-A-2"]}, headers=owner["headers"]
        )
        assert held.status_code == 201
        kind, counts = _event(await _next(stream))
        kind2, seats = _event(await _next(stream))

        assert (kind, kind2) == ("availability", "seats")
        vip = next(t for t in counts["tiers"] if t["code"] == "vip")
        assert (vip["available"], vip["held"]) == (8, 2)
        assert seats["changes"] == [
            {"seat_id": "A-A-1", "status": "held"},
            {"seat_id": "A-A-2", "status": "held"},
        ]
        assert counts["version"] > first["version"]

        released = await client.delete(
            f"{holds_path(event)}/{held.json()['hold_id']}", headers=owner["headers"]
        )
        assert released.status_code == 204
        _, after = _event(await _next(stream))
        _, freed = _event(await _next(stream))
        assert next(t for t in after["tiers"] if t["code"] == "vip")["available"] == 10
        assert {c["status"] for c in freed["changes"]} == {"available"}
    finally:
        await stream.aclose()
    assert context.live.listeners(uuid.UUID(event["id"])) == 0  # the feed stopped with it


async def test_one_feed_serves_every_listener_of_an_event(
    make_event: Any, context: Context
) -> None:
    event = await make_event()
    event_id = uuid.UUID(event["id"])
    streams = [await open_stream(context, user=None, event_id=event_id) for _ in range(50)]
    try:
        firsts = [await _next(s) for s in streams]
        assert len(set(firsts)) == 1  # the same state, read once
        assert context.live.listeners(event_id) == 50
    finally:
        for s in streams:
            await s.aclose()
    assert context.live.listeners(event_id) == 0


async def test_idle_stream_sends_a_keepalive_comment(make_event: Any, context: Context) -> None:
    quick = dataclasses.replace(
        context,
        settings=context.settings.model_copy(update={"LIVE_KEEPALIVE_SECONDS": 0.2}),
        live=LiveHub(),
    )
    event = await make_event()
    stream = await open_stream(quick, user=None, event_id=uuid.UUID(event["id"]))
    try:
        assert (await _next(stream)).startswith(b"event: availability")
        assert await _next(stream) == b": keepalive\n\n"
    finally:
        await stream.aclose()


def test_slow_listener_is_resynchronised_instead_of_waited_for() -> None:
    feed = live._Feed()
    slow: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=2)
    fast: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=100)
    feed.listeners = {slow, fast}

    for n in range(5):
        live._tell(feed, b"news %d" % n)

    assert fast.qsize() == 5  # nobody waited for the slow one
    backlog = [slow.get_nowait() for _ in range(slow.qsize())]
    assert backlog == [None]  # its backlog dropped: told to start again from the state


async def test_live_is_404_for_an_unknown_event_or_someone_elses_draft(
    client: httpx2.AsyncClient, make_event: Any
) -> None:
    draft = await make_event(publish=False)
    for event_id in (draft["id"], str(uuid.uuid4())):
        response = await client.get(f"/api/events/{event_id}/live")
        assert (response.status_code, response.json()["error"]) == (404, "not_found")
