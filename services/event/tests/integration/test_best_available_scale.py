"""Best available on large tiers: limits before the search, only the rows it needs, the same
candidates as a search over the whole tier."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx2
import pytest
from sqlalchemy import text

from event_service import seating
from event_service.context import Context
from event_service.holds import SoldState
from event_service.service import best, facts_cache
from event_service.service.facts_cache import TierRow

pytestmark = pytest.mark.integration


def _hall(rows: int, seats_per_row: int, **overrides: Any) -> dict[str, Any]:
    return {
        "tiers": [{"code": "hall", "name": "Hall", "price": 1000}],
        "seating": [
            {
                "section": "H",
                "tier": "hall",
                "rows": [f"R{n}" for n in range(1, rows + 1)],
                "seats_per_row": seats_per_row,
            }
        ],
        **overrides,
    }


async def test_best_available_on_a_100k_seat_tier_takes_the_front_row_and_refuses_over_limit(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = await make_event(**_hall(100, 1000, max_tickets_per_buyer=4))
    assert event["capacity"] == 100_000
    path = f"/api/events/{event['id']}/holds"
    me, other = buyer(), buyer()

    first = await client.post(
        path, json={"tier": "hall", "quantity": 4, "best_available": True}, headers=me["headers"]
    )
    second = await client.post(
        path, json={"tier": "hall", "quantity": 3, "best_available": True}, headers=other["headers"]
    )

    assert first.status_code == 201, first.text
    assert [s["seat_id"] for s in first.json()["seats"]] == [f"H-R1-{n}" for n in (1, 2, 3, 4)]
    assert [s["seat_id"] for s in second.json()["seats"]] == [f"H-R1-{n}" for n in (5, 6, 7)]

    async def no_search(*_args: Any, **_kwargs: Any) -> list[list[str]]:
        raise AssertionError("searched although the buyer limit refuses the request")

    monkeypatch.setattr(best, "candidates", no_search)
    refused = await client.post(
        path, json={"tier": "hall", "quantity": 1, "best_available": True}, headers=me["headers"]
    )
    assert refused.status_code == 409, refused.text
    assert (refused.json()["error"], refused.json()["details"]["current"]) == ("limit_exceeded", 4)


def _full_rows(rows: list[TierRow], taken: set[str]) -> list[list[seating.RowSeat]]:
    return [
        [seating.RowSeat(s, n, s not in taken) for s, n in zip(r.seat_ids, r.numbers, strict=True)]
        for r in rows
    ]


@pytest.mark.parametrize("seed", range(6))
async def test_candidates_read_in_slices_equal_a_search_over_the_whole_tier(
    make_event: Any, monkeypatch: pytest.MonkeyPatch, seed: int, context: Context
) -> None:
    """Random fillings (1 in 3 to 19 in 20 seats sold), slices of a few rows: the same groups
    as ``seating.best_available`` over every row — with an early stop a prefix of them, and
    exactly them when the first slices had no run (then the whole tier's state is read)."""
    rng = random.Random(seed)
    event = await make_event(**_hall(12, 25))
    event_id = uuid.UUID(event["id"])
    facts = await context.facts.get(event_id)
    assert facts is not None
    rows = (await context.facts.layout(facts)).rows("hall")
    share = rng.choice([0.33, 0.6, 0.85, 0.95])
    sold = {s for r in rows for s in r.seat_ids if rng.random() < share}
    await context.sold.rebuild(event_id, SoldState(seats=dict.fromkeys(sold, "hall"), general=[]))
    monkeypatch.setattr(best, "_FIRST_READ", 30)
    monkeypatch.setattr(best, "_MAX_READ", 60)

    for quantity in (1, 2, 3, 5, 8):
        expected = seating.best_available(_full_rows(rows, sold), quantity, limit=8)
        # the first slice: whole rows (25 seats each) up to max(_FIRST_READ, 2 × quantity × 8)
        in_first = max(1, max(30, 2 * quantity * 8) // 25)
        head = [seating.free_row(r) for r in _full_rows(rows[:in_first], sold)]
        first_slice = seating.adjacent_runs(head, quantity, limit=8)
        monkeypatch.setattr(best, "_ENOUGH", 10**9)
        found = await best.candidates(context.sold, facts, "hall", rows, quantity, limit=8)
        assert found == expected, (seed, quantity)
        monkeypatch.setattr(best, "_ENOUGH", 1)
        early = await best.candidates(context.sold, facts, "hall", rows, quantity, limit=8)
        assert (early == []) == (expected == [])
        assert early == (first_slice or expected), (seed, quantity)
        assert early == expected[: len(early)], (seed, quantity)


async def test_the_layout_read_in_chunks_is_every_seat_in_order_with_repeats_kept_once(
    make_event: Any, monkeypatch: pytest.MonkeyPatch, context: Context, runtime: Any
) -> None:
    """The layout is read through a cursor, a chunk at a time (7 seats here, 2,000 in use)."""
    monkeypatch.setattr(facts_cache, "_LAYOUT_CHUNK", 7)
    event = await make_event(**_hall(12, 25))
    facts = await context.facts.get(uuid.UUID(event["id"]))
    assert facts is not None
    layout = await context.facts.layout(facts)
    async with runtime.engine.connect() as conn:
        stored = await conn.execute(
            text(
                'SELECT seat_id, section, "row", number, tier_code FROM seat '
                "WHERE event_id = :id ORDER BY position"
            ),
            {"id": event["id"]},
        )
        expected = [tuple(row) for row in stored]

    assert [(s.seat_id, s.section, s.row, s.number, s.tier) for s in layout.seats] == expected
    assert len(layout.seats) == 300
    assert layout.index == {s.seat_id: i for i, s in enumerate(layout.seats)}
    first, last = layout.seats[0], layout.seats[-1]
    assert first.tier is last.tier and first.section is last.section  # one string each
    assert layout.seats[0].row is layout.seats[24].row
