"""What the hot paths cost, counted: Redis round trips and SQL statements of a hold, of booking's
claim and of booking's messages; the ids of holds naming their event; the mark that lets the
gateway keep an anonymous listing or detail until the end of the current second."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

import httpx2
import pytest
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from sqlalchemy import event as sa_event
from sqlalchemy import text

from event_service.context import Context
from event_service.handlers import on_booking_cancelled, on_booking_confirmed
from event_service.holds import models as hold_models
from event_service.holds import store
from event_service.holds.wire import Wire
from event_service.repository import get_facts, lock_inventory
from event_service.service.facts_cache import facts_data
from event_service.settings import Settings
from shared.contracts.booking import BookingCancelledV1
from shared.http import internal_headers
from shared.messaging import Envelope
from shared.runtime import Runtime
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


@dataclass
class Trips:
    """Redis round trips and SQL statements made by one asyncio task (not by the sweeper or
    the outbox relay running beside it)."""

    redis: int = 0
    sql: int = 0


@pytest.fixture
async def counted(
    runtime: Runtime, context: Context, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[[], Any]]:
    """``with counted() as trips:`` counts what the current task sends to Redis and PostgreSQL
    (a pipeline is one round trip, so is a script on the scripts' shared connection; what the
    connection pool sends on its own — connecting, health checks of idle connections — is not
    counted). Every script is loaded first: another
    test may have flushed them (then the first call of each would be a NOSCRIPT and a load)."""
    scripts = context.holds.scripts
    for name in (f.name for f in fields(scripts)):
        await runtime.redis.script_load(getattr(scripts, name).script)
    trips: list[tuple[asyncio.Task[Any] | None, Trips]] = []
    command, execute, call = Redis.execute_command, Pipeline.execute, Wire.call

    def mine() -> Trips | None:
        task = asyncio.current_task()
        return next((t for owner, t in trips if owner is task), None)

    def count_redis(client: Redis) -> None:
        found = mine()
        if found is not None and not isinstance(client, Pipeline):
            found.redis += 1

    async def counting_command(self: Redis, *args: Any, **options: Any) -> Any:
        count_redis(self)  # a pipeline's commands are counted once, by its execute
        return await command(self, *args, **options)

    async def counting_execute(self: Pipeline, raise_on_error: bool = True) -> Any:
        found = mine()
        if found is not None:
            found.redis += 1
        return await execute(self, raise_on_error)

    async def counting_call(self: Wire, *args: Any) -> Any:  # the scripts' connection
        found = mine()
        if found is not None:
            found.redis += 1
        return await call(self, *args)

    def on_statement(*_: Any) -> None:
        found = mine()
        if found is not None:
            found.sql += 1

    monkeypatch.setattr(Redis, "execute_command", counting_command)
    monkeypatch.setattr(Pipeline, "execute", counting_execute)
    monkeypatch.setattr(Wire, "call", counting_call)
    engine = runtime.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", on_statement)

    @contextmanager
    def count() -> Iterator[Trips]:
        entry = (asyncio.current_task(), Trips())
        trips.append(entry)
        try:
            yield entry[1]
        finally:
            trips.remove(entry)

    yield count
    sa_event.remove(engine, "before_cursor_execute", on_statement)


@pytest.fixture
async def event(make_event: Any, hold_of: Any, buyer: Any) -> AsyncIterator[dict[str, Any]]:
    """A published event whose facts and layout this process has read already (one hold)."""
    made = await make_event(max_tickets_per_buyer=2)
    await hold_of(made, buyer(), {"seat_ids": ["B-D-5"]})
    yield made


# --- holds ------------------------------------------------------------------------------------


async def test_reserved_hold_is_one_redis_round_trip_and_no_sql_when_the_facts_are_known(
    client: httpx2.AsyncClient, event: dict[str, Any], buyer: Any, counted: Any, context: Context
) -> None:
    me = buyer()
    with counted() as trips:
        response = await client.post(
            f"/api/events/{event['id']}/holds",
            json={"seat_ids": ["A-A-1", "A-A-2"]},
            headers=me["headers"],
        )
    assert response.status_code == 201, response.text
    assert (trips.redis, trips.sql) == (1, 0)
    hold_id = response.json()["hold_id"]
    assert hold_models.event_of_hold(hold_id) == uuid.UUID(event["id"])
    assert await context.holds.redis.exists(context.holds.keys.index(hold_id)) == 0


async def test_taken_seats_are_409_seats_unavailable_when_the_buyer_is_over_the_limit_too(
    client: httpx2.AsyncClient, event: dict[str, Any], buyer: Any, hold_of: Any, counted: Any
) -> None:
    """The seats are checked before the buyer's holds are counted: the race for taken seats is
    the cheap refusal (README "Hot paths")."""
    await hold_of(event, buyer(), {"seat_ids": ["A-A-3"]})
    me = buyer()
    await hold_of(event, me, {"seat_ids": ["A-A-4", "A-A-5"]})  # at max_tickets_per_buyer

    with counted() as trips:
        taken = await client.post(
            f"/api/events/{event['id']}/holds", json={"seat_ids": ["A-A-3"]}, headers=me["headers"]
        )
    free = await client.post(
        f"/api/events/{event['id']}/holds", json={"seat_ids": ["B-C-1"]}, headers=me["headers"]
    )

    assert (taken.status_code, taken.json()["error"]) == (409, "seats_unavailable")
    assert taken.json()["details"]["unavailable"] == ["A-A-3"]
    assert (trips.redis, trips.sql) == (1, 0)
    assert (free.status_code, free.json()["error"]) == (409, "limit_exceeded")


def test_hold_ids_name_their_event_and_ids_of_before_name_none() -> None:
    event_id = uuid.uuid4()
    made = {hold_models.new_hold_id(event_id) for _ in range(100)}
    assert len(made) == 100
    assert {hold_models.event_of_hold(h) for h in made} == {event_id}
    assert all(len(h) <= 64 for h in made)  # the bound of hold ids in every contract
    for old in (str(uuid.uuid4()), uuid.uuid4().hex, f"{event_id.hex}_short", "x" * 57, ""):
        assert hold_models.event_of_hold(old) is None


# --- booking's claim --------------------------------------------------------------------------


async def test_claim_reads_no_postgresql_when_the_facts_are_known(
    client: httpx2.AsyncClient,
    event: dict[str, Any],
    buyer: Any,
    hold_of: Any,
    settings: Settings,
    counted: Any,
) -> None:
    me = buyer()
    hold = await hold_of(event, me, {"seat_ids": ["A-B-1"]})
    with counted() as trips:
        claimed = await client.post(
            f"/internal/holds/{hold['hold_id']}/claim",
            json={"user_id": str(me["id"]), "extend_seconds": 600},
            headers=internal_headers(settings),
        )
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["event"]["title"] == event["title"]
    assert (trips.redis, trips.sql) == (2, 0)  # the hold's record, then the claim script


async def test_claim_answers_from_fresh_facts_when_another_process_changed_the_event(
    client: httpx2.AsyncClient,
    event: dict[str, Any],
    buyer: Any,
    hold_of: Any,
    settings: Settings,
    context: Context,
    runtime: Runtime,
) -> None:
    """Memory still has the old title under the old token; another process renamed the event
    (its own fence, its own new facts): the claim script refuses the old token, the claim reads
    the facts again."""
    me = buyer()
    hold = await hold_of(event, me, {"seat_ids": ["A-B-2"]})
    event_id = uuid.UUID(event["id"])
    remembered = await context.facts.get(event_id)
    assert remembered is not None
    async with runtime.sessionmaker() as session, session.begin():
        await lock_inventory(session, event_id, exclusive=True)
        await context.facts.store.fence(event_id)
        await session.execute(
            text("UPDATE event SET title = 'Renamed elsewhere' WHERE id = :id"), {"id": event_id}
        )
        row = await get_facts(session, event_id)
        assert row is not None
    await context.facts.store.write(event_id, "another-process", facts_data(row))
    assert (await context.facts.get(event_id)) is remembered  # this process has not noticed

    claimed = await client.post(
        f"/internal/holds/{hold['hold_id']}/claim",
        json={"user_id": str(me["id"]), "extend_seconds": 600},
        headers=internal_headers(settings),
    )
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["event"]["title"] == "Renamed elsewhere"


async def test_claim_is_409_sales_closed_when_the_event_was_cancelled_after_the_hold(
    client: httpx2.AsyncClient,
    event: dict[str, Any],
    buyer: Any,
    organizer: dict[str, Any],
    hold_of: Any,
    settings: Settings,
    context: Context,
) -> None:
    me = buyer()
    hold = await hold_of(event, me, {"seat_ids": ["A-B-3"]})
    event_id = uuid.UUID(event["id"])
    assert await context.facts.get(event_id) is not None
    # the hold record outlives the cancel here (as if the release after the commit were late)
    record = context.holds.keys.record(event_id, hold["hold_id"])
    saved = await context.holds.redis.hgetall(record)
    cancelled = await client.post(f"/api/events/{event['id']}/cancel", headers=organizer["headers"])
    assert cancelled.status_code == 200
    await context.holds.redis.hset(record, mapping=saved)

    claimed = await client.post(
        f"/internal/holds/{hold['hold_id']}/claim",
        json={"user_id": str(me["id"]), "extend_seconds": 600},
        headers=internal_headers(settings),
    )
    assert (claimed.status_code, claimed.json()["error"]) == (409, "sales_closed")


async def test_claim_finds_the_event_through_the_index_key_when_the_hold_id_does_not_name_it(
    client: httpx2.AsyncClient,
    event: dict[str, Any],
    buyer: Any,
    settings: Settings,
    context: Context,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hold made by a release of before (a plain uuid4 id, and its index key) is claimed
    after the upgrade."""
    monkeypatch.setattr(store, "new_hold_id", lambda _event_id: str(uuid.uuid4()))
    me, other = buyer(), buyer()
    path = f"/api/events/{event['id']}/holds"
    old = (await client.post(path, json={"seat_ids": ["A-B-4"]}, headers=me["headers"])).json()
    lost = (await client.post(path, json={"seat_ids": ["A-B-5"]}, headers=other["headers"])).json()
    index = context.holds.keys.index(old["hold_id"])
    await context.holds.redis.set(index, event["id"], px=60_000)  # as the release of before did

    found = await client.post(
        f"/internal/holds/{old['hold_id']}/claim",
        json={"user_id": str(me["id"]), "extend_seconds": 900},
        headers=internal_headers(settings),
    )
    missing = await client.post(
        f"/internal/holds/{lost['hold_id']}/claim",
        json={"user_id": str(other["id"]), "extend_seconds": 900},
        headers=internal_headers(settings),
    )

    assert found.status_code == 200, found.text
    assert await context.holds.redis.pttl(index) > 60_000  # extended with the hold
    assert (missing.status_code, missing.json()["error"]) == (409, "hold_expired")


# --- booking's messages -----------------------------------------------------------------------


async def test_sale_of_reserved_seats_is_one_sql_statement_when_booking_confirmed(
    event: dict[str, Any],
    buyer: Any,
    hold_of: Any,
    confirmed: Any,
    runtime: Runtime,
    context: Context,
    counted: Any,
    statuses: Any,
) -> None:
    me = buyer()
    hold = await hold_of(event, me, {"seat_ids": ["B-C-2", "B-C-3"]})
    message = confirmed(event, hold, user_id=me["id"])
    with counted() as trips:
        async with runtime.sessionmaker() as session, session.begin():
            await on_booking_confirmed(session, Envelope.wrap(message, producer="booking"), context)
    assert trips.sql == 1  # the shared inventory lock and the insert, one statement
    assert trips.redis == 2  # the hold's client address, then the sale script
    seats = await statuses(event)
    assert (seats["B-C-2"], seats["B-C-3"]) == ("sold", "sold")

    common = message.model_dump(include=set(BookingCancelledV1.model_fields))
    undo = BookingCancelledV1(**common, reason="customer", was_confirmed=True)
    with counted() as trips:
        async with runtime.sessionmaker() as session, session.begin():
            await on_booking_cancelled(session, Envelope.wrap(undo, producer="booking"), context)
    assert trips.sql == 1  # the lock and both deletions, one statement
    await eventually(  # Redis frees them after the commit
        lambda: statuses(event), until=lambda s: s["B-C-2"] == s["B-C-3"] == "available"
    )


# --- the gateway's micro-cache ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/events", "/api/events/", "/api/events/{id}"])
async def test_anonymous_read_is_marked_until_the_end_of_the_current_second(
    client: httpx2.AsyncClient, event: dict[str, Any], path: str
) -> None:
    before = int(time.time())
    response = await client.get(path.format(id=event["id"]))
    after = int(time.time())
    assert response.status_code == 200
    mark = response.headers["x-accel-expires"]
    assert mark.startswith("@") and before <= int(mark[1:]) <= after


@pytest.mark.parametrize(
    "path", ["/api/events", "/api/events/{id}", "/api/events/{id}/seats", "/api/events/mine"]
)
async def test_read_is_not_marked_when_it_carries_a_token_or_is_no_listing_or_detail(
    client: httpx2.AsyncClient, event: dict[str, Any], organizer: dict[str, Any], path: str
) -> None:
    url = path.format(id=event["id"])
    signed_in = await client.get(url, headers=organizer["headers"])
    assert signed_in.status_code == 200
    assert "x-accel-expires" not in signed_in.headers
    if "{id}/seats" in path:
        assert "x-accel-expires" not in (await client.get(url)).headers


async def test_error_is_never_marked_when_the_event_is_unknown(client: httpx2.AsyncClient) -> None:
    response = await client.get(f"/api/events/{uuid.uuid4()}")
    assert response.status_code == 404
    assert "x-accel-expires" not in response.headers
