"""The per-process facts cache without Redis or PostgreSQL: what is stored reads back the same,
layouts group and render seats, memory stays bounded, and concurrent loads are shared."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from event_service.service.facts_cache import (
    Bounded,
    SharedLoads,
    TierFact,
    current_format,
    facts_data,
    facts_of,
    layout_of,
    seats_of,
    with_status,
)

START = datetime(2030, 5, 1, 20, 0, tzinfo=UTC)


def _row(**overrides: Any) -> dict[str, Any]:
    """A row as ``repository.get_facts`` returns it."""
    row: dict[str, Any] = {
        "status": "published",
        "organizer_id": uuid.uuid4(),
        "title": "Night Concert",
        "location": "Riverside Hall, Lisbon",
        "starts_at": START,
        "currency": "EUR",
        "sales_start_at": START - timedelta(days=30),
        "sales_end_at": None,
        "ends_at": START + timedelta(hours=3),
        "max_tickets_per_order": 4,
        "max_tickets_per_buyer": 6,
        "updated_at": START - timedelta(days=31),
        "tiers": [("vip", 8000, None), ("floor", 3000, 200)],
        "verified_email_required": True,
        "max_live_holds_per_address": None,
        "rehold_cooldown_seconds": 60,
        "waiting_room": {"enabled": True, "admit_per_minute": 600},
    }
    row.update(overrides)
    return row


def test_facts_read_back_as_they_were_loaded_when_stored_as_json() -> None:
    row = _row(sales_end_at=START - timedelta(hours=1))
    event_id = uuid.uuid4()

    facts = facts_of(event_id, "token-1", facts_data(row))

    assert (facts.event_id, facts.token, facts.status) == (event_id, "token-1", "published")
    assert (facts.organizer_id, facts.currency) == (row["organizer_id"], "EUR")
    assert (facts.title, facts.location, facts.starts_at) == (
        "Night Concert",
        "Riverside Hall, Lisbon",
        START,
    )
    assert facts.sales_start_at == row["sales_start_at"]
    assert facts.sales_end_at == START - timedelta(hours=1)
    assert facts.ends_at == row["ends_at"]
    assert (facts.max_per_order, facts.max_per_buyer) == (4, 6)
    assert facts.updated_at == row["updated_at"].isoformat()
    assert facts.tiers == {
        "vip": TierFact("vip", 8000, None),
        "floor": TierFact("floor", 3000, 200),
    }
    assert (facts.verified_email_required, facts.max_per_address, facts.rehold_cooldown) == (
        True,
        None,
        60,
    )
    assert facts.waiting_room == {"enabled": True, "admit_per_minute": 600}
    assert facts.room_enabled
    assert facts.reserved == ["vip"]
    assert (facts.tiers["vip"].general_admission, facts.tiers["floor"].general_admission) == (
        False,
        True,
    )


def test_facts_keep_an_open_sales_window_open_when_it_has_no_end() -> None:
    facts = facts_of(uuid.uuid4(), "t", facts_data(_row(sales_end_at=None)))
    assert facts.sales_end_at is None


def test_facts_are_loaded_again_when_they_lack_the_hold_rules() -> None:
    stored = json.loads(facts_data(_row()))
    assert current_format(json.dumps(stored))
    del stored["rehold_cooldown"]
    assert not current_format(json.dumps(stored))


def test_facts_are_loaded_again_when_they_lack_the_waiting_room() -> None:
    stored = json.loads(facts_data(_row(waiting_room=None)))
    assert current_format(json.dumps(stored))
    assert not facts_of(uuid.uuid4(), "t", json.dumps(stored)).room_enabled
    del stored["waiting_room"]
    assert not current_format(json.dumps(stored))


def test_facts_are_loaded_again_when_they_lack_what_the_claim_answers() -> None:
    stored = json.loads(facts_data(_row()))
    for name in ("title", "location", "starts_at"):
        del stored[name]
    assert not current_format(json.dumps(stored))


def test_bounded_memory_forgets_the_oldest_entry_when_full() -> None:
    memory: Bounded[str, int] = Bounded(2)
    memory.put("a", 1)
    memory.put("b", 2)
    memory.put("a", 3)  # put again: now the newest
    memory.put("c", 4)

    assert memory == {"a": 3, "c": 4}


def _layout() -> Any:
    rows = [  # in layout order, as PostgreSQL lists them; row A's seats out of number order
        ("A-A-2", "A", "A", 2, "vip"),
        ("A-A-1", "A", "A", 1, "vip"),
        ("A-B-2", "A", "B", 2, "vip"),
        ("B-C-1", "B", "C", 1, "standard"),
    ]
    return layout_of("token-1", seats_of(rows, {}))


def test_layout_rows_keep_the_layout_order_when_seats_are_grouped() -> None:
    layout = _layout()

    assert not layout.has_rows("vip")
    rows = layout.rows("vip")

    assert [(r.seat_ids, r.numbers) for r in rows] == [
        (["A-A-1", "A-A-2"], [1, 2]),  # rows as laid out, seats by number
        (["A-B-2"], [2]),
    ]
    assert layout.has_rows("vip") and layout.rows("vip") is rows  # grouped once
    assert [s.seat_id for s in layout.by_tier("standard")] == ["B-C-1"]
    assert layout.by_tier("nope") == []
    assert layout.index == {"A-A-2": 0, "A-A-1": 1, "A-B-2": 2, "B-C-1": 3}


def test_layout_pieces_make_the_seat_map_json_when_a_status_is_swapped_in() -> None:
    layout = _layout()
    available = layout.pieces({"vip": 8000, "standard": 2500})
    pieces = list(available)
    pieces[1] = with_status(available[1], "held")
    pieces[2] = with_status(available[2], "sold")

    seats = json.loads("[" + ",".join(pieces) + "]")

    assert seats[0] == {
        "seat_id": "A-A-2",
        "section": "A",
        "row": "A",
        "number": 2,
        "tier": "vip",
        "price": 8000,
        "status": "available",
    }
    assert [s["status"] for s in seats] == ["available", "held", "sold", "available"]
    assert seats[3]["price"] == 2500
    assert seats[1] | {"status": "available"} == json.loads(available[1])
    assert layout.pieces({"vip": 1, "standard": 1}) is available  # built once


async def test_one_load_serves_every_caller_when_they_ask_for_one_key_at_once() -> None:
    loads = SharedLoads()
    calls = 0
    gate = asyncio.Event()

    async def load() -> str:
        nonlocal calls
        calls += 1
        await gate.wait()
        return "facts"

    waiting = [asyncio.create_task(loads.run(("facts", 1), load)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()

    assert await asyncio.gather(*waiting) == ["facts"] * 5
    assert calls == 1
    assert await loads.run(("facts", 1), load) == "facts"  # a later caller loads anew
    assert calls == 2


async def test_waiters_load_on_their_own_when_the_shared_load_fails() -> None:
    loads = SharedLoads()
    gate = asyncio.Event()
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await gate.wait()
        raise RuntimeError("PostgreSQL went away")

    async def working() -> str:
        nonlocal calls
        calls += 1
        return "facts"

    first = asyncio.create_task(loads.run("k", failing))
    await asyncio.sleep(0)
    second = asyncio.create_task(loads.run("k", working))
    await asyncio.sleep(0)
    gate.set()

    with pytest.raises(RuntimeError):
        await first
    assert await second == "facts"
    assert calls == 2


async def test_waiters_load_on_their_own_when_the_loading_caller_is_cancelled() -> None:
    loads = SharedLoads()
    gate = asyncio.Event()

    async def slow() -> str:
        await gate.wait()
        return "slow"

    async def fast() -> str:
        return "fast"

    leader = asyncio.create_task(loads.run("k", slow))
    await asyncio.sleep(0)
    follower = asyncio.create_task(loads.run("k", fast))
    await asyncio.sleep(0)
    leader.cancel()

    assert await follower == "fast"
    with pytest.raises(asyncio.CancelledError):
        await leader
