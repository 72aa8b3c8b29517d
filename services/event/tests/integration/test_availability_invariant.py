"""Property: random holds, releases, lapses, sales and cancellations against real Redis keep
``available + held + sold = capacity`` for every tier — and agree with a simple model."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from event_service import domain
from event_service.clock import Clock
from event_service.holds import (
    GeneralSoldOut,
    Hold,
    HoldStore,
    Keys,
    Limits,
    NoGroupFree,
    Place,
    Scripts,
    SoldMirror,
    SoldState,
)
from event_service.holds.wire import Wire
from event_service.settings import Settings

pytestmark = pytest.mark.integration

SEATS = [f"R-A-{n}" for n in range(1, 7)]
CAPACITY = {"r": len(SEATS), "g": 5}

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("hold"), st.lists(st.sampled_from(SEATS), min_size=1, max_size=3, unique=True)
        ),
        st.tuples(st.just("general"), st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("release"), st.integers(min_value=0, max_value=9)),
        st.tuples(st.just("lapse"), st.integers(min_value=0, max_value=9)),
        st.tuples(st.just("sell"), st.integers(min_value=0, max_value=9)),
        st.tuples(st.just("unsell"), st.integers(min_value=0, max_value=9)),
    ),
    min_size=1,
    max_size=14,
)


@dataclass
class Model:
    live: list[Hold] = field(default_factory=list)
    sold_seats: set[str] = field(default_factory=set)
    sales: list[tuple[uuid.UUID, Hold]] = field(default_factory=list)

    def held(self) -> dict[str, int]:
        counts = {"r": 0, "g": 0}
        for hold in self.live:
            for place in hold.places:
                counts[place.tier] += 1
        return counts

    def sold(self) -> dict[str, int]:
        general = sum(h.quantity for _, h in self.sales if h.tier == "g")
        return {"r": len(self.sold_seats), "g": general}


async def _scenario(settings: Settings, lapse_with: Any, steps: list[tuple[str, Any]]) -> None:
    redis = Redis.from_url(settings.REDIS_URL, decode_responses=True)
    wire = Wire(settings.REDIS_URL)
    keys, scripts, clock = Keys(settings), Scripts.register(wire), Clock()
    store = HoldStore(redis, keys, scripts, settings, clock)
    mirror = SoldMirror(redis, keys, scripts, settings, clock)
    event = uuid.uuid4()
    model = Model()
    try:
        await mirror.rebuild(event, SoldState(seats={}, general=[]))
        for kind, arg in steps:
            if kind == "hold":
                free = not (
                    set(arg) & (model.sold_seats | {s for h in model.live for s in h.seat_ids})
                )
                try:
                    hold = await store.hold_seats(
                        event_id=event,
                        user_id=uuid.uuid4(),
                        groups=[[Place(s, "r", 10) for s in arg]],
                        currency="USD",
                        limits=Limits.none(),
                    )
                    assert free, f"held {arg} though taken"
                    model.live.append(hold)
                except NoGroupFree:
                    assert not free, f"refused {arg} though free"
            elif kind == "general":
                fits = arg <= CAPACITY["g"] - model.held()["g"] - model.sold()["g"]
                try:
                    hold = await store.hold_general(
                        event_id=event,
                        user_id=uuid.uuid4(),
                        tier="g",
                        price=5,
                        quantity=arg,
                        capacity=CAPACITY["g"],
                        currency="USD",
                        limits=Limits.none(),
                    )
                    assert fits
                    model.live.append(hold)
                except GeneralSoldOut:
                    assert not fits
            elif kind in ("release", "lapse", "sell") and model.live:
                hold = model.live.pop(arg % len(model.live))
                if kind == "release":
                    assert await store.release(hold, owner=hold.user_id)
                elif kind == "lapse":
                    await lapse_with(store, hold)  # what time does to it, then the sweeper
                    await store.sweep()
                else:
                    booking = uuid.uuid4()
                    await mirror.consume(
                        event, hold.hold_id, hold.places, booking_id=booking, user_id=hold.user_id
                    )
                    model.sales.append((booking, hold))
                    model.sold_seats |= set(hold.seat_ids)
            elif kind == "unsell" and model.sales:
                booking, hold = model.sales.pop(arg % len(model.sales))
                model.sold_seats -= set(hold.seat_ids)
                await mirror.undo(
                    event,
                    hold.hold_id,
                    hold.places,
                    booking_id=booking,
                    user_id=hold.user_id,
                    sold_seats=[(s, "r", True) for s in hold.seat_ids],
                    general_sold=[("g", hold.quantity, True)] if hold.tier == "g" else [],
                )
            counts = await mirror.snapshot(event, ["r"], ["g"])
            for tier, capacity in CAPACITY.items():
                held, sold = counts[tier].held, counts[tier].sold
                available = domain.available(capacity=capacity, held=held, sold=sold)
                assert available + held + sold == capacity, (tier, counts)
                assert (held, sold) == (model.held()[tier], model.sold()[tier]), (
                    kind,
                    tier,
                    counts,
                )
    finally:
        await redis.delete(
            *[k async for k in redis.scan_iter(match=store.keys.event_pattern(event))]
        )
        await redis.zrem(store.keys.sweep(), str(event))
        await redis.aclose()
        await wire.aclose()


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=ops)
def test_availability_adds_up_and_matches_the_model_after_any_sequence(
    settings: Settings, lapse_with: Any, steps: list[tuple[str, Any]]
) -> None:
    asyncio.run(_scenario(settings, lapse_with, steps))
