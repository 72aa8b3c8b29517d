"""How long best available takes on a 100,000-seat tier (real PostgreSQL and Redis, the app
in-process: no network or gateway in the figures). Not part of the suite — run it by name:

    .venv/bin/python -m pytest services/event/tests/integration/bench_best_available.py -q -s

Prints: a hold that gets seats, a request the buyer limit refuses, six of each running at once
while another client reads the event, the whole-tier reading the old code did per request, and
the worst case (nearly sold out, no two adjacent seats anywhere: every row is ranked).
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
from event_service.context import Context
from event_service.holds import SoldState
from shared.runtime import Runtime

pytestmark = pytest.mark.integration

ROWS, PER_ROW = 100, 1000
BODY = {"tier": "hall", "quantity": 2, "best_available": True}


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


class Bench:
    def __init__(self, client: httpx2.AsyncClient, event: dict[str, Any], buyer: Any) -> None:
        self.client, self.buyer = client, buyer
        self.path = f"/api/events/{event['id']}/holds"
        self.detail = f"/api/events/{event['id']}"
        self.lines: list[str] = []

    async def hold(self, who: dict[str, Any]) -> tuple[float, int]:
        return await _timed(lambda: self.client.post(self.path, json=BODY, headers=who["headers"]))

    async def series(self, name: str, people: list[dict[str, Any]], status: int) -> None:
        samples = []
        for who in people:
            ms, got = await self.hold(who)
            assert got == status
            samples.append(ms)
        self.lines.append(_summary(name, samples))

    async def storm(self, label: str, people: list[dict[str, Any]], rounds: int) -> None:
        """Six best-available requests at once, and another client reading the event."""
        for _ in range(rounds):
            group = people or [self.buyer() for _ in range(6)]
            reading = _timed(lambda: self.client.get(self.detail))
            results = await asyncio.gather(reading, *(self.hold(who) for who in group))
            self.lines.append(
                f"  {label} at once + a GET: GET {results[0][0]:6.1f} ms, "
                f"slowest hold {max(ms for ms, _ in results[1:]):6.1f} ms"
            )


async def _old_way(ctx: Context, event_id: uuid.UUID) -> float:
    """What every request did before: every seat's state, ranked on the event loop."""
    facts = await ctx.facts.get(event_id)
    assert facts is not None
    layout = await ctx.facts.layout(facts)
    started = time.perf_counter()
    taken = await ctx.sold.taken_seats(event_id, [s.seat_id for s in layout.by_tier("hall")])
    rows = [
        [seating.RowSeat(s, n, s not in taken) for s, n in zip(r.seat_ids, r.numbers, strict=True)]
        for r in layout.rows("hall")
    ]
    seating.best_available(rows, 2, limit=8)
    return (time.perf_counter() - started) * 1000


async def test_bench_best_available_on_a_100k_seat_tier(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, runtime: Runtime
) -> None:
    rows = [f"R{n}" for n in range(1, ROWS + 1)]
    event = await make_event(
        tiers=[{"code": "hall", "name": "Hall", "price": 1000}],
        seating=[{"section": "H", "tier": "hall", "rows": rows, "seats_per_row": PER_ROW}],
        max_tickets_per_buyer=2,
        hold_rules={"max_live_holds_per_address": None},
    )
    bench = Bench(client, event, buyer)
    first = await bench.hold(buyer())
    bench.lines.append(
        f"first request (loads the 100k-seat layout once per process): {first[0]:.0f} ms"
    )
    buyers = [buyer() for _ in range(60)]
    await bench.series("best_available hold, quantity 2 (201)", buyers, 201)
    await bench.series("over the buyer limit (409, refused before the search)", buyers[:30], 409)
    alone = [(await _timed(lambda: client.get(bench.detail)))[0] for _ in range(20)]
    bench.lines.append(_summary("GET /api/events/{id} alone", alone))
    await bench.storm("six refused best_available", buyers[30:36], 5)
    await bench.storm("six new buyers' best_available", [], 5)

    ctx: Context = runtime.context
    event_id = uuid.UUID(event["id"])
    old = await _old_way(ctx, event_id)
    bench.lines.append(f"the old way (read all 100k seats, rank on the loop): {old:.0f} ms")

    # nearly sold out: no two adjacent seats left anywhere, so every row is read and ranked
    seats = [f"H-{row}-{n}" for row in rows for n in range(1, PER_ROW + 1)]
    sold = {s for i, s in enumerate(seats) if i % 2 == 0 or i % 7 == 3}
    await ctx.sold.rebuild(event_id, SoldState(seats=dict.fromkeys(sold, "hall"), general=[]))
    worst = [buyer() for _ in range(5)]
    await bench.series("nearly sold out: no adjacent pair left (whole tier read)", worst, 201)
    await bench.storm("six nearly-sold-out best_available", [], 3)
    print("\n" + "\n".join(bench.lines))  # noqa: T201 - the figures are the point
