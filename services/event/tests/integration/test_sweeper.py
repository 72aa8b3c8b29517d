"""The sweeper: lapsed general-admission holds give their places back; it visits only events
with a hold due, by this process's clock, while what has lapsed is Redis's to say."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx2
import pytest

from event_service.clock import Clock
from event_service.context import Context
from event_service.holds import HoldStore
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


async def test_lapsed_ga_hold_is_returned_by_the_sweeper_when_its_time_is_up(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    holds_path: Any,
    hold_of: Any,
    lapse: Any,
) -> None:
    event = await make_event()
    everything = await hold_of(event, buyer(), {"tier": "floor", "quantity": 10})
    refused = await client.post(
        holds_path(event), json={"tier": "floor", "quantity": 1}, headers=buyer()["headers"]
    )
    assert refused.status_code == 409

    await lapse(everything)

    async def try_hold() -> int:
        response = await client.post(
            holds_path(event), json={"tier": "floor", "quantity": 10}, headers=buyer()["headers"]
        )
        return response.status_code

    await eventually(try_hold, until=lambda code: code == 201, timeout=5, what="GA places back")


async def test_sweeper_returns_only_lapsed_holds_when_its_clock_runs_ahead(
    make_event: Any,
    buyer: Any,
    context: Context,
    clock: Clock,
    hold_of: Any,
    tier_of: Any,
    lapse: Any,
) -> None:
    """A sweeper whose clock is ahead (another replica's, say) visits the event early; what it
    gives back is only what Redis's clock says has lapsed."""
    event = await make_event()
    await lapse(await hold_of(event, buyer(), {"tier": "floor", "quantity": 2}))
    await hold_of(event, buyer(), {"tier": "floor", "quantity": 3})

    clock.advance(timedelta(seconds=context.settings.HOLD_MAX_SECONDS + 1))
    await context.holds.sweep()

    floor = await tier_of(event, "floor")
    assert (floor["held"], floor["available"]) == (3, 7)
    index, event_id = context.holds.keys.sweep(), event["id"]
    assert await context.holds.redis.zscore(index, event_id) is not None  # the live hold's turn


async def test_sweeper_index_lists_only_events_with_general_admission_holds(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, context: Context, holds_path: Any
) -> None:
    store: HoldStore = context.holds
    seated, standing = await make_event(), await make_event()
    await client.post(holds_path(seated), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"])
    hold = (
        await client.post(
            holds_path(standing),
            json={"tier": "floor", "quantity": 1},
            headers=(me := buyer())["headers"],
        )
    ).json()

    index = store.keys.sweep()
    assert await store.redis.zscore(index, standing["id"]) is not None
    assert await store.redis.zscore(index, seated["id"]) is None

    await client.delete(f"{holds_path(standing)}/{hold['hold_id']}", headers=me["headers"])
    await store.redis.zadd(index, {standing["id"]: 0})  # due now: the next pass visits it
    await eventually(
        lambda: store.redis.zscore(index, standing["id"]),
        until=lambda s: s is None,
        what="entry gone",
    )
