"""What event's hot requests cost in its own process: CPU per request of a hold (201, and the
409 of a taken seat), the event detail and the listing when nginx's micro-cache does not answer
them, booking's claim, and one booking.confirmed consumed — the app called as ASGI in-process on
the real PostgreSQL and Redis (no network, no gateway), beside GET /health (the floor: the
shared middleware and nothing else). Not part of the suite — run it by name:

    .venv/bin/python -m pytest services/event/tests/integration/bench_hot.py -q -s

``BENCH_N`` requests per figure (3000); ``BENCH_PROFILE=1`` also prints the top of a cProfile
of each (``BENCH_SORT``, ``BENCH_TOP``). The machine's other load shows in the figures: compare
runs made side by side.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from event_service.main import create_app
from event_service.settings import Settings
from shared.contracts.booking import BookedSeat, BookingConfirmedV1, EventSummary
from shared.http import internal_headers
from shared.messaging import Envelope
from shared.testing.app import RunningService
from shared.testing.app import running_service as running_service_of
from shared.testing.tokens import TestSigner

from .conftest import event_body

pytestmark = pytest.mark.integration

ROWS, PER_ROW = 500, 100  # the 50,000-seat event of `make bench`
N = int(os.environ.get("BENCH_N", "3000"))
Call = Callable[[], Awaitable[int]]


@pytest.fixture(scope="module")
async def quiet(settings: Settings) -> AsyncIterator[RunningService]:
    """The service as `make bench` runs it (LOG_LEVEL=WARNING)."""
    quiet_settings = settings.model_copy(update={"LOG_LEVEL": "WARNING"})
    async with running_service_of(create_app, quiet_settings) as running:
        yield running


def asgi(
    app: FastAPI, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> Call:
    """One request straight into the ASGI app; returns the status."""
    raw = json.dumps(body).encode() if body is not None else b""
    path, _, query = path.partition("?")
    base = [(b"host", b"event"), (b"content-length", str(len(raw)).encode())]
    if raw:
        base.append((b"content-type", b"application/json"))
    base += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]

    async def call() -> int:
        status = 0
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "", "headers": base,
            "client": ("127.0.0.1", 4000), "server": ("event", 80),
        }  # fmt: skip

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    return call


async def figure(name: str, calls: list[Call], expect: int) -> None:
    """Run ``calls`` (the first 20 warm caches, layouts and connections) and print the CPU
    and wall time per call."""
    for call in calls[:20]:
        assert await call() == expect
    rest = calls[20:]
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for call in rest:
        status = await call()
        assert status == expect, (name, status)
    if profile:
        profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per_cpu, per_wall = 1e6 * cpu / len(rest), 1e6 * wall / len(rest)
    print(f"\n{name:<48} {per_cpu:6.0f} µs CPU {per_wall:6.0f} µs wall  n={len(rest)}")  # noqa: T201
    if profile:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(
            os.environ.get("BENCH_SORT", "tottime")
        )
        stats.print_stats(int(os.environ.get("BENCH_TOP", "25")))
        print(out.getvalue())  # noqa: T201


@pytest.fixture(scope="module")
async def world(quiet: RunningService, signer: TestSigner) -> dict[str, Any]:
    """A published 50,000-seat event, 30 more events in the listing, 40 buyers."""
    client = quiet.client
    organizer = {"Authorization": "Bearer " + signer.token(role="organizer")}
    rows = [f"R{n}" for n in range(ROWS)]
    large = event_body(
        max_tickets_per_buyer=1000,
        hold_rules={"max_live_holds_per_address": None, "rehold_cooldown_seconds": 0},
        tiers=[{"code": "std", "name": "Standard", "price": 2500}],
        seating=[{"section": "A", "tier": "std", "rows": rows, "seats_per_row": PER_ROW}],
    )
    made = await client.post("/api/events", json=large, headers=organizer, timeout=120)
    assert made.status_code == 201, made.text
    event = made.json()
    published = await client.post(f"/api/events/{event['id']}/publish", headers=organizer)
    assert published.status_code == 200
    for n in range(30):
        made = await client.post(
            "/api/events", json=event_body(title=f"Show {n}"), headers=organizer
        )
        published = await client.post(f"/api/events/{made.json()['id']}/publish", headers=organizer)
        assert published.status_code == 200
    ids = [uuid.uuid4() for _ in range(40)]
    buyers = [
        {"Authorization": "Bearer " + signer.token(user_id=i, ttl=timedelta(hours=1))} for i in ids
    ]
    seats = [f"A-{r}-{n}" for r in rows[1:] for n in range(1, PER_ROW + 1)]
    return {"event": event, "buyers": buyers, "ids": ids, "seats": iter(seats)}


async def test_bench_floor(quiet: RunningService) -> None:
    await figure("GET /health (the shared middleware only)", [
        asgi(quiet.app, "GET", "/health") for _ in range(N)
    ], 200)  # fmt: skip


async def test_bench_hold(quiet: RunningService, world: dict[str, Any]) -> None:
    path, buyers = f"/api/events/{world['event']['id']}/holds", world["buyers"]
    calls = [
        asgi(quiet.app, "POST", path, {"seat_ids": [next(world["seats"])]}, buyers[i % 40])
        for i in range(N)
    ]
    await figure("POST holds, distinct seats (201)", calls, 201)


async def test_bench_hold_taken(quiet: RunningService, world: dict[str, Any]) -> None:
    path, buyers = f"/api/events/{world['event']['id']}/holds", world["buyers"]
    seats = [next(world["seats"]), next(world["seats"])]
    assert await asgi(quiet.app, "POST", path, {"seat_ids": seats}, buyers[0])() == 201
    calls = [asgi(quiet.app, "POST", path, {"seat_ids": seats}, buyers[i % 40]) for i in range(N)]
    await figure("POST holds, seats taken (409)", calls, 409)


async def test_bench_detail(quiet: RunningService, world: dict[str, Any]) -> None:
    path = f"/api/events/{world['event']['id']}"
    await figure("GET /api/events/{id}", [asgi(quiet.app, "GET", path) for _ in range(N)], 200)


async def test_bench_listing(quiet: RunningService, world: dict[str, Any]) -> None:
    calls = [asgi(quiet.app, "GET", "/api/events") for _ in range(N // 3)]
    await figure("GET /api/events (page of 20)", calls, 200)


async def test_bench_claim(
    quiet: RunningService, world: dict[str, Any], settings: Settings
) -> None:
    path, buyers, ids = f"/api/events/{world['event']['id']}/holds", world["buyers"], world["ids"]
    claims = []
    for i in range(N // 3):
        held = await quiet.client.post(
            path, json={"seat_ids": [next(world["seats"])]}, headers=buyers[i % 40]
        )
        body = {"user_id": str(ids[i % 40]), "extend_seconds": 900}
        claims.append(
            asgi(quiet.app, "POST", f"/internal/holds/{held.json()['hold_id']}/claim", body,
                 internal_headers(settings))
        )  # fmt: skip
    await figure("POST /internal/holds/{id}/claim", claims, 200)


async def test_bench_sale(quiet: RunningService, world: dict[str, Any]) -> None:
    runtime = quiet.runtime
    event, path = world["event"], f"/api/events/{world['event']['id']}/holds"
    handler = runtime.consumer.subscriptions[BookingConfirmedV1.TYPE]
    messages = []
    for i in range(N // 3):
        held = await quiet.client.post(
            path, json={"seat_ids": [next(world["seats"])]}, headers=world["buyers"][i % 40]
        )
        hold = held.json()
        messages.append(
            Envelope.wrap(
                BookingConfirmedV1(
                    booking_id=uuid.uuid4(), hold_id=hold["hold_id"], user_id=world["ids"][i % 40],
                    user_email="b@bench.test", event_id=uuid.UUID(event["id"]),
                    event=EventSummary(title=event["title"], starts_at=event["starts_at"],
                                       location=event["location"]),
                    amount=hold["amount"], currency=hold["currency"],
                    seats=[BookedSeat(**s) for s in hold["seats"]], tickets=[],
                    payment_id=uuid.uuid4(),
                ),
                producer="booking",
            )
        )  # fmt: skip

    def consume(envelope: Envelope[Any]) -> Call:
        async def run() -> int:
            outcome = await runtime.consumer.handle(envelope, handler)
            return 200 if outcome == "handled" else 500

        return run

    await figure("booking.confirmed consumed (inbox, sale, mirror)", [
        consume(m) for m in messages
    ], 200)  # fmt: skip
