"""How long best available takes on a 100,000-seat tier (real PostgreSQL and Redis, the app
in-process: no network or gateway in the figures). Not part of the suite — run it by name:

    .venv/bin/python -m pytest services/event/tests/integration/bench_best_available.py -q -s

Prints: a hold that gets seats, a request the buyer limit refuses, six of each running at once
while another client reads the event, and the whole-tier reading the old code did per request.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

from event_service import seating
from event_service.holds import SoldState
from event_service.service.context import Ctx
from shared.runtime import Runtime

pytestmark = pytest.mark.integration

ROWS, PER_ROW = 100, 1000


async def _timed(call: Callable[[], Awaitable[httpx2.Response]]) -> tuple[float, int]:
    started = time.perf_counter()
    response = await call()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code in (200, 201, 409), response.text

    return elapsed, response.status_code


def _summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{name:<58} n={len(samples):>3}  median {statistics.median(ordered):6.1f} ms"
        f"  p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms"
    )


async def test_bench_best_available_on_a_100k_seat_tier(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, runtime: Runtime
) -> None:
    hall = {
        "tiers": [{"code": "hall", "name": "Hall", "price": 1000}],
        "seating": [
            {
                "section": "H",
                "tier": "hall",
                "rows": [f"R{n}" for n in range(1, ROWS + 1)],
                "seats_per_row": PER_ROW,
            }
        ],
        "max_tickets_per_buyer": 2,
        "hold_rules": {"max_live_holds_per_address": None},
    }
    event = await make_event(**hall)
    path = f"/api/events/{event['id']}/holds"
    body = {"tier": "hall", "quantity": 2, "best_available": True}
    lines = []

    warm = await _timed(lambda: client.post(path, json=body, headers=buyer()["headers"]))
    lines.append(f"first request (loads the 100k-seat layout once per process): {warm[0]:.0f} ms")

    held: list[float] = []
    buyers = [buyer() for _ in range(60)]
    for who in buyers:
        ms, status = await _timed(
            lambda who=who: client.post(path, json=body, headers=who["headers"])
        )
        assert status == 201
        held.append(ms)
    lines.append(_summary("best_available hold, quantity 2 (201)", held))

    refused: list[float] = []
    for who in buyers[:30]:
        ms, status = await _timed(
            lambda who=who: client.post(path, json=body, headers=who["headers"])
        )
        assert status == 409
        refused.append(ms)
    lines.append(_summary("over the buyer limit (409, refused before the search)", refused))

    detail = f"/api/events/{event['id']}"
    baseline = [(await _timed(lambda: client.get(detail)))[0] for _ in range(20)]
    lines.append(_summary("GET /api/events/{id} alone", baseline))
    for label, group in (("six refused", buyers[30:36]), ("six new buyers", None)):
        people = group or [buyer() for _ in range(6)]
        for _ in range(5):
            storm = [
                _timed(lambda who=who: client.post(path, json=body, headers=who["headers"]))
                for who in people
            ]
            results = await asyncio.gather(_timed(lambda: client.get(detail)), *storm)
            lines.append(
                f"  {label} best_available at once + a GET: GET {results[0][0]:6.1f} ms, "
                f"slowest hold {max(ms for ms, _ in results[1:]):6.1f} ms"
            )

    ctx: Ctx = runtime.state.ctx
    event_id = uuid.UUID(event["id"])
    facts = await ctx.facts.get(event_id)
    assert facts is not None
    layout = await ctx.facts.layout(facts)
    seats = [s.seat_id for s in layout.by_tier("hall")]
    started = time.perf_counter()
    taken = await ctx.holds.taken_seats(event_id, seats)
    rows = [
        [seating.RowSeat(s, n, s not in taken) for s, n in zip(r.seat_ids, r.numbers, strict=True)]
        for r in layout.rows("hall")
    ]
    seating.best_available(rows, 2, limit=8)
    old_way = (time.perf_counter() - started) * 1000
    lines.append(f"the old way (read all 100k seats, rank on the loop): {old_way:.0f} ms")

    # nearly sold out: no two adjacent seats left anywhere, so every row is read and ranked
    sold = {s for i, s in enumerate(seats) if i % 2 == 0 or i % 7 == 3}
    await ctx.holds.rebuild_sold(event_id, SoldState(seats=dict.fromkeys(sold, "hall"), general=[]))
    worst = []
    for _ in range(5):
        ms, status = await _timed(lambda: client.post(path, json=body, headers=buyer()["headers"]))
        assert status == 201
        worst.append(ms)
    lines.append(_summary("nearly sold out: no adjacent pair left (whole tier read)", worst))
    for _ in range(3):
        storm = [
            _timed(lambda: client.post(path, json=body, headers=buyer()["headers"]))
            for _ in range(6)
        ]
        results = await asyncio.gather(_timed(lambda: client.get(detail)), *storm)
        lines.append(
            f"  six nearly-sold-out best_available at once + a GET: GET {results[0][0]:6.1f} ms, "
            f"slowest hold {max(ms for ms, _ in results[1:]):6.1f} ms"
        )
    print("\n" + "\n".join(lines))  # noqa: T201 - the figures are the point
