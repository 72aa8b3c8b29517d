"""Property: any sequence of joins, reads, leaves and passing time against the real room script
(Redis) answers exactly as a plain model of the rules — places in arrival order, admission in
place order at the rate from the sales start, paused while ``max_active`` admissions are live,
no credit kept while nobody waits or the room is full; ``ahead`` counts who still waits before.
(The pre-queue's draw is random; its test is in ``test_waiting_room.py``.)"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from event_service.holds import Keys, Scripts
from event_service.holds.room import RoomEntry, RoomRules, WaitingRoomStore
from event_service.holds.wire import Wire
from event_service.settings import Settings

pytestmark = pytest.mark.integration

START = 1_000_000_000_000  # ms; every call happens after it
TOKEN_MS = 50_000
PEOPLE = 6

steps = st.lists(
    st.one_of(
        st.tuples(st.just("join"), st.integers(0, PEOPLE - 1)),
        st.tuples(st.just("read"), st.integers(0, PEOPLE - 1)),
        st.tuples(st.just("leave"), st.integers(0, PEOPLE - 1)),
        st.tuples(st.just("wait"), st.integers(0, 40_000)),
    ),
    max_size=30,
)


@dataclass
class Model:
    rate: int
    max_active: int | None
    now: int = START + 1
    seq: int = 0
    pointer: int = 0
    clock: float = START
    line: dict[int, int] = field(default_factory=dict)  # person → place
    joined: dict[int, int] = field(default_factory=dict)
    admitted: dict[int, int] = field(default_factory=dict)  # person → expiry
    active: dict[int, int] = field(default_factory=dict)

    def advance(self) -> None:
        every = 60_000 / self.rate
        due = int((self.now - self.clock) // every)
        if due <= 0:
            return
        self.active = {p: e for p, e in self.active.items() if e > self.now}
        room = due if self.max_active is None else min(due, self.max_active - len(self.active))
        taken = 0
        if room > 0:
            waiting = sorted((place, p) for p, place in self.line.items() if place > self.pointer)
            for place, person in waiting[:room]:
                self.active[person] = self.admitted[person] = self.now + TOKEN_MS
                self.pointer = place
                taken += 1
        # the script keeps the clock to the thousandth of a millisecond
        self.clock = self.now if taken < due else round(self.clock + taken * every, 3)

    def entry(self, person: int) -> tuple[str, int, int, int | None] | None:
        place = self.line.get(person)
        if place is None:
            return None
        if place <= self.pointer:
            return ("admitted", place, 0, self.admitted[person])
        ahead = sum(1 for q in self.line.values() if self.pointer < q < place)
        return ("waiting", place, ahead, None)

    def join(self, person: int) -> tuple[tuple[str, int, int, int | None] | None, bool]:
        self.advance()
        found = self.entry(person)
        if found is not None:
            return found, False
        self.seq += 1
        self.line[person] = self.seq
        self.joined[person] = self.now
        return self.entry(person), True

    def leave(self, person: int) -> None:
        for table in (self.line, self.joined, self.admitted, self.active):
            table.pop(person, None)


def _seen(entry: RoomEntry | None) -> tuple[str, int, int, int | None] | None:
    if entry is None:
        return None
    assert entry.position is not None and entry.ahead is not None
    return (entry.state, entry.position, entry.ahead, entry.admitted_until_ms)


async def _scenario(
    settings: Settings, rate: int, max_active: int | None, script: list[tuple[str, int]]
) -> None:
    redis = Redis.from_url(settings.REDIS_URL)
    keys = Keys(settings)
    wire = Wire(settings.REDIS_URL)
    store = WaitingRoomStore(redis, keys, Scripts.register(wire))
    event = uuid.uuid4()
    people = [uuid.uuid4() for _ in range(PEOPLE)]
    # the keys' expiry is Redis's wall clock: a day from now
    rules = RoomRules(START, rate, max_active, TOKEN_MS, int(time.time() * 1000) + 86_400_000)
    model = Model(rate, max_active)
    try:
        for kind, arg in script:
            if kind == "wait":
                model.now += arg
            elif kind == "join":
                expected, new = model.join(arg)
                entry, created = await store.join(event, people[arg], rules, model.now)
                assert (_seen(entry), created) == (expected, new), (kind, arg, model)
            elif kind == "read":
                model.advance()
                entry = await store.read(event, people[arg], rules, model.now)
                assert _seen(entry) == model.entry(arg), (kind, arg, model)
            else:
                model.leave(arg)
                await store.leave(event, people[arg], model.now)
        count = await store.count(event, rules, model.now)
        model.advance()
        assert count.prequeue == 0
        assert count.waiting == sum(1 for q in model.line.values() if q > model.pointer)
        assert count.admitted == sum(1 for e in model.active.values() if e > model.now)
    finally:
        await redis.delete(*[keys.room(event, part) for part in _PARTS])
        await redis.srem(keys.rooms(), str(event))
        await redis.aclose()
        await wire.aclose()


_PARTS = ("line", "pre", "meta", "joined", "admitted", "active")


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    script=steps,
    rate=st.sampled_from([6, 60, 600, 7]),  # 7 a minute: admissions at fractional ms
    max_active=st.sampled_from([None, 1, 2]),
)
def test_room_answers_as_the_model_after_any_sequence(
    settings: Settings, script: list[tuple[str, int]], rate: int, max_active: int | None
) -> None:
    asyncio.run(_scenario(settings, rate, max_active, script))
